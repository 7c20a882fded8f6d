/**
 * Errors as `application/problem+json` (RFC 9457), with dwd's diagnosis in extension members: `code`
 * (stable, machine-readable) and `hint` (the fix). Every error response of dwd-server is one.
 *
 * @module
 */

import { redactSecrets } from "@dwd/auth";

/** An RFC 9457 problem with dwd's members. */
export interface Problem {
  /** `urn:dwd:problem:<code>`. */
  type: string;
  /** Short summary of the problem type. */
  title: string;
  status: number;
  /** One line: what failed and what is true now. */
  detail: string;
  /** Stable code (switch on it). */
  code: string;
  /** The fix. */
  hint?: string;
  /** Google's reason, when Google refused. */
  googleReason?: string;
  /** Validation issues, when the request was malformed. */
  errors?: { field: string; problem: string }[];
}

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Thrown by handlers; the app turns it into a problem response. */
export class ProblemError extends Error {
  /** The problem body. */
  readonly problem: Problem;
  /** Extra response headers (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string>;
  /** Whether the server's configuration is at fault (the full diagnosis goes to the log). */
  readonly configuration: boolean;

  /**
   * @param status HTTP status
   * @param code stable code
   * @param detail one line
   * @param options hint, Google's reason, validation issues, extra headers
   */
  constructor(
    status: number,
    code: string,
    detail: string,
    options: {
      hint?: string;
      googleReason?: string;
      errors?: Problem["errors"];
      headers?: Record<string, string>;
      cause?: unknown;
      /** The failure is this server's configuration (its operators, not the caller, can fix it). */
      configuration?: boolean;
    } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ProblemError";
    this.problem = {
      type: `urn:dwd:problem:${code}`,
      title: titles[status] ?? "Error",
      status,
      detail: redactSecrets(detail),
      code,
      ...(options.hint !== undefined ? { hint: redactSecrets(options.hint) } : {}),
      ...(options.googleReason !== undefined ? { googleReason: options.googleReason } : {}),
      ...(options.errors !== undefined ? { errors: options.errors } : {}),
    };
    this.headers = options.headers ?? {};
    this.configuration = options.configuration === true;
  }
}

/**
 * The response for a problem.
 *
 * @param error the problem
 * @param headers more headers (the request ID)
 * @returns an `application/problem+json` response
 */
export function problemResponse(
  error: ProblemError,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(error.problem), {
    status: error.problem.status,
    headers: {
      "content-type": "application/problem+json",
      "cache-control": "no-store",
      ...error.headers,
      ...headers,
    },
  });
}
