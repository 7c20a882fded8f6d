import { DelegationError, DwdError, KeyError, KeylessError } from "@dwd/auth";
import type { BatchPartError } from "../batch-result.ts";
import { CalendarApiError } from "../calendar-api-error.ts";
import type { PreparedCall } from "../call-types.ts";
import { boundaryOf, encodeBatch, parseBatch, readBatchAnswer } from "./batch-wire.ts";
import type { BatchPart, BatchPartAnswer } from "./batch-wire.ts";
import { backoffDelay, callContext, mayRetry } from "./client-context.ts";
import type { ClientContext } from "./client-context.ts";
import { createDeadline, raceSignal } from "./deadline.ts";
import {
  callHeaders,
  interpret,
  relativeUrl,
  scopesOf,
  settleRepeat,
  timedOut,
  transportHeaders,
  unreachable,
} from "./execute.ts";
import { parseGoogleError } from "./google-error.ts";
import { readBody } from "./read-body.ts";
import { toCalendarApiError } from "./to-calendar-api-error.ts";

/** One call's outcome in a batch, with the call's method and acting user. */
export type Settled = ({ ok: true; value: unknown } | { ok: false; error: BatchPartError }) & {
  method: string;
  subject?: string | undefined;
};

type Outcome = { ok: true; value: unknown } | { ok: false; error: BatchPartError };
type TokenOutcome = { ok: true; token: string } | { ok: false; error: unknown };

/** Options of one batch run (resolved). */
export interface RunBatchOptions {
  chunkSize: number;
  concurrency: number;
  signal?: AbortSignal | undefined;
}

interface Slot {
  index: number;
  call: PreparedCall<unknown>;
  retries: number;
  refreshed: boolean;
  outcome?: Outcome | undefined;
  /** The failure that may be retried in the next round. */
  pending?: CalendarApiError | undefined;
}

const tokenKey = (subject: string | undefined, scopes: readonly string[]): string =>
  `${subject ?? ""}\n${[...scopes].sort().join(" ")}`;

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}

/**
 * Sends calls as `multipart/mixed` batches of `chunkSize`, each part with its own Authorization (so one
 * batch acts as many users). Results are matched by Content-ID; only parts that failed retryably are sent
 * again (in a later, smaller batch), with the same backoff as single calls.
 */
export async function runBatch(
  ctx: ClientContext,
  calls: readonly PreparedCall<unknown>[],
  options: RunBatchOptions,
): Promise<Settled[]> {
  const slots: Slot[] = calls.map((call, index) => ({ index, call, retries: 0, refreshed: false }));
  const idPrefix = `dwd-${Math.floor(ctx.retry.random() * 2 ** 48).toString(36)}`;
  const signal = options.signal ?? new AbortController().signal;
  let round = 0;
  for (;;) {
    const open = slots.filter((s) => s.outcome === undefined);
    if (open.length === 0) break;
    const chunks: Slot[][] = [];
    for (let i = 0; i < open.length; i += options.chunkSize)
      chunks.push(open.slice(i, i + options.chunkSize));
    await mapLimit(chunks, options.concurrency, (chunk) =>
      sendChunk(ctx, chunk, `${idPrefix}-${round}`, signal),
    );
    round++;
    // Decide, part by part, what the failures of this round mean.
    const again: Slot[] = [];
    for (const s of slots) {
      if (s.pending === undefined) continue;
      const error = s.pending;
      s.pending = undefined;
      if (s.retries > 0) {
        const settled = await settleRepeat(ctx, s.call, error).catch((e: unknown) => ({
          error: partError(ctx, s.call, e, signal),
        }));
        if (settled !== undefined) {
          s.outcome =
            "error" in settled
              ? { ok: false, error: settled.error }
              : { ok: true, value: settled.value };
          continue;
        }
      }
      if (mayRetry(ctx, s.call, error, s.retries)) again.push(s);
      else s.outcome = { ok: false, error };
    }
    if (again.length === 0) continue;
    let delayMs = 0;
    for (const s of again) {
      delayMs = Math.max(delayMs, backoffDelay(ctx, s.retries, lastError.get(s)!));
    }
    for (const s of again) {
      s.retries++;
      ctx.onRetry?.({
        attempt: s.retries,
        delayMs,
        error: lastError.get(s)!,
        method: s.call.spec.id,
        subject: s.call.subject,
        inBatch: true,
      });
    }
    try {
      await ctx.retry.sleep(delayMs, signal);
    } catch (caught) {
      for (const s of slots)
        if (s.outcome === undefined)
          s.outcome = { ok: false, error: partError(ctx, s.call, caught, signal) };
    }
  }
  return slots.map((s) => ({
    ...s.outcome!,
    method: s.call.spec.id,
    ...(s.call.subject !== undefined ? { subject: s.call.subject } : {}),
  }));
}

