/**
 * The problem mapping: what an error thrown while handling a request answers — Google's own 4xx pass
 * through, Google's trouble is 502/504, a malformed value is 400, anything else a 500 (a bug here).
 *
 * @module
 */

import { DwdError } from "@dwd/auth";
import { ProblemError } from "./problem.ts";

/**
 * The message of anything thrown.
 *
 * @param error what was thrown
 * @returns its message
 */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Google's reason (Calendar) or OAuth error (token endpoint) of an upstream failure.
 *
 * @param error the failure
 * @returns the reason, if Google gave one
 */
export function googleReasonOf(error: DwdError): string | undefined {
  const e = error as DwdError & { reason?: string; oauthError?: string };
  return e.reason ?? e.oauthError;
}

function isTimeout(error: unknown): boolean {
  for (
    let e = error, depth = 0;
    e !== undefined && e !== null && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if ((e as { name?: unknown }).name === "TimeoutError") return true;
  }
  return false;
}

/** Failures that are the caller's: the user it named does not exist, or may not be acted for. */
const callersUser: Readonly<Record<string, number>> = {
  unknown_subject: 404,
  invalid_subject: 404,
  subject_deleted: 404,
  user_suspended: 403,
  account_restricted: 403,
};

/** Google's answers about the request itself (the caller's fault), passed through with their status. */
const callersRequest: ReadonlySet<string> = new Set([
  "not_found",
  "bad_request",
  "duplicate",
  "conflict",
  "deleted",
  "precondition_failed",
  "full_sync_required",
  "updated_min_too_long_ago",
  "forbidden",
  "forbidden_for_non_organizer",
  "required_access_level",
]);

/** Google's trouble (outage, no answer), whatever the request: 502, or 503/504 where Google said so. */
const googlesTrouble: Readonly<Record<string, number>> = {
  token_endpoint_unavailable: 503,
  token_endpoint_unreachable: 502,
  token_endpoint_timeout: 504,
  backend_error: 502,
  api_unreachable: 502,
  unexpected_response: 502,
  api_error: 502,
  timeout: 504,
};

/**
 * Maps an error to a problem whose status says whose fault it is: the caller's (4xx: a user that does
 * not exist or is suspended, Google's 400/403/404/409/410/412 about the request), the rate's (429 with
 * Google's Retry-After), Google's (502/503/504, Retry-After where Google gave one), or this server's
 * configuration (500, with the code and no fix: the fix is in the server's log and /v1/doctor, for its
 * operators, not for callers).
 *
 * @param error what a handler threw
 * @returns the problem to answer
 */
export function upstreamProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof DwdError) {
    const e = error as DwdError & { status?: number; retryAfterSeconds?: number };
    const status = e.status ?? 0;
    const googleReason = googleReasonOf(error);
    const retryAfter =
      e.retryAfterSeconds !== undefined && e.retryAfterSeconds >= 0
        ? { "retry-after": String(Math.ceil(e.retryAfterSeconds)) }
        : undefined;
    const options = {
      hint: error.hint,
      cause: error,
      ...(googleReason !== undefined ? { googleReason } : {}),
    };
    if (isTimeout(error))
      return new ProblemError(
        504,
        "upstream_timeout",
        `Google did not answer in time: ${error.message}`,
        { ...options, hint: "Retry later; if it persists, raise limits.upstreamTimeoutMs" },
      );
    const userStatus = callersUser[error.code];
    if (userStatus !== undefined)
      return new ProblemError(userStatus, error.code, error.message, options);
    if (
      error.name === "CalendarApiError" &&
      callersRequest.has(error.code) &&
      status >= 400 &&
      status < 500
    )
      return new ProblemError(status, error.code, error.message, options);
    if (error.code === "rate_limited" || error.code === "quota_exceeded")
      return new ProblemError(429, error.code, error.message, {
        ...options,
        headers: retryAfter ?? { "retry-after": "1" },
      });
    const trouble = googlesTrouble[error.code];
    if (trouble !== undefined) {
      const answered = trouble === 502 && status === 503 ? 503 : trouble;
      return new ProblemError(answered, error.code, error.message, {
        ...options,
        ...(retryAfter !== undefined && answered !== 504 ? { headers: retryAfter } : {}),
      });
    }
    // Everything else is how this server is set up (the delegation, its scopes, its key): the caller
    // learns that and the code, never the service account, its client ID or the Admin-console fix.
    return new ProblemError(
      500,
      error.code,
      `dwd-server cannot make this call: its delegation is not set up for it (${error.code})`,
      {
        hint: "Tell the operators of this dwd-server: the server's log and /v1/doctor name the fix",
        cause: error,
        configuration: true,
      },
    );
  }
  if (error instanceof TypeError || error instanceof RangeError)
    return new ProblemError(400, "invalid_request", errorText(error), {
      hint: "Correct the request",
    });
  return new ProblemError(500, "internal_error", "The server failed while handling the request", {
    hint: "See the server's log; this is a bug in dwd-server",
    cause: error,
  });
}
