import { DwdError } from "@dwd/auth";

/**
 * Stable codes of {@link CalendarApiError}, so `switch (err.code)` narrows.
 *
 * - `not_in_service_account_list`: 404 from `calendarList.get` with no subject: the service account's own list
 * - `not_found`: 404, the calendar does not exist or the acting user cannot see it
 * - `token_rejected`: 401, the access token is expired, revoked or not a token
 * - `insufficient_scope`: 403 `insufficientPermissions`, the token lacks a scope this method accepts
 * - `api_not_enabled`: 403 `accessNotConfigured`, the Calendar API is off in the service account's project
 * - `rate_limited`: 403/429 `rateLimitExceeded` / `userRateLimitExceeded`, retry with backoff
 * - `quota_exceeded`: 403 `quotaExceeded` / `dailyLimitExceeded`, wait (hours) before retrying
 * - `forbidden`: another 403 (e.g. `requiredAccessLevel`)
 * - `bad_request`: 400
 * - `backend_error`: 5xx
 * - `api_unreachable`: the request did not reach the API (DNS, connection refused, TLS)
 * - `unexpected_response`: a response that is not Google's JSON
 * - `api_error`: any other error status
 */
export type CalendarApiErrorCode =
  | "not_in_service_account_list"
  | "not_found"
  | "token_rejected"
  | "insufficient_scope"
  | "api_not_enabled"
  | "rate_limited"
  | "quota_exceeded"
  | "forbidden"
  | "bad_request"
  | "backend_error"
  | "api_unreachable"
  | "unexpected_response"
  | "api_error";

/** Facts carried by a {@link CalendarApiError}. */
export interface CalendarApiErrorOptions {
  /** The fix, printed on its own line by the CLI. */
  hint?: string;
  /** HTTP status (0 when no response arrived). */
  readonly status: number;
  /** Google's `errors[0].reason` (e.g. `"notFound"`), when present. */
  readonly reason?: string;
  /** The method, e.g. `"calendar.calendarList.get"`. */
  readonly method: string;
  /** The calendar the call was about, when it was about one. */
  readonly calendarId?: string;
  /** The impersonated user; absent when the service account acted as itself. */
  readonly subject?: string;
  /** The scopes of the access token used. */
  readonly scopes: string[];
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
export class CalendarApiError extends DwdError {
  /** The stable code. */
  declare readonly code: CalendarApiErrorCode;
  /** HTTP status (0 when no response arrived). */
  readonly status: number;
  /** Google's reason string, when present. */
  readonly reason?: string;
  /** The method, e.g. `"calendar.calendarList.get"`. */
  readonly method: string;
  /** The calendar the call was about. */
  readonly calendarId?: string;
  /** The impersonated user, if any. */
  readonly subject?: string;
  /** The scopes of the access token used. */
  readonly scopes: string[];

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
  }
}
