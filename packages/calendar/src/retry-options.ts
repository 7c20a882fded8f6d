import type { RetryOptions as AuthRetryOptions } from "@dwd/auth";
import type { CalendarApiError } from "./calendar-api-error.ts";

/**
 * How a client retries: `@dwd/auth`'s policy, shared with the token source (capped exponential backoff
 * with full jitter, never shorter than a `Retry-After` the API sent).
 *
 * @example
 * ```ts
 * createCalendarClient({ tokenSource, retry: { retries: 8, maxDelayMs: 64_000 } });
 * ```
 */
export type RetryOptions = AuthRetryOptions;

/**
 * What an `onRetry` hook sees before each retry.
 *
 * @example
 * ```ts
 * createCalendarClient({ tokenSource, onRetry: (e) => console.error(`retry ${e.attempt} of ${e.method} in ${e.delayMs} ms: ${e.error.code}`) });
 * ```
 */
export interface RetryEvent {
  /** 1 for the first retry, 2 for the second, … */
  attempt: number;
  /** How long the client waits before sending again. */
  delayMs: number;
  /** Why: the failure of the previous attempt (`retryable` is true). */
  error: CalendarApiError;
  /** The method, e.g. `"calendar.events.list"`. */
  method: string;
  /** The acting user, if any. */
  subject?: string | undefined;
  /** True when the call is one part of a batch (only failed parts are sent again). */
  inBatch: boolean;
}
