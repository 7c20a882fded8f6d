import type { FreeBusyResponse } from "@dwd/calendar";
import { defineCommand } from "citty";
import { stringArg } from "../_internal/args.ts";
import {
  endRun,
  listArgs,
  openCalendarRun,
  readyUsers,
  runFlags,
  runProgress,
} from "../_internal/calendar-run.ts";
import type { CalendarRun } from "../_internal/calendar-run.ts";
import type { BusyInterval, GridInput, GridRow } from "../_internal/grid.ts";
import { renderFreeBusyGrid } from "../_internal/grid.ts";
import type { Io } from "../_internal/io.ts";
import { keyOptionsFrom } from "../_internal/session.ts";
import { ioOf, printJson } from "../_internal/io.ts";
import type { SubjectFailure } from "../_internal/many-users.ts";
import { forEachSubject } from "../_internal/many-users.ts";
import { csvFields, csvRecord, fieldsArg, fieldText } from "../_internal/csv.ts";
import { outputMode } from "../_internal/output.ts";
import type { Terminal } from "../_internal/terminal.ts";
import { processTerminal } from "../_internal/terminal.ts";
import { rfc3339, timeRange, timeRangeArgs, timeZoneArg } from "../_internal/time-args.ts";
import { UsageError } from "../_internal/usage-error.ts";

type Args = Record<string, unknown>;

/** One user's answer: busy intervals, or the reason Google gave for not saying. */
export interface UserFreeBusy {
  subject: string | undefined;
  calendar: string;
  busy: { start: string; end: string }[];
  /** Google's per-calendar errors (`notFound`, `internalError`), or the failure of the call. */
  errors?: string[];
}

function slotMinutes(args: Args): number {
  const value = stringArg(args, "slot");
  if (value === undefined) return 30;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 5 || n > 240)
    throw new UsageError(
      `Invalid --slot "${value}": not a number of minutes from 5 to 240`,
      "Give the slot length in minutes, e.g. --slot 30",
    );
  return n;
}

/** The window: --from/--to, else the next 8 hours from the start of the current slot. */
function window(args: Args, slot: number, now: number): { from: number; to: number } {
  const range = timeRange(args, now);
  const step = slot * 60_000;
  const from = range.from ?? Math.floor(now / step) * step;
  const to = range.to ?? from + 8 * 3_600_000;
  if (to <= from)
    throw new UsageError(
      `Invalid time range: --to is not after the start ${rfc3339(from)}`,
      "Give an end after the start",
    );
  if (to - from > 62 * 86_400_000)
    throw new UsageError(
      "Invalid time range: more than 62 days",
      "Google answers free/busy for at most about two months at a time; ask for a shorter range",
    );
  return { from, to };
}

const errorCode = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "error";
};

/** Reads Google's answer for the calendar asked about. */
export function userFreeBusy(
  subject: string | undefined,
  calendar: string,
  response: FreeBusyResponse,
): UserFreeBusy {
  const entry = response.calendars?.[calendar];
  const errors = (entry?.errors ?? []).map((e) => e.reason ?? "error");
  const busy = (entry?.busy ?? []).map((b) => ({ start: b.start ?? "", end: b.end ?? "" }));
  return {
    subject,
    calendar,
    busy,
    ...(entry === undefined ? { errors: ["notFound"] } : errors.length > 0 ? { errors } : {}),
  };
}

/**
 * Merged free intervals in [from, to) where every user who answered is free; a user whose free/busy is
 * unknown (`errors`) is left out (the output names them), none when nobody answered.
 */
export function commonFree(
  users: readonly UserFreeBusy[],
  from: number,
  to: number,
): { start: string; end: string }[] {
  const answered = users.filter((u) => u.errors === undefined);
  if (answered.length === 0) return [];
  const busy: BusyInterval[] = answered
    .flatMap((u) => u.busy.map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end) })))
    .filter((b) => b.end > from && b.start < to)
    .sort((a, b) => a.start - b.start);
  const free: { start: string; end: string }[] = [];
  let cursor = from;
  for (const b of busy) {
    if (b.start > cursor)
      free.push({ start: rfc3339(cursor), end: rfc3339(Math.min(b.start, to)) });
    cursor = Math.max(cursor, b.end);
  }
  if (cursor < to) free.push({ start: rfc3339(cursor), end: rfc3339(to) });
  return free;
}

/**
 * `dwd freebusy --subjects a,b,c`: each user's busy times in the window, each asked as that user about
 * their own calendar (so no sharing setting can hide it); with many users the queries go out as batch
 * requests. On a terminal (or with --grid) a grid of users × slots with the common free slots marked;
 * otherwise JSON.
 */
