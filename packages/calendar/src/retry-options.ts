import type { CalendarApiError } from "./calendar-api-error.ts";

/**
 * How a client retries: capped exponential backoff with full jitter (a delay drawn uniformly from
 * 0 to min(`maxDelayMs`, `baseDelayMs` × 2^n)), never shorter than a `Retry-After` the API sent.
 *
 * @example
 * ```ts
 * createCalendarClient({ tokenSource, retry: { retries: 8, maxDelayMs: 64_000 } });
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt; default 5. `0` turns retrying off. */
  retries?: number | undefined;
  /** Ceiling of the first delay, default 1,000 ms. */
  baseDelayMs?: number | undefined;
  /** Ceiling of any delay, default 32,000 ms. */
  maxDelayMs?: number | undefined;
  /** Uniform random number in [0, 1); default `Math.random` (inject for tests). */
  random?: (() => number) | undefined;
  /** Waits `ms` or rejects when the signal aborts; default a timer (inject for tests). */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
}

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
