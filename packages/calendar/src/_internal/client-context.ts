import { retryDelay } from "@dwd/auth";
import type { RetryPolicy } from "@dwd/auth";
import type { CalendarApiError } from "../calendar-api-error.ts";
import type { PreparedCall } from "../call-types.ts";
import type { RetryEvent } from "../retry-options.ts";
import type { CalendarFetchResponse } from "./read-body.ts";
import type { CallContext } from "./to-calendar-api-error.ts";

/** What the client asks of a fetch: `globalThis.fetch` and an emulator's handler (`emulator.fetch`) fit. */
export type CalendarFetch = (
  url: string,
  /* eslint-disable no-restricted-syntax -- the client fills this in for the caller's fetch, so it stays
     exact: under exactOptionalPropertyTypes `globalThis.fetch` (RequestInit has no `| undefined`)
     only accepts an init whose optional members are exact too. */
  init?: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    signal?: AbortSignal;
    /**
     * Always `"manual"`: a request with a bearer token goes to the API root only; a redirect is answered
     * as itself and reported (`redirected`). A fetch that never follows redirects may ignore it.
     */
    redirect?: "manual";
  },
  /* eslint-enable no-restricted-syntax */
) => Promise<CalendarFetchResponse>;

/** What the client asks of a token source; `@dwd/auth`'s `TokenSource` fits. */
export interface TokenSourceLike {
  getToken(options: {
    subject?: string | undefined;
    scopes: string[];
    signal?: AbortSignal | undefined;
  }): Promise<{ accessToken: string }>;
  invalidate?: ((options: { subject?: string | undefined; scopes: string[] }) => void) | undefined;
  signer?: { clientEmail: string; clientId?: string | undefined } | undefined;
}

/** The resolved settings every call of one client shares. */
export interface ClientContext {
  tokenSource: TokenSourceLike;
  fetch: CalendarFetch;
  /** API root without a trailing slash, e.g. `https://www.googleapis.com/calendar/v3`. */
  rootUrl: string;
  /** The batch endpoint, e.g. `https://www.googleapis.com/batch/calendar/v3`. */
  batchUrl: string;
  timeoutMs: number;
  /** The retry policy, shared with `@dwd/auth`'s token source. */
  retry: RetryPolicy;
  now: () => number;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  gzip: boolean;
  userAgent: string;
}

/** The diagnosis context of a prepared call. */
export function callContext(
  ctx: ClientContext,
  call: PreparedCall<unknown>,
  scopes: string[],
): CallContext {
  return {
    method: call.spec.id,
    calendarId: call.calendarId,
    subject: call.subject,
    serviceAccount: ctx.tokenSource.signer?.clientEmail,
    clientId: ctx.tokenSource.signer?.clientId,
    scopes,
  };
}

/** Full-jitter backoff for the n-th retry (0-based), never below `Retry-After`. */
export function backoffDelay(
  ctx: ClientContext,
  retryIndex: number,
  error: CalendarApiError,
): number {
  return retryDelay(ctx.retry, retryIndex, error.retryAfterSeconds);
}

/**
 * Whether a failed attempt may be sent again: a retryable failure, within the `retries` budget (one
 * budget for every kind; a refused connection is not retryable at all, see `unreachable`). Refusals
 * that happen before the request is processed (429, rate limits) are safe for any method; ambiguous
 * failures (5xx, connection resets) only for methods that are safe to repeat.
 */
export function mayRetry(
  ctx: ClientContext,
  call: PreparedCall<unknown>,
  error: CalendarApiError,
  retriesSoFar: number,
): boolean {
  if (!error.retryable || retriesSoFar >= ctx.retry.retries) return false;
  return call.spec.repeatable || error.code === "rate_limited";
}