/** A part's token, or why there is none: never a rejection (see `sendChunk`). */
function settleToken(
  ctx: ClientContext,
  subject: string | undefined,
  scopes: string[],
  signal: AbortSignal,
): Promise<TokenOutcome> {
  let pending: Promise<{ accessToken: string }>;
  try {
    pending = ctx.tokenSource.getToken({ subject, scopes, signal });
  } catch (error) {
    return Promise.resolve({ ok: false, error });
  }
  return pending.then(
    (t): TokenOutcome => ({ ok: true, token: t.accessToken }),
    (error: unknown): TokenOutcome => ({ ok: false, error }),
  );
}

/**
 * A part's failure as one of dwd's errors: dwd's own pass unchanged; the batch's signal aborting, a
 * token source that is not dwd's failing (`from` "token"), or anything else become a
 * {@link CalendarApiError} that keeps it as `cause`.
 */
function partError(
  ctx: ClientContext,
  call: PreparedCall<unknown>,
  error: unknown,
  signal: AbortSignal,
  from: "token" | "call" = "call",
): BatchPartError {
  if (
    error instanceof CalendarApiError ||
    error instanceof DelegationError ||
    error instanceof KeylessError ||
    error instanceof KeyError
  )
    return error;
  const cc = callContext(ctx, call, scopesOf(call));
  const detail = error instanceof Error ? error.message : String(error);
  if (signal.aborted)
    return new CalendarApiError(
      "aborted",
      `Cannot call ${cc.method}: the batch was aborted (${detail})`,
      {
        ...cc,
        status: 0,
        cause: error,
        hint: "The signal passed to batch() aborted it; parts answered before keep their results",
      },
    );
  if (from === "token")
    return new CalendarApiError(
      "token_source_error",
      `Cannot call ${cc.method}: the token source failed (${detail})`,
      {
        ...cc,
        status: 0,
        cause: error,
        hint: "The tokenSource given to createCalendarClient threw; see the cause",
      },
    );
  return new CalendarApiError("unexpected_response", `Cannot call ${cc.method}: ${detail}`, {
    ...cc,
    status: 0,
    cause: error,
    hint: "An unexpected failure while reading the batch answer; see the cause",
  });
}

// The last retryable failure of each slot, for the backoff and the onRetry hook.
const lastError = new WeakMap<Slot, CalendarApiError>();

function fail(s: Slot, error: CalendarApiError): void {
  lastError.set(s, error);
  s.pending = error;
}

