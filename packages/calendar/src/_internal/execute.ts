import { nothingListens, retryAfterSeconds } from "@dwd/auth";
import { CalendarApiError } from "../calendar-api-error.ts";
import type { HasEtag, PreparedCall } from "../call-types.ts";
import { methods } from "../_generated/methods.ts";
import { markNotModified } from "../not-modified.ts";
import { backoffDelay, callContext, mayRetry } from "./client-context.ts";
import type { ClientContext } from "./client-context.ts";
import { createDeadline, raceSignal } from "./deadline.ts";
import type { Deadline } from "./deadline.ts";
import { parseGoogleError } from "./google-error.ts";
import { AnswerTooLargeError } from "./decoded-body.ts";
import { readBody } from "./read-body.ts";
import { toCalendarApiError } from "./to-calendar-api-error.ts";
import type { CallContext } from "./to-calendar-api-error.ts";

/** The scopes a call asks for. */
export function scopesOf(call: PreparedCall<unknown>): string[] {
  return [...(call.scopes ?? [])];
}

const etagOf = (v: string | HasEtag | undefined): string | undefined =>
  typeof v === "string" ? v : (v?.etag ?? undefined);

/** Path plus query string, relative to the API root. */
export function relativeUrl(call: PreparedCall<unknown>): string {
  const search = new URLSearchParams(call.query.map(([k, v]) => [k, v]));
  const qs = search.toString();
  return qs === "" ? call.path : `${call.path}?${qs}`;
}

/** The headers of one call (also of one batch part), without Authorization. */
export function callHeaders(
  ctx: ClientContext,
  call: PreparedCall<unknown>,
): Record<string, string> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (call.body !== undefined) headers["content-type"] = "application/json; charset=UTF-8";
  const ifMatch = etagOf(call.options.ifMatch);
  const ifNoneMatch = etagOf(call.options.ifNoneMatch);
  if (ifMatch !== undefined) headers["if-match"] = ifMatch;
  if (ifNoneMatch !== undefined) headers["if-none-match"] = ifNoneMatch;
  void ctx;
  return headers;
}

/** A received answer: status, headers and the body as text. */
export interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

/** Interprets an answer: the value, or the diagnosed error. */
export function interpret<T>(
  ctx: ClientContext,
  call: PreparedCall<T>,
  answer: Answer,
  cc: CallContext,
): { ok: true; value: T } | { ok: false; error: CalendarApiError } {
  if (answer.status >= 200 && answer.status < 300) {
    if (answer.status === 204 || answer.text.trim() === "")
      return { ok: true, value: undefined as T };
    try {
      return { ok: true, value: JSON.parse(answer.text) as T };
    } catch (error) {
      return {
        ok: false,
        error: new CalendarApiError(
          "unexpected_response",
          `Cannot read the answer of ${call.spec.id}: the body is not JSON`,
          {
            ...cc,
            status: answer.status,
            cause: error,
            hint: "Check that the API root URL points at the Calendar API (…/calendar/v3)",
          },
        ),
      };
    }
  }
  const held = call.options.ifNoneMatch;
  if (answer.status === 304 && typeof held === "object" && held !== null)
    return { ok: true, value: markNotModified(held as T) };
  const after = retryAfterSeconds(answer.headers.get("retry-after"), ctx.now());
  return {
    ok: false,
    error: toCalendarApiError(answer.status, parseGoogleError(answer.text), {
      ...cc,
      retryAfterSeconds: after,
    }),
  };
}

/**
 * The error for a request that got no answer. Retryable, except when nothing listens at the address
 * (refused, unknown host): one rule for API calls and token exchanges alike.
 */
export function unreachable(
  ctx: ClientContext,
  cc: CallContext,
  error: unknown,
  url: string,
): CalendarApiError {
  // fetch's network failure is a TypeError ("fetch failed") whose cause says what happened; say both,
  // once each (a transport that copies the cause's message into its own says it once).
  const outer = error instanceof Error ? error.message : String(error);
  const inner =
    error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  const detail = inner === undefined || inner === outer ? outer : `${outer}: ${inner}`;
  if (isTooLarge(error)) {
    // Not a network failure, and not retried: the same answer would come again.
    return new CalendarApiError(
      "answer_too_large",
      `Cannot call ${cc.method}: the answer of "${url}" is too large (${detail})`,
      {
        ...cc,
        status: 0,
        cause: error,
        hint: "Ask for less (maxResults, timeMin/timeMax, fields), or check the API root (rootUrl / --api-root / DWD_EMULATOR_HOST) and any proxy in between",
      },
    );
  }
  return new CalendarApiError(
    "api_unreachable",
    `Cannot call ${cc.method}: the Calendar API at "${url}" cannot be reached (${detail})`,
    {
      ...cc,
      status: 0,
      cause: error,
      retryable: !nothingListens(error),
      hint: "Check the network, or the API root (--api-root / rootUrl / DWD_EMULATOR_HOST) when using an emulator",
    },
  );
}

