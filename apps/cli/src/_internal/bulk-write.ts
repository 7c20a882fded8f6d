// Bulk writes across users, exactly once: events created, patched or deleted for many users in batch
// requests (50 parts each, every part with its own user's token; the library sends again only the parts
// that failed for a passing reason). Each write is one the next run can recognise as done: an insert
// carries a client-chosen ID (Google's 409 duplicate means it is there), a patch is sent only when a field
// differs, a delete that finds the event gone did nothing. So a rerun changes nothing, and `--dry-run`
// sends reads only.
import type { CalendarCalls, Event, PreparedCall } from "@dwd/calendar";
import type { CalendarRun } from "./calendar-run.ts";
import { readyUsers } from "./calendar-run.ts";
import { canonicalJson } from "./event-id.ts";

/** What a bulk write did (or, with --dry-run, would do) to one event of one user. */
export type BulkStatus =
  | "created"
  | "exists"
  | "patched"
  | "deleted"
  | "unchanged"
  | "would-create"
  | "would-patch"
  | "would-delete"
  | "failed";

/** One NDJSON line of a bulk write. */
export interface BulkOutcome {
  line?: number;
  status: BulkStatus;
  id: string;
  subject?: string;
  calendarId: string;
  htmlLink?: string;
  error?: { code: string; message: string; hint?: string };
}

/** One write to make: whose, which event, and the call that makes it (given the user's scopes). */
export interface BulkItem {
  line?: number;
  subject: string | undefined;
  id: string;
}

/** What a part's answer means for its item. */
export type Judge<T> = (result: { ok: true; value: T } | { ok: false; error: unknown }) => {
  status: BulkStatus;
  htmlLink?: string | undefined;
  error?: unknown;
};

/** The error of a failed part as printed. */
export function errorFields(error: unknown): { code: string; message: string; hint?: string } {
  const e = error as { code?: unknown; message?: unknown; hint?: unknown } | undefined;
  return {
    code: typeof e?.code === "string" ? e.code : "error",
    message: typeof e?.message === "string" ? e.message : String(error),
    ...(typeof e?.hint === "string" ? { hint: e.hint } : {}),
  };
}

/**
 * Runs one batched call per item (users whose token cannot be had fail without a call) and judges each
 * answer. Outcomes come back in input order.
 */
