import type { CalendarApiError } from "../calendar-api-error.ts";
import type { PreparedCall } from "../call-types.ts";
import type { RetryEvent } from "../retry-options.ts";
import type { CalendarFetchResponse } from "./read-body.ts";
import type { CallContext } from "./to-calendar-api-error.ts";

/** What the client asks of a fetch: `globalThis.fetch` and an emulator's handler fit. */
export type CalendarFetch = (
  url: string,
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
) => Promise<CalendarFetchResponse>;

/** What the client asks of a token source; `@dwd/auth`'s `TokenSource` fits. */
export interface TokenSourceLike {
  getToken(options: {
    subject?: string;
    scopes: string[];
    signal?: AbortSignal;
  }): Promise<{ accessToken: string }>;
  invalidate?(options: { subject?: string; scopes: string[] }): void;
  signer?: { clientEmail: string; clientId?: string };
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
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  now: () => number;
  onRetry?: (event: RetryEvent) => void;
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

/** Parses `Retry-After` (seconds or an HTTP date) into seconds. */
export function retryAfterSeconds(
  value: string | null | undefined,
  now: number,
): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Full-jitter backoff for the n-th retry (0-based), never below `Retry-After`. */
export function backoffDelay(
  ctx: ClientContext,
  retryIndex: number,
  error: CalendarApiError,
): number {
  const ceiling = Math.min(ctx.maxDelayMs, ctx.baseDelayMs * 2 ** retryIndex);
  const jittered = Math.floor(ctx.random() * ceiling);
  return Math.max(jittered, (error.retryAfterSeconds ?? 0) * 1000);
}

/**
 * Whether a failed attempt may be sent again. Refusals that happen before the request is processed
 * (429, rate limits) are safe for any method; ambiguous failures (5xx, connection resets) only for
 * methods that are safe to repeat.
 */
export function mayRetry(
  ctx: ClientContext,
  call: PreparedCall<unknown>,
  error: CalendarApiError,
  retriesSoFar: number,
): boolean {
  if (!error.retryable || retriesSoFar >= ctx.retries) return false;
  // Nothing listening, or no such host: at most 2 retries (resets and timeouts get the full budget).
  if (
    error.code === "api_unreachable" &&
    retriesSoFar >= 2 &&
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(errorCodes(error.cause))
  )
    return false;
  return call.spec.repeatable || error.code === "rate_limited";
}

/** The `code`s and messages along an error's cause chain, joined (for telling refusals from resets). */
function errorCodes(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 3) return "";
  const code = (error as { code?: unknown }).code;
  return `${typeof code === "string" ? code : ""} ${error.message} ${errorCodes(error.cause, depth + 1)}`;
}