async function sendChunk(
  ctx: ClientContext,
  chunk: Slot[],
  prefix: string,
  outer: AbortSignal,
): Promise<void> {
  // One token per (subject, scopes), fetched concurrently; a token failure fails only its parts. Each
  // exchange is settled where it starts (a rejection becomes a value), so one that fails while an earlier
  // one is still awaited below is never a rejection nobody listens to.
  const tokens = new Map<string, Promise<TokenOutcome>>();
  for (const s of chunk) {
    const scopes = scopesOf(s.call);
    const k = tokenKey(s.call.subject, scopes);
    if (!tokens.has(k)) tokens.set(k, settleToken(ctx, s.call.subject, scopes, outer));
  }
  const live: { slot: Slot; token: string }[] = [];
  for (const s of chunk) {
    const got = await tokens.get(tokenKey(s.call.subject, scopesOf(s.call)))!;
    if (got.ok) live.push({ slot: s, token: got.token });
    else s.outcome = { ok: false, error: partError(ctx, s.call, got.error, outer, "token") };
  }
  if (live.length === 0) return;
  const servicePath = new URL(`${ctx.rootUrl}/`).pathname;
  const parts: BatchPart[] = live.map(({ slot, token }) => ({
    contentId: `${prefix}-${slot.index}`,
    method: slot.call.spec.httpMethod,
    path: `${servicePath}${relativeUrl(slot.call)}`,
    headers: { authorization: `Bearer ${token}`, ...callHeaders(ctx, slot.call) },
    ...(slot.call.body !== undefined ? { body: JSON.stringify(slot.call.body) } : {}),
  }));
  const boundary = `batch_${prefix}`;
  const deadline = createDeadline(ctx.timeoutMs, outer);
  // Each part is settled as soon as its answer arrives; what never arrived fails after the read.
  const waiting = new Map(live.map(({ slot }) => [`${prefix}-${slot.index}`, slot]));
  const settle = (id: string, answer: BatchPartAnswer): void => {
    const slot = waiting.get(id);
    if (slot === undefined) return;
    waiting.delete(id);
    const scopes = scopesOf(slot.call);
    if (answer.status === 401 && !slot.refreshed && ctx.tokenSource.invalidate !== undefined) {
      slot.refreshed = true;
      ctx.tokenSource.invalidate({ subject: slot.call.subject, scopes });
      return; // still open: sent again next round, not counted as a retry
    }
    const result = interpret(ctx, slot.call, answer, callContext(ctx, slot.call, scopes));
    if (result.ok) slot.outcome = { ok: true, value: result.value };
    else fail(slot, result.error);
  };
  try {
    const headers = {
      ...transportHeaders(ctx, live[0]!.token),
      "content-type": `multipart/mixed; boundary=${boundary}`,
    };
    const response = await raceSignal(
      ctx.fetch(ctx.batchUrl, {
        method: "POST",
        headers,
        body: encodeBatch(parts, boundary),
        signal: deadline.signal,
        redirect: "manual", // the parts' bearer tokens go to the batch endpoint only
      }),
      deadline.signal,
    );
    const responseBoundary = boundaryOf(response.headers.get("content-type"));
    if (response.status !== 200 || responseBoundary === undefined) {
      // The whole batch was refused (outage, rate limit at the front door): every part shares the failure.
      const text = await raceSignal(
        readBody(response, { signal: deadline.signal }),
        deadline.signal,
      );
      for (const { slot } of live) {
        const cc = callContext(ctx, slot.call, scopesOf(slot.call));
        fail(slot, toCalendarApiError(response.status, parseGoogleError(text), cc));
      }
      return;
    }
    if (response.body != null)
      await readBatchAnswer(response.body, responseBoundary, settle, deadline.signal);
    else {
      const text = await raceSignal(
        readBody(response, { signal: deadline.signal }),
        deadline.signal,
      );
      for (const [id, answer] of parseBatch(text, responseBoundary)) settle(id, answer);
    }
  } catch (caught) {
    // The answers read before the failure stand; only the parts still waiting share it.
    const open = [...waiting.values()];
    if (outer.aborted) {
      for (const slot of open)
        slot.outcome = { ok: false, error: partError(ctx, slot.call, outer.reason, outer) };
      return;
    }
    for (const slot of open) {
      const cc = callContext(ctx, slot.call, scopesOf(slot.call));
      if (caught instanceof DwdError)
        slot.outcome = { ok: false, error: partError(ctx, slot.call, caught, outer) };
      else
        fail(
          slot,
          deadline.timedOut()
            ? timedOut(cc, ctx.timeoutMs, caught)
            : unreachable(ctx, cc, caught, ctx.batchUrl),
        );
    }
    return;
  } finally {
    deadline.clear();
  }
  for (const slot of waiting.values()) {
    const cc = callContext(ctx, slot.call, scopesOf(slot.call));
    fail(
      slot,
      unreachable(ctx, cc, new Error("the batch response has no part for this call"), ctx.batchUrl),
    );
  }
}