export async function batchEach<T>(
  run: CalendarRun,
  calendarId: string,
  items: readonly BulkItem[],
  call: (calls: CalendarCalls, item: BulkItem, scopes: string[]) => PreparedCall<T>,
  judge: Judge<T>,
): Promise<BulkOutcome[]> {
  const subjects = [...new Set(items.map((i) => i.subject))];
  const ready = await readyUsers(run, subjects);
  const scopesOf = new Map(subjects.map((s, i) => [s, ready[i]]));
  const outcomes: BulkOutcome[] = [];
  const base = (item: BulkItem): BulkOutcome => ({
    ...(item.line !== undefined ? { line: item.line } : {}),
    status: "failed",
    id: item.id,
    ...(item.subject !== undefined ? { subject: item.subject } : {}),
    calendarId,
  });
  const sendable: { index: number; item: BulkItem; scopes: string[] }[] = [];
  for (const [index, item] of items.entries()) {
    const r = scopesOf.get(item.subject);
    if (r !== undefined && "scopes" in r) sendable.push({ index, item, scopes: r.scopes });
    else outcomes[index] = { ...base(item), error: errorFields(r?.error) };
  }
  if (sendable.length > 0) {
    const results = await run.client.batch(
      sendable.map(({ item, scopes }) => call(run.client.calls.as(item.subject), item, scopes)),
      { concurrency: run.concurrency },
    );
    for (const [i, result] of results.entries()) {
      const s = sendable[i];
      if (s === undefined) continue;
      const verdict = judge(
        result.ok ? { ok: true, value: result.value } : { ok: false, error: result.error },
      );
      outcomes[s.index] = {
        ...base(s.item),
        status: verdict.status,
        ...(verdict.htmlLink ? { htmlLink: verdict.htmlLink } : {}),
        ...(verdict.status === "failed" ? { error: errorFields(verdict.error) } : {}),
      };
    }
  }
  return outcomes;
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

/**
 * An insert's answer. 409 duplicate is the event already there. The library resolves a 409 after its own
 * retry to the stored event (an earlier attempt of this run made it, or an earlier run did), so an event
 * whose `created` time is before `since` (when this run began, ms) was there already: `exists`.
 */
export function judgeInsert(since: number): Judge<Event> {
  return (r) => {
    if (!r.ok)
      return codeOf(r.error) === "duplicate"
        ? { status: "exists" }
        : { status: "failed", error: r.error };
    const created = r.value.created ? Date.parse(r.value.created) : Number.NaN;
    // A time given to the second is compared with the second this run began in.
    const from = /\.\d/.test(r.value.created ?? "") ? since : Math.floor(since / 1000) * 1000;
    return created < from
      ? { status: "exists" }
      : { status: "created", htmlLink: r.value.htmlLink ?? undefined };
  };
}

/** A dry run's read of an event to create: there (unchanged) or not (would-create). */
export const judgeWouldCreate: Judge<Event> = (r) =>
  r.ok
    ? { status: "unchanged" }
    : codeOf(r.error) === "not_found" || codeOf(r.error) === "deleted"
      ? { status: "would-create" }
      : { status: "failed", error: r.error };

/** A delete's answer: gone already (404/410) is unchanged, the event was not there to delete. */
export const judgeDelete: Judge<unknown> = (r) =>
  r.ok
    ? { status: "deleted" }
    : codeOf(r.error) === "not_found" || codeOf(r.error) === "deleted"
      ? { status: "unchanged" }
      : { status: "failed", error: r.error };

/** A patch's answer. */
export const judgePatch: Judge<Event> = (r) =>
  r.ok
    ? { status: "patched", htmlLink: r.value.htmlLink ?? undefined }
    : { status: "failed", error: r.error };

/**
 * Whether `event` already holds every field of `patch` (objects compared field by field, lists and
 * values as a whole): then a patch would change nothing and is not sent.
 */
export function patchApplies(event: unknown, patch: unknown): boolean {
  if (patch !== null && typeof patch === "object" && !Array.isArray(patch)) {
    if (event === null || typeof event !== "object" || Array.isArray(event)) return false;
    return Object.entries(patch as Record<string, unknown>).every(([k, v]) =>
      patchApplies((event as Record<string, unknown>)[k], v),
    );
  }
  if (patch === null) return event === undefined || event === null;
  return canonicalJson(event) === canonicalJson(patch);
}

/** Failed outcomes a bulk run keeps to list on stderr at its end; the rest are counted (and on stdout). */
const FAILURES_LISTED = 50;
/** Distinct hints a bulk run keeps for its end. */
const HINTS_KEPT = 10;

/**
 * What a bulk run has printed so far, kept flat in the number of events: counts by status, the first
 * {@link FAILURES_LISTED} failures (each outcome, failed or not, is already a line on stdout) and their
 * first distinct hints.
 */
export interface BulkTally {
  events: number;
  readonly counts: Map<BulkStatus, number>;
  readonly failures: BulkOutcome[];
  readonly hints: Set<string>;
}

/** An empty tally. */
export function bulkTally(): BulkTally {
  return { events: 0, counts: new Map(), failures: [], hints: new Set() };
}

/** Counts `outcome` into `tally`. */
export function tallyOutcome(tally: BulkTally, outcome: BulkOutcome): void {
  tally.events++;
  tally.counts.set(outcome.status, (tally.counts.get(outcome.status) ?? 0) + 1);
  if (outcome.status !== "failed") return;
  if (tally.failures.length < FAILURES_LISTED) tally.failures.push(outcome);
  if (outcome.error?.hint !== undefined && tally.hints.size < HINTS_KEPT)
    tally.hints.add(outcome.error.hint);
}

/** The summary line of a bulk run: its counts (`kind`, e.g. "created", always shown), requests and time. */
export function bulkSummary(
  tally: BulkTally,
  run: Pick<CalendarRun, "session" | "startedAt">,
  users: number,
  kind: string,
): string {
  const count = (...statuses: BulkStatus[]): number =>
    statuses.reduce((n, status) => n + (tally.counts.get(status) ?? 0), 0);
  const parts = [
    ["created", count("created")],
    ["patched", count("patched")],
    ["deleted", count("deleted")],
    ["would create", count("would-create")],
    ["would patch", count("would-patch")],
    ["would delete", count("would-delete")],
  ] as const;
  const shown = parts.filter(([label, n]) => n > 0 || label === kind).map(([l, n]) => `${n} ${l}`);
  const { requests, tokenExchanges, retries } = run.session.stats;
  const elapsed = Math.max(0, Date.now() - run.startedAt);
  const seconds = elapsed >= 10_000 ? Math.round(elapsed / 1000) : (elapsed / 1000).toFixed(1);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `summary: ${plural(tally.events, "event")} of ${plural(users, "user")}: ${[...shown, `${count("exists", "unchanged")} unchanged`, `${count("failed")} failed`].join(", ")}; ${plural(requests, "request")}, ${plural(tokenExchanges, "token exchange")}, ${retries} ${retries === 1 ? "retry" : "retries"}; ${seconds} s`;
}