export async function freebusy(
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
  now: number = Date.now(),
): Promise<number> {
  const flags = runFlags(args);
  const mode = outputMode(args);
  const slot = slotMinutes(args);
  const timeZone = timeZoneArg(args);
  const { from, to } = window(args, slot, now);
  const calendarOf = (subject: string | undefined): string =>
    stringArg(args, "calendar") ?? subject ?? "primary";
  const run = await openCalendarRun("freebusy.query", flags, keyOptionsFrom(args), io, terminal);
  const body = (subject: string | undefined) => ({
    timeMin: rfc3339(from),
    timeMax: rfc3339(to),
    timeZone,
    items: [{ id: calendarOf(subject) }],
  });

  const results = new Map<string | undefined, UserFreeBusy>();
  let failures: SubjectFailure[];
  if (run.many && run.subjects.length > 1 && args["no-batch"] !== true)
    failures = await batched(run, body, calendarOf, results);
  else {
    failures = await forEachSubject(
      run.subjects,
      async (subject) => {
        const scopes = await run.scopes.scopesFor(subject);
        const response = await run.client.as(subject).freebusy.query(body(subject), { scopes });
        results.set(subject, userFreeBusy(subject, calendarOf(subject), response));
      },
      { concurrency: run.concurrency, progress: runProgress(run) },
    );
  }
  for (const f of failures)
    results.set(f.subject, {
      subject: f.subject,
      calendar: calendarOf(f.subject),
      busy: [],
      errors: [errorCode(f.error)],
    });
  const users = run.subjects
    .map((s) => results.get(s))
    .filter((u): u is UserFreeBusy => u !== undefined);

  const grid = args["grid"] === true || (mode === "table" && terminal.stdoutTty);
  if (grid) {
    const input: GridInput = {
      from,
      to,
      slotMinutes: slot,
      timeZone,
      rows: users.map((u): GridRow => ({
        label: u.subject ?? u.calendar,
        busy: u.busy.map((b) => ({ start: Date.parse(b.start), end: Date.parse(b.end) })),
        ...(u.errors !== undefined ? { error: u.errors.join(", ") } : {}),
      })),
    };
    const color = io.colorOut();
    const style = {
      busy: (t: string) => io.styleOut("red", t),
      free: (t: string) => io.styleOut("dim", t),
      common: (t: string) => io.styleOut("green", t),
      dim: (t: string) => io.styleOut("dim", t),
    };
    for (const line of renderFreeBusyGrid(input, {
      width: terminal.columns ?? 80,
      ...(color ? { style } : {}),
    }))
      io.out(line);
  } else if (mode === "ndjson") {
    for (const u of users) io.out(JSON.stringify(u));
  } else if (mode === "csv") {
    // One record per busy interval; a user Google could not answer for is one record with its errors.
    const fields = fieldsArg(args) ?? [...(csvFields["busy"] ?? [])];
    io.out(csvRecord(["subject", ...fields]));
    for (const u of users)
      for (const b of u.errors !== undefined ? [{}] : u.busy) {
        const row = { calendar: u.calendar, ...b, ...(u.errors ? { errors: u.errors } : {}) };
        io.out(csvRecord([u.subject ?? "", ...fields.map((f) => fieldText(row, f))]));
      }
  } else {
    const leftOut = users.filter((u) => u.errors !== undefined).map((u) => u.subject ?? u.calendar);
    printJson(io, {
      timeMin: rfc3339(from),
      timeMax: rfc3339(to),
      timeZone,
      users,
      commonFree: commonFree(users, from, to),
      // Who commonFree does not account for: the users whose free/busy could not be read.
      ...(leftOut.length > 0 ? { commonFreeLeavesOut: leftOut } : {}),
    });
  }
  return endRun(run, failures);
}

async function batched(
  run: CalendarRun,
  body: (subject: string | undefined) => {
    timeMin: string;
    timeMax: string;
    timeZone: string;
    items: { id: string }[];
  },
  calendarOf: (subject: string | undefined) => string,
  results: Map<string | undefined, UserFreeBusy>,
): Promise<SubjectFailure[]> {
  const progress = runProgress(run);
  const failures: SubjectFailure[] = [];
  const scoped: { subject: string | undefined; scopes: string[] }[] = [];
  const ready = await readyUsers(run, run.subjects);
  for (const [i, subject] of run.subjects.entries()) {
    const r = ready[i];
    if (r !== undefined && "scopes" in r) scoped.push({ subject, scopes: r.scopes });
    else {
      failures.push({ subject, error: r?.error });
      progress.tick(true);
    }
  }
  const answers = await run.client.batch(
    scoped.map((s) =>
      run.client.calls.as(s.subject).freebusy.query(body(s.subject), { scopes: s.scopes }),
    ),
    { concurrency: run.concurrency },
  );
  for (const [i, answer] of answers.entries()) {
    const s = scoped[i];
    if (s === undefined) continue;
    if (answer.ok)
      results.set(s.subject, userFreeBusy(s.subject, calendarOf(s.subject), answer.value));
    else failures.push({ subject: s.subject, error: answer.error });
    progress.tick(!answer.ok);
  }
  progress.finish();
  const order = new Map(run.subjects.map((s, i) => [s, i]));
  return failures.sort((a, b) => (order.get(a.subject) ?? 0) - (order.get(b.subject) ?? 0));
}

/** The `freebusy` command. */
export const freebusyCommand = defineCommand({
  meta: {
    name: "dwd freebusy",
    description: "Busy times of many users (freebusy.query): a grid on a terminal, JSON otherwise",
  },
  args: {
    ...listArgs,
    ...timeRangeArgs,
    slot: {
      type: "string",
      valueHint: "minutes",
      description: "Grid slot length in minutes (default 30)",
    },
    "time-zone": {
      type: "string",
      valueHint: "zone",
      description: "The same as --tz: IANA time zone of the grid and the query",
    },
    calendar: {
      type: "string",
      valueHint: "id",
      description: "Calendar to ask about for every user (default: each user's primary)",
    },
    grid: { type: "boolean", description: "Draw the grid even when stdout is not a terminal" },
  },
  run: (ctx) => freebusy(ctx.args, ioOf(ctx)),
});
