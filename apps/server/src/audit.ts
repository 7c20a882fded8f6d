/**
 * Audit: one JSON line per request — who called, as whom, what, on which calendar, the outcome, the
 * status, how long it took and Google's reason on failure. Never a token, a key or an event body; each
 * line passes through `redactSecrets` on its way out all the same.
 *
 * @module
 */

import { redactSecrets } from "@dwd/auth";

/** One audit record. */
export interface AuditRecord {
  /** ISO time the request arrived. */
  time: string;
  /** Request ID (also the `x-request-id` response header). */
  requestId: string;
  /** The caller's name; absent when unauthenticated. */
  caller?: string;
  /** The subject(s) acted as. */
  subject?: string | string[];
  /** The operation (policy name), or the route for operational endpoints. */
  operation: string;
  /** The calendar, when the operation is about one. */
  calendar?: string;
  /** `ok`, `denied` (policy, auth, rate), `invalid` (bad request) or `failed` (upstream or server). */
  outcome: "ok" | "denied" | "invalid" | "failed";
  status: number;
  /** Milliseconds. */
  durationMs: number;
  /** The dwd code of a failure or denial. */
  code?: string;
  /** Google's reason, when Google refused. */
  googleReason?: string;
  /** Scopes used (token broker). */
  scopes?: string[];
  /** W3C trace ID of the caller's `traceparent`, and this server's span in that trace. */
  traceId?: string;
  spanId?: string;
}

/** Where audit lines go. */
export type AuditSink = (line: string) => void;

/**
 * Writes one record as one JSON line.
 *
 * @param sink where the line goes
 * @param record the record
 */
export function writeAudit(sink: AuditSink, record: AuditRecord): void {
  sink(escapeInvisible(redactSecrets(JSON.stringify(record))));
}

// What JSON.stringify leaves raw that a terminal or log viewer acts on: DEL and C1 controls, line and
// paragraph separators, bidirectional overrides and isolates (as the CLI's output escapes them).
const invisible = /[\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/**
 * Writes the characters a reader of the log would not see (or would see reordered) as JSON `\uXXXX`
 * escapes: the line parses to the same record.
 *
 * @param line one JSON line
 * @returns the line with those characters escaped
 */
export function escapeInvisible(line: string): string {
  return line.replace(invisible, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
