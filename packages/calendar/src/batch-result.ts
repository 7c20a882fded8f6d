import type { DelegationError, KeyError, KeylessError } from "@dwd/auth";
import type { CalendarApiError } from "./calendar-api-error.ts";
import type { PreparedCall } from "./call-types.ts";

/**
 * Why one part of a batch failed: always one of dwd's errors, so `switch (error.code)` narrows. The
 * API's refusals, a lost connection, a deadline and an aborted batch are {@link CalendarApiError}s;
 * the part's token exchange failing is `@dwd/auth`'s `DelegationError` (or `KeylessError`/`KeyError`
 * when the signer fails), unchanged.
 *
 * @example
 * ```ts
 * const [r] = await cal.batch((b) => [b.as("ana@example.com").events.list("primary")]);
 * if (!r.ok) console.error(`${r.subject}: ${r.error.code}: ${r.error.message}\n  ${r.error.hint}`);
 * ```
 */
export type BatchPartError = CalendarApiError | DelegationError | KeylessError | KeyError;

/**
 * One call's outcome in a batch: its value, or its own error (other parts are unaffected). Both carry
 * the call's method (e.g. `"calendar.events.list"`) and acting user, so a result can be reported without
 * its index.
 */
export type BatchResult<T> =
  | { ok: true; value: T; method: string; subject?: string | undefined }
  | { ok: false; error: BatchPartError; method: string; subject?: string | undefined };

/** The results of a batch, in the order of its calls. */
export type BatchResults<C extends readonly PreparedCall<unknown>[]> = {
  -readonly [I in keyof C]: BatchResult<C[I] extends PreparedCall<infer T> ? T : never>;
};
