// Type test, run by `pnpm typecheck` (tsc), not by vitest (issue 13, item 4): a batch result names its
// method and subject; a failed part's error is the union of dwd's error classes, so `error.code`
// narrows and `error.hint` is a string, never `undefined`.
import type {
  DelegationError,
  DelegationErrorCode,
  KeyError,
  KeyErrorCode,
  KeylessError,
  KeylessErrorCode,
} from "@dwd/auth";
import type {
  BatchPartError,
  BatchResult,
  BatchResults,
  CalendarApiError,
  CalendarApiErrorCode,
  Event,
  PreparedCall,
} from "../src/index.ts";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const holds = <T extends true>(): T => true as T;
type Failed = Extract<BatchResult<Event>, { ok: false }>;

export const partError: true =
  holds<Same<BatchPartError, CalendarApiError | DelegationError | KeylessError | KeyError>>();
export const failedError: true = holds<Same<Failed["error"], BatchPartError>>();
export const codes: true =
  holds<
    Same<
      BatchPartError["code"],
      CalendarApiErrorCode | DelegationErrorCode | KeylessErrorCode | KeyErrorCode
    >
  >();
export const hint: true = holds<Same<BatchPartError["hint"], string>>();
export const method: true = holds<Same<BatchResult<Event>["method"], string>>();
export const subject: true = holds<Same<BatchResult<Event>["subject"], string | undefined>>();
// Not a plain Error: an arbitrary Error is not a part's error.
export const notAnyError: true = holds<Same<Error extends BatchPartError ? 1 : 0, 0>>();
export const tuple: true =
  holds<
    Same<
      BatchResults<[PreparedCall<Event>, PreparedCall<void>]>,
      [BatchResult<Event>, BatchResult<void>]
    >
  >();
