// `dwd events create|patch|delete` across many users: the same event for every user, CSV rows with their
// own users, or the events a filter selects in each user's calendar. Batched and exactly once (see
// bulk-write.ts); one NDJSON line per (user, event), a summary and the failures on stderr.
import type { Event } from "@dwd/calendar";
import type { CalendarRun, Lister } from "../_internal/calendar-run.ts";
import { batchSize, listAcrossUsers } from "../_internal/calendar-run.ts";
import type { BulkItem, BulkOutcome, BulkTally } from "../_internal/bulk-write.ts";
import {
  batchEach,
  bulkSummary,
  bulkTally,
  errorFields,
  judgeDelete,
  judgeInsert,
  judgePatch,
  judgeWouldCreate,
  patchApplies,
  tallyOutcome,
} from "../_internal/bulk-write.ts";
import { deterministicEventId } from "../_internal/event-id.ts";

type SendUpdates = { sendUpdates?: "all" | "externalOnly" | "none" };

/** One event to create for one user. */
export interface CreateRow {
  line: number;
  subject: string | undefined;
  event: Event;
}

/** Writes each outcome as its NDJSON line on stdout and counts it (the run keeps no list of them). */
function printer(run: CalendarRun): {
  tally: BulkTally;
  print: (outcomes: readonly BulkOutcome[]) => void;
} {
  const tally = bulkTally();
  return {
    tally,
    print: (outcomes) => {
      for (const o of outcomes) {
        run.io.out(JSON.stringify(o));
        tallyOutcome(tally, o);
      }
    },
  };
}

/** Prints the failures (the first ones, a count of the rest) and the summary; the exit code (1 when any failed). */
function finish(run: CalendarRun, tally: BulkTally, kind: string): number {
  const failed = tally.counts.get("failed") ?? 0;
  if (failed > 0) {
    const label = (text: string, style: "red" | "yellow"): string =>
      run.io.styleErr(style, run.io.styleErr("bold", text));
    run.io.err(`${label("error:", "red")} ${failed} of ${tally.events} events failed:`);
    for (const f of tally.failures)
      run.io.err(
        `  ${[f.subject, f.line !== undefined ? `line ${f.line}` : undefined, f.id || undefined]
          .filter((p) => p !== undefined)
          .join(" ")}: ${f.error?.code ?? ""}: ${f.error?.message ?? ""}`,
      );
    if (failed > tally.failures.length)
      run.io.err(
        `  … and ${failed - tally.failures.length} more (each is a line with "status":"failed" on stdout)`,
      );
    for (const hint of tally.hints) run.io.err(`${label("hint:", "yellow")} ${hint}`);
    run.io.err(
      `${label("hint:", "yellow")} Run the same command again: what was ${kind} is recognised and left as it is, only the rest is sent`,
    );
  }
  run.io.err(bulkSummary(tally, run, run.subjects.length, kind));
  return failed > 0 ? 1 : 0;
}

/**
 * Creates (or imports) each row's event for its user in batches, with an ID derived from the event,
 * calendar and user unless the row has one; with `dryRun`, reads each ID instead and prints
 * would-create or unchanged.
 */
export async function createMany(
  kind: "insert" | "import",
  run: CalendarRun,
  calendarId: string,
  rows: readonly CreateRow[],
  options: { dryRun: boolean; conference: boolean; sendUpdates: SendUpdates },
): Promise<number> {
  // When this run began, on the wall clock (an event created before it was there already).
  const since = run.startedAt;
  const { tally, print } = printer(run);
  const window = windowSize(run);
  for (let from = 0; from < rows.length; from += window)
    print(
      await createWindow(kind, run, calendarId, rows.slice(from, from + window), since, options),
    );
  return finish(run, tally, "created");
}

/**
 * Rows (or users) in one window of a bulk write: two rounds of --concurrency batches. Each window's outcomes
 * are printed when it is done, so what the run holds stays the size of a window, not of the input (100,000
 * rows of a CSV are 100 windows, not 100,000 outcomes kept to the end).
 */
const windowSize = (run: CalendarRun): number => 2 * Math.max(1, run.concurrency) * batchSize;

/** {@link createMany} for one window of rows: their outcomes, in the rows' order. */
async function createWindow(
  kind: "insert" | "import",
  run: CalendarRun,
  calendarId: string,
  rows: readonly CreateRow[],
  since: number,
  options: { dryRun: boolean; conference: boolean; sendUpdates: SendUpdates },
): Promise<BulkOutcome[]> {
  const bodies = new Map<BulkItem, Event>();
  const items: BulkItem[] = rows.map(({ line, subject, event }) => {
    const id = event.id ?? deterministicEventId(event, calendarId, subject);
    const body: Event = { ...event, id };
    if (options.conference && kind === "insert" && body.conferenceData === undefined)
      body.conferenceData = {
        createRequest: { requestId: id, conferenceSolutionKey: { type: "hangoutsMeet" } },
      };
    const item = { line, subject, id };
    bodies.set(item, body);
    return item;
  });
  return options.dryRun
    ? await batchEach(
        run,
        calendarId,
        items,
        (calls, item, scopes) => calls.events.get(calendarId, item.id, { scopes }),
        judgeWouldCreate,
      )
    : await batchEach(
        run,
        calendarId,
        items,
        (calls, item, scopes) => {
          const body = bodies.get(item) ?? {};
          const params = {
            ...options.sendUpdates,
            ...(body.conferenceData ? { conferenceDataVersion: 1 } : {}),
            scopes,
          };
          return kind === "insert"
            ? calls.events.insert(calendarId, body, params)
            : calls.events.import(calendarId, body, params);
        },
        judgeInsert(since),
      );
}

