import { DwdError } from "@dwd/auth";

/**
 * Stable codes of {@link CalendarApiError}, so `switch (err.code)` narrows.
 *
 * - `not_in_service_account_list`: 404 from `calendarList.get` with no subject: the service account's own list
 * - `not_found`: 404, the resource does not exist or the acting user cannot see it
 * - `token_rejected`: 401 (after one fresh token), the access token is expired, revoked or not a token
 * - `insufficient_scope`: 403 `insufficientPermissions`, the token lacks a scope this method accepts
 * - `api_not_enabled`: 403 `accessNotConfigured` / `SERVICE_DISABLED`, the Calendar API is off in the project
 * - `forbidden_for_service_accounts`: 403, the service account acted as itself where only a user may (attendees)
 * - `required_access_level`: 403, the acting user has too low a role on the calendar
 * - `forbidden_for_non_organizer`: 403, only the organizer may change these shared properties
 * - `forbidden`: another 403
 * - `rate_limited`: 403/429 `rateLimitExceeded` / `userRateLimitExceeded`, retried with backoff
 * - `quota_exceeded`: 403 `quotaExceeded` ("Calendar usage limits exceeded.") / `dailyLimitExceeded`: wait hours
 * - `duplicate`: 409 `duplicate`, the id already exists
 * - `conflict`: 409 `conflict`, another item of the same batch collided
 * - `full_sync_required`: 410 `fullSyncRequired`, the sync token expired
 * - `updated_min_too_long_ago`: 410 `updatedMinTooLongAgo`
 * - `deleted`: 410 `deleted`, the resource was already deleted
 * - `precondition_failed`: 412, `If-Match` named an ETag that is no longer current
 * - `not_modified`: 304 to `If-None-Match` given only as a string (pass the held resource instead)
 * - `bad_request`: 400
 * - `backend_error`: 5xx, retried with backoff
 * - `timeout`: no answer before the call's deadline
 * - `api_unreachable`: the request did not reach the API (DNS, connection refused or reset, TLS)
 * - `redirected`: the API answered a redirect (3xx other than 304); a request with a token never follows one
 * - `answer_too_large`: the answer passed 64 MiB once decoded (or a transport's own bound)
 * - `unexpected_response`: a response that is not Google's JSON
 * - `api_error`: any other error status
 * - `aborted`: a batch part still open when the batch's signal aborted (the reason is the `cause`)
 * - `token_source_error`: a batch part whose token source (not dwd's) failed (its error is the `cause`)
 */
export type CalendarApiErrorCode =
  | "not_in_service_account_list"
  | "not_found"
  | "token_rejected"
  | "insufficient_scope"
  | "api_not_enabled"
  | "forbidden_for_service_accounts"
  | "required_access_level"
  | "forbidden_for_non_organizer"
  | "forbidden"
  | "rate_limited"
  | "quota_exceeded"
  | "duplicate"
  | "conflict"
  | "full_sync_required"
  | "updated_min_too_long_ago"
  | "deleted"
  | "precondition_failed"
  | "not_modified"
  | "bad_request"
  | "backend_error"
  | "timeout"
  | "api_unreachable"
  | "redirected"
  | "answer_too_large"
  | "unexpected_response"
  | "api_error"
  | "aborted"
  | "token_source_error";

/** The facts a {@link CalendarApiError} carries. */
export interface CalendarApiErrorFacts {
  /** HTTP status (0 when no response arrived). */
  readonly status: number;
  /** Google's `errors[0].reason` (e.g. `"notFound"`), when present. */
  readonly reason?: string | undefined;
  /** The method, e.g. `"calendar.events.list"`. */
  readonly method: string;
  /** The calendar the call was about, when it was about one. */
  readonly calendarId?: string | undefined;
  /** The impersonated user; absent when the service account acted as itself. */
  readonly subject?: string | undefined;
  /** The scopes of the access token used. */
  readonly scopes: string[];
  /** Whether trying again (with backoff) may succeed: 429, rate limits, 5xx, network failures, timeouts. */
  readonly retryable?: boolean | undefined;
  /** Seconds from a `Retry-After` header, when the API sent one. */
  readonly retryAfterSeconds?: number | undefined;
}

/** Options of the {@link CalendarApiError} constructor: the facts, the hint and Google's error as `cause`. */
export interface CalendarApiErrorOptions extends CalendarApiErrorFacts {
  /** The fix, printed on its own line by the CLI (every CalendarApiError has one). */
  hint: string;
  /** The parsed Google error body (or the network error). */
  cause?: unknown;
}

/**
 * A Calendar API call failed. The message names what failed and what is true; `hint` carries the fix;
 * `cause` keeps Google's error body.
 *
 * @example
 * ```ts
 * try {
 *   await client.calendarList.get("info@example.com");
 * } catch (err) {
 *   if (err instanceof CalendarApiError && err.code === "not_in_service_account_list") console.error(err.hint);
 * }
 * ```
 */
export class CalendarApiError extends DwdError implements CalendarApiErrorFacts {
  /** The stable code. */
  declare readonly code: CalendarApiErrorCode;
  /** The fix: every one of these errors has one. */
  declare readonly hint: string;
  /** HTTP status (0 when no response arrived). */
  readonly status: number;
  /** Google's reason string, when present. */
  readonly reason?: string | undefined;
  /** The method, e.g. `"calendar.calendarList.get"`. */
  readonly method: string;
  /** The calendar the call was about. */
  readonly calendarId?: string | undefined;
  /** The impersonated user, if any. */
  readonly subject?: string | undefined;
  /** The scopes of the access token used. */
  readonly scopes: string[];
  /** Whether trying again (with backoff) may succeed. */
  readonly retryable: boolean;
  /** Seconds from a `Retry-After` header, when the API sent one. */
  readonly retryAfterSeconds?: number | undefined;

  /**
   * @param code The stable code.
   * @param message One line: what failed, a colon, what is true.
   * @param options The facts, the hint and Google's error as `cause`.
   */
  constructor(code: CalendarApiErrorCode, message: string, options: CalendarApiErrorOptions) {
    super(code, message, { hint: options.hint, cause: options.cause });
    this.name = "CalendarApiError";
    this.status = options.status;
    this.reason = options.reason;
    this.method = options.method;
    this.calendarId = options.calendarId;
    this.subject = options.subject;
    this.scopes = options.scopes;
    this.retryable = options.retryable ?? false;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
