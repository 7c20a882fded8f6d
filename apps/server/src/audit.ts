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
  sink(redactSecrets(JSON.stringify(record)));
}
