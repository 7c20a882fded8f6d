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

/**
 * Maps an error to a problem: Google's own 400/404/409/410/412 pass through; the rest is 502/504.
 *
 * @param error what a handler threw
 * @returns the problem to answer
 */
export function upstreamProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof DwdError) {
    const status = (error as DwdError & { status?: number }).status ?? 0;
    const googleReason = googleReasonOf(error);
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
    if (error.name === "CalendarApiError" && [400, 404, 409, 410, 412].includes(status))
      return new ProblemError(status, error.code, error.message, options);
    if (error.code === "rate_limited")
      return new ProblemError(429, error.code, error.message, {
        ...options,
        headers: { "retry-after": "1" },
      });
    return new ProblemError(502, error.code, error.message, options);
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
