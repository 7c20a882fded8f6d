/**
 * Small pieces every route module uses: the reply shape, the 400 for schema issues, the client acting
 * as a subject with the narrowest scope the caller's policy allows.
 *
 * @module
 */

import type { CalendarPort } from "../calendar-port.ts";
import type { CalendarOperation } from "../operations.ts";
import type { Caller } from "../policy.ts";
import { ProblemError } from "../problem.ts";
import type { ServerAppOptions } from "../app-options.ts";
import type { SchemaIssue } from "./schema.ts";

/** What a policy-guarded handler answers; the guard makes the Response (with its `x-request-id`). */
export interface Reply {
  status: number;
  /** Sent as JSON; none for 204. */
  body?: unknown;
  /** A JSON body already written, sent as is (instead of `body`). */
  jsonText?: string;
  /** Sent as HTML instead of a JSON body. */
  html?: string;
  headers?: Record<string, string>;
}

/**
 * A JSON reply.
 *
 * @param data the body
 * @param status the status (200)
 * @param headers more headers
 * @returns the reply
 */
export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return { status, body: data, headers };
}

/**
 * The 400 for schema issues, naming the first and counting the rest.
 *
 * @param issues what is wrong (at least one)
 * @returns the problem
 */
export function invalid(issues: SchemaIssue[]): ProblemError {
  const first = issues[0]!;
  return new ProblemError(
    400,
    "invalid_request",
    `The request is invalid: "${first.field}" ${first.problem}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
    {
      hint: "Correct the fields listed in errors (/openapi.json describes every field)",
      errors: issues,
    },
  );
}

/**
 * The client acting as `subject` for `operation`, with the narrowest scope the caller's policy allows.
 *
 * @param options the app's options (policy, calendar factory)
 * @param caller the authorized caller
 * @param subject the subject
 * @param operation the operation (authorize() checked that a scope exists)
 * @returns the client
 */
export function calendarFor(
  options: ServerAppOptions,
  caller: Caller,
  subject: string,
  operation: CalendarOperation,
): CalendarPort {
  const scope = options.policy().scopeFor(caller, operation)!;
  return options.calendar(subject, scope);
}

/**
 * One resource of the client, or 501 when this build's client lacks it.
 *
 * @param port the client
 * @param resource `events` or `freebusy`
 * @returns the resource
 */
export function needs<K extends "events" | "freebusy">(
  port: CalendarPort,
  resource: K,
): NonNullable<CalendarPort[K]> {
  const r = port[resource];
  if (r === undefined)
    throw new ProblemError(
      501,
      "not_implemented",
      `This build's @dwd/calendar client has no "${resource}" methods`,
      { hint: "Build dwd-server with a @dwd/calendar that implements them" },
    );
  return r;
}

/**
 * Validated query parameters, as the client takes them.
 *
 * @param query the validated query
 * @returns the same object, typed
 */
export function queryParams(
  query: Record<string, unknown>,
): Record<string, string | number | boolean> {
  return query as Record<string, string | number | boolean>;
}
