import type { MethodSpec } from "./method-spec.ts";

/** Anything that carries an ETag: a resource the caller already holds. */
export interface HasEtag {
  /** The resource's `etag`, a quoted string such as `"3381234567890000"`. */
  etag?: string | null | undefined;
}

/**
 * Options every call takes, next to the method's own query parameters.
 *
 * @example
 * ```ts
 * await cal.events.get("primary", id, { ifNoneMatch: held, signal: AbortSignal.timeout(5_000) });
 * ```
 */
export interface CallOptions {
  /** Aborts the call (and its retries); the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Act as this user for this call only (domain-wide delegation). */
  subject?: string | undefined;
  /** Scopes for this call only. */
  scopes?: readonly string[] | undefined;
  /** Send `If-Match`: the write fails with `precondition_failed` (412) when the resource changed since. */
  ifMatch?: string | HasEtag | undefined;
  /**
   * Send `If-None-Match`. Pass the resource you hold: on 304 Not Modified the call returns that very
   * object (and {@link wasNotModified} says so). With only an ETag string a 304 is a `not_modified` error.
   */
  ifNoneMatch?: string | HasEtag | undefined;
  /** Partial response: `fields=items(id,summary),nextPageToken`. */
  fields?: string | undefined;
  /** Charge the per-user quota to this string (Google's `quotaUser`), e.g. the subject's email. */
  quotaUser?: string | undefined;
  /** Total time for this call including retries; default the client's `timeoutMs`. */
  timeoutMs?: number | undefined;
}

/** The names of {@link CallOptions}, kept apart from query parameters. */
export const callOptionNames: ReadonlySet<string> = new Set([
  "signal",
  "subject",
  "scopes",
  "ifMatch",
  "ifNoneMatch",
  "fields",
  "quotaUser",
  "timeoutMs",
]);

declare const resultType: unique symbol;

/**
 * One call described but not sent: what a batch is made of. Build it with the same typed methods as a
 * single request, from `cal.calls` (or the builder a batch callback receives).
 *
 * @example
 * ```ts
 * const call = cal.calls.events.list("primary", { maxResults: 10 });
 * const [result] = await cal.batch([call]);
 * ```
 */
export interface PreparedCall<T> {
  /** The method's row of the table. */
  readonly spec: MethodSpec;
  /** Path relative to the API root, parameters filled in and escaped. */
  readonly path: string;
  /** Query parameters, in order (repeated parameters appear once per value). */
  readonly query: readonly (readonly [string, string])[];
  /** The JSON request body, when the method has one. */
  readonly body?: unknown;
  /** The acting user; absent for the service account itself. */
  readonly subject?: string | undefined;
  /** The scopes to request; absent for the client's default. */
  readonly scopes?: readonly string[] | undefined;
  /** Options of the call (ETags, signal, timeout). */
  readonly options: CallOptions;
  /** The calendar the call is about, for diagnoses. */
  readonly calendarId?: string | undefined;
  /** Phantom: the result type. */
  readonly [resultType]?: T | undefined;
}

/** What a method returns, by kind: a promise from a client, a prepared call from a batch builder. */
export interface CallResult<T> {
  /** A client sends the call at once. */
  promise: Promise<T>;
  /** A batch builder describes it. */
  prepared: PreparedCall<T>;
}

/** The kinds of {@link CallResult}. */
export type ResultKind = keyof CallResult<unknown>;