/** Which events a patch or delete across users acts on: one ID, or what an events.list filter finds. */
export type Selection =
  { kind: "id"; id: string } | { kind: "filter"; params: Record<string, unknown> };

/**
 * Patches or deletes the selected events of every user of the run. A delete that finds the event gone,
 * and a patch whose fields the event already has, are `unchanged` and send nothing; `dryRun` sends no
 * write at all.
 */
export async function changeMany(
  kind: "patch" | "delete",
  run: CalendarRun,
  calendarId: string,
  selection: Selection,
  options: { dryRun: boolean; patch?: Event; sendUpdates: SendUpdates },
): Promise<number> {
  const { tally, print } = printer(run);
  // Each window's users have their events found, written and printed before the next window's are looked
  // for, so what the run holds is one window's events.
  const window = windowSize(run);
  for (let from = 0; from < run.subjects.length; from += window) {
    const subjects = run.subjects.slice(from, from + window);
    print(await changeWindow(kind, { ...run, subjects }, calendarId, selection, options));
  }
  return finish(run, tally, kind === "patch" ? "patched" : "deleted");
}

/** {@link changeMany} for the users of `run` (one window of them): their outcomes, in the users' order. */
async function changeWindow(
  kind: "patch" | "delete",
  run: CalendarRun,
  calendarId: string,
  selection: Selection,
  options: { dryRun: boolean; patch?: Event; sendUpdates: SendUpdates },
): Promise<BulkOutcome[]> {
  // First each user's events as they are now: listed by the filter, or read by ID.
  const found: { subject: string | undefined; event: Event }[] = [];
  let outcomes: BulkOutcome[] = [];
  if (selection.kind === "filter") {
    const lister: Lister<Event> = {
      method: "events.list",
      all: (client, scopes) => client.events.all(calendarId, { ...selection.params, scopes }),
      page: (calls, scopes, pageToken) =>
        calls.events.list(calendarId, {
          ...selection.params,
          maxResults: 2500,
          pageToken,
          scopes,
        }),
    };
    const failures = await listAcrossUsers(
      run,
      lister,
      (subject, event) => {
        if (event.status !== "cancelled") found.push({ subject, event });
      },
      { batch: true },
    );
    outcomes = failures.map((f) => ({
      status: "failed",
      id: "",
      ...(f.subject !== undefined ? { subject: f.subject } : {}),
      calendarId,
      error: errorFields(f.error),
    }));
  } else {
    const reads = await batchEach(
      run,
      calendarId,
      run.subjects.map((subject) => ({ subject, id: selection.id })),
      (calls, item, scopes) => calls.events.get(calendarId, item.id, { scopes }),
      (r) => {
        if (r.ok) {
          // A cancelled event is one already deleted: nothing to do.
          if (r.value.status === "cancelled") return { status: "unchanged" };
          found.push({ subject: undefined, event: r.value });
          return { status: "would-patch" };
        }
        const code = (r.error as { code?: unknown }).code;
        return code === "not_found" || code === "deleted"
          ? { status: "unchanged" }
          : { status: "failed", error: r.error };
      },
    );
    // The reads that found the event are written below; the rest are final.
    let k = 0;
    for (const r of reads) {
      if (r.status === "would-patch") {
        const f = found[k++];
        if (f !== undefined) f.subject = r.subject;
      } else outcomes.push(r);
    }
  }
  const patch = options.patch ?? {};
  const todo: { item: BulkItem; event: Event }[] = [];
  for (const { subject, event } of found) {
    const item = { subject, id: event.id ?? "" };
    const base = { id: item.id, ...(subject !== undefined ? { subject } : {}), calendarId };
    if (kind === "patch" && patchApplies(event, patch))
      outcomes.push({ ...base, status: "unchanged" });
    else if (options.dryRun)
      outcomes.push({ ...base, status: kind === "patch" ? "would-patch" : "would-delete" });
    else todo.push({ item, event });
  }
  if (todo.length > 0) {
    const items = todo.map((t) => t.item);
    outcomes.push(
      ...(kind === "patch"
        ? await batchEach(
            run,
            calendarId,
            items,
            (calls, item, scopes) =>
              calls.events.patch(calendarId, item.id, patch, {
                ...options.sendUpdates,
                ...(patch.conferenceData ? { conferenceDataVersion: 1 } : {}),
                scopes,
              }),
            judgePatch,
          )
        : await batchEach(
            run,
            calendarId,
            items,
            (calls, item, scopes) =>
              calls.events.delete(calendarId, item.id, { ...options.sendUpdates, scopes }),
            judgeDelete,
          )),
    );
  }
  const order = new Map(run.subjects.map((s, i) => [s, i]));
  return outcomes.sort((a, b) => (order.get(a.subject) ?? 0) - (order.get(b.subject) ?? 0));
}