/** An answer past a size bound: the client's own on decoded bytes, or a transport's (`EFBIG`). */
function isTooLarge(error: unknown): boolean {
  if (error instanceof AnswerTooLargeError) return true;
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return cause?.code === "EFBIG";
}

/** The error for a call whose deadline passed. */
export function timedOut(cc: CallContext, ms: number, cause: unknown): CalendarApiError {
  return new CalendarApiError("timeout", `Cannot call ${cc.method}: no answer within ${ms} ms`, {
    ...cc,
    status: 0,
    cause,
    retryable: true,
    hint: "The API or the network is slow, hung or failing (retries count against the deadline too); raise the timeout (timeoutMs; CLI: --timeout), or try again later",
  });
}

/** The standard headers of every HTTP request the client sends. */
export function transportHeaders(ctx: ClientContext, token: string): Record<string, string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    "user-agent": ctx.userAgent,
  };
  if (ctx.gzip) headers["accept-encoding"] = "gzip";
  return headers;
}

/** Sends one call, with retries, one token refresh on 401, a deadline, and exactly-once inserts. */
export async function execute<T>(ctx: ClientContext, call: PreparedCall<T>): Promise<T> {
  const ms = call.options.timeoutMs ?? ctx.timeoutMs;
  const deadline = createDeadline(ms, call.options.signal);
  try {
    return await attempts(ctx, call, deadline, ms);
  } finally {
    deadline.clear();
  }
}

async function attempts<T>(
  ctx: ClientContext,
  call: PreparedCall<T>,
  deadline: Deadline,
  ms: number,
): Promise<T> {
  const scopes = scopesOf(call);
  const cc = callContext(ctx, call, scopes);
  const url = `${ctx.rootUrl}/${relativeUrl(call)}`;
  const signal = deadline.signal;
  const stop = (reason: unknown): never => {
    if (deadline.timedOut()) throw timedOut(cc, ms, reason);
    throw signal.reason;
  };
  let refreshed = false;
  let retries = 0;
  for (;;) {
    let error: CalendarApiError;
    // The token source's own errors (DelegationError with its diagnosis) pass through unchanged.
    const token = await raceSignal(
      ctx.tokenSource.getToken({ subject: call.subject, scopes, signal }),
      signal,
    ).catch((caught: unknown) => (signal.aborted ? stop(caught) : Promise.reject(caught as Error)));
    try {
      const init = {
        method: call.spec.httpMethod,
        headers: { ...transportHeaders(ctx, token.accessToken), ...callHeaders(ctx, call) },
        signal,
        redirect: "manual" as const, // the bearer token goes to the API root only
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
      };
      const response = await raceSignal(ctx.fetch(url, init), signal);
      const text = await raceSignal(readBody(response, { signal }), signal);
      if (response.status === 401 && !refreshed && ctx.tokenSource.invalidate !== undefined) {
        // A cached token may have been revoked: get a fresh one and try once more (not counted as a retry).
        refreshed = true;
        ctx.tokenSource.invalidate({ subject: call.subject, scopes });
        continue;
      }
      const result = interpret(
        ctx,
        call,
        { status: response.status, headers: response.headers, text },
        cc,
      );
      if (result.ok) return result.value;
      error = result.error;
    } catch (caught) {
      if (signal.aborted) stop(caught);
      error = unreachable(ctx, cc, caught, ctx.rootUrl);
    }
    if (retries > 0) {
      const settled = await settleRepeat(ctx, call, error);
      if (settled !== undefined) return settled.value;
    }
    if (!mayRetry(ctx, call, error, retries)) throw error;
    const delayMs = backoffDelay(ctx, retries, error);
    retries++;
    ctx.onRetry?.({
      attempt: retries,
      delayMs,
      error,
      method: call.spec.id,
      subject: call.subject,
      inBatch: false,
    });
    try {
      await ctx.retry.sleep(delayMs, signal);
    } catch (caught) {
      stop(caught);
    }
  }
}

/**
 * After a retry, some refusals mean an earlier attempt did succeed: a 409 `duplicate` on an insert
 * with our own event id (then the stored event is the answer), or 404/410 on a repeated delete.
 */
export async function settleRepeat<T>(
  ctx: ClientContext,
  call: PreparedCall<T>,
  error: CalendarApiError,
): Promise<{ value: T } | undefined> {
  if (call.spec.id === "calendar.events.insert" && error.status === 409) {
    const id = (call.body as { id?: string | undefined } | undefined)?.id;
    if (id === undefined) return undefined;
    const get: PreparedCall<T> = {
      spec: methods["events.get"],
      path: `${call.path}/${encodeURIComponent(id)}`,
      query: [],
      subject: call.subject,
      scopes: call.scopes,
      options: { signal: call.options.signal },
      calendarId: call.calendarId,
    };
    return { value: await execute(ctx, get) };
  }
  if (call.spec.httpMethod === "DELETE" && (error.code === "deleted" || error.code === "not_found"))
    return { value: undefined as T };
  return undefined;
}
