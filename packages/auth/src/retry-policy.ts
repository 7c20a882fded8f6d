/**
 * The retry policy every dwd client shares (token exchanges here, Calendar calls in `@dwd/calendar`):
 * capped exponential backoff with full jitter, never shorter than a `Retry-After` the server sent, and
 * one rule for what is retried.
 *
 * @module
 */

/**
 * How a client retries: a delay drawn uniformly from 0 to min(`maxDelayMs`, `baseDelayMs` × 2^n) before
 * the n-th retry (0-based), never shorter than a `Retry-After` the server sent.
 *
 * @example
 * ```ts
 * createTokenSource(key, { retry: { retries: 8, maxDelayMs: 64_000 } });
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

/** A {@link RetryOptions} with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts.
 *
 * @param ms how long
 * @param signal abandons the wait
 * @returns resolves after `ms`
 * @example
 * ```ts
 * await abortableSleep(1000, AbortSignal.timeout(5000));
 * ```
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Fills in the defaults: 5 retries, full jitter from 1 s up to 32 s; `false` for none.
 *
 * @param options the caller's choices, or `false`
 * @returns the policy
 * @throws {RangeError} when `retries` is not a whole number ≥ 0, or a delay is negative
 * @example
 * ```ts
 * retryPolicy({ retries: 2 }).maxDelayMs; // 32000
 * ```
 */
export function retryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  const o = options === false ? { retries: 0 } : (options ?? {});
  const policy: RetryPolicy = {
    retries: o.retries ?? 5,
    baseDelayMs: o.baseDelayMs ?? 1_000,
    maxDelayMs: o.maxDelayMs ?? 32_000,
    random: o.random ?? Math.random,
    sleep: o.sleep ?? abortableSleep,
  };
  if (!Number.isInteger(policy.retries) || policy.retries < 0)
    throw new RangeError(`retry.retries must be a whole number ≥ 0, got ${policy.retries}`);
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= 0))
    throw new RangeError("retry.baseDelayMs and retry.maxDelayMs must be ≥ 0");
  return policy;
}

/**
 * The delay before the n-th retry (0-based): full jitter under the capped exponential ceiling, never
 * below `Retry-After`.
 *
 * @param policy the policy
 * @param retryIndex 0 before the first retry
 * @param retryAfterSeconds what the server asked for, if anything
 * @returns milliseconds to wait
 * @example
 * ```ts
 * retryDelay(retryPolicy({ random: () => 0.5 }), 2); // 2000
 * ```
 */
export function retryDelay(
  policy: RetryPolicy,
  retryIndex: number,
  retryAfterSeconds?: number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.max(Math.floor(policy.random() * ceiling), (retryAfterSeconds ?? 0) * 1000);
}

/**
 * Parses `Retry-After` (seconds, or an HTTP date) into whole seconds from `now`.
 *
 * @param value the header
 * @param now the local clock in ms
 * @returns seconds, or undefined when absent or unreadable
 * @example
 * ```ts
 * retryAfterSeconds("7", Date.now()); // 7
 * ```
 */
export function retryAfterSeconds(
  value: string | null | undefined,
  now: number,
): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * True when a request failed because nothing answers at its address: the connection was refused, or
 * the host name does not exist. The one rule: such a failure is not retried (waiting does not make a
 * wrong address or a stopped emulator answer); resets, timeouts, a temporary DNS failure (`EAI_AGAIN`),
 * 429 and 5xx are, up to `retries` times.
 *
 * @param error what the fetch threw
 * @returns whether the address has nothing listening
 * @example
 * ```ts
 * await fetch("http://127.0.0.1:9/").catch((e: unknown) => nothingListens(e)); // true
 * ```
 */
export function nothingListens(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND") return true;
    // An egress proxy that refuses the tunnel (or a proxy setting this Node cannot use) says no by policy.
    if (code === "ERR_PROXY_TUNNEL" || code === "ERR_PROXY_UNSUPPORTED") return true;
    // Deno words it "Connection refused (os error 111)".
    if (/\b(ECONNREFUSED|ENOTFOUND)\b|connection refused/i.test(e.message)) return true;
  }
  return false;
}
