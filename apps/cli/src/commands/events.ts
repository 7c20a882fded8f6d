import type { CalendarClient, Event } from "@dwd/calendar";
import type { ArgsDef, CommandDef } from "citty";
import { defineCommand } from "citty";
import { stringArg } from "../_internal/args.ts";
import type { CalendarRun, Lister } from "../_internal/calendar-run.ts";
import {
  callArgs,
  csvColumns,
  endRun,
  listArgs,
  listOutput,
  openCalendarRun,
  printOne,
  readJsonInput,
  readTextFile,
  runFlags,
  runList,
  runProgress,
} from "../_internal/calendar-run.ts";
import { deterministicEventId, isValidEventId } from "../_internal/event-id.ts";
import { parseCsvEvents } from "../_internal/csv-in.ts";
import type { Selection } from "./events-bulk.ts";
import { changeMany, createMany } from "./events-bulk.ts";
import type { Io } from "../_internal/io.ts";
import { jsonDepth, maxJsonDepth } from "../_internal/json-depth.ts";
import { keyOptionsFrom } from "../_internal/session.ts";
import { ioOf } from "../_internal/io.ts";
import { forEachSubject, pool } from "../_internal/many-users.ts";
import type { Column } from "../_internal/output.ts";
import { outputMode } from "../_internal/output.ts";
import type { Terminal } from "../_internal/terminal.ts";
import { processTerminal } from "../_internal/terminal.ts";
import { rfc3339, timeRange, timeRangeArgs } from "../_internal/time-args.ts";
import { eventsWatchCommand } from "./channels.ts";
import { UsageError } from "../_internal/usage-error.ts";
import { manySubjectsArgs, subjectSource } from "../_internal/subjects.ts";
import { userOrder } from "../_internal/user-order.ts";

type Args = Record<string, unknown>;

const when = (t: Event["start"]): string => t?.dateTime ?? t?.date ?? "";

// A cancelled event (listed with --show-deleted or by a sync, or read by ID) often carries no summary
// and no times, only its ID: it must not read as an untitled event. A cancelled instance of a recurring
// event keeps its original start.
const cancelled = (e: Event): boolean => e.status === "cancelled";
const startOf = (e: Event): string => when(e.start) || when(e.originalStartTime);
const summaryOf = (e: Event): string =>
  cancelled(e) ? `[cancelled]${e.summary ? ` ${e.summary}` : ""}` : (e.summary ?? "");

/** Table columns of an event. */
export const eventColumns: readonly Column<Event>[] = [
  { header: "START", value: startOf },
  { header: "END", value: (e) => when(e.end) },
  { header: "SUMMARY", value: summaryOf, shrink: true },
  { header: "ID", value: (e) => e.id ?? "" },
];

const calendarArg = {
  calendarId: {
    type: "positional",
    required: true,
    description: "Calendar ID, e.g. primary or team@example.com",
  },
} as const satisfies ArgsDef;
const eventIdArg = {
  eventId: { type: "positional", required: true, description: "Event ID" },
} as const satisfies ArgsDef;
const jsonOut = {
  json: { type: "boolean", description: "Print the event as JSON" },
} as const satisfies ArgsDef;
const sendUpdatesArg = {
  "send-updates": {
    type: "enum",
    options: ["all", "externalOnly", "none"],
    description: "Whom Google notifies of the change (default: none)",
  },
} as const satisfies ArgsDef;
const ifMatchArg = {
  "if-match": {
    type: "string",
    valueHint: "etag",
    description: "Change only if the event's ETag is still this (else 412)",
  },
} as const satisfies ArgsDef;
const bodyArgs = {
  body: { type: "string", valueHint: "json", description: "The event as JSON" },
  file: {
    type: "string",
    valueHint: "file",
    description: "A file with the event as JSON (- for stdin)",
  },
} as const satisfies ArgsDef;

const position = (args: Args, name: string): string => {
  const value = args[name];
  if (typeof value !== "string" || value === "")
    throw new UsageError(`Missing ${name}`, "Run the command with --help for the usage");
  return value;
};

function sendUpdates(args: Args): { sendUpdates?: "all" | "externalOnly" | "none" } {
  const value = stringArg(args, "send-updates");
  return value === undefined ? {} : { sendUpdates: value as "all" | "externalOnly" | "none" };
}

/** Runs one call as the single subject (or the service account) with the method's scopes. */
async function one<T>(
  method: Parameters<typeof openCalendarRun>[0],
  args: Args,
  io: Io,
  terminal: Terminal,
  call: (client: CalendarClient, scopes: string[]) => Promise<T>,
): Promise<T> {
  const flags = runFlags(args);
  const run = await openCalendarRun(method, flags, keyOptionsFrom(args), io, terminal);
  const subject = run.subjects[0];
  const scopes = await run.scopes.scopesFor(subject);
  return await call(run.client.as(subject), scopes);
}

const eventLines = (e: Event): string[] => [
  `${e.id ?? ""}  ${startOf(e)} → ${when(e.end)}  ${summaryOf(e)}`.trimEnd(),
];

// ---- list, instances ----------------------------------------------------------------------------------

const listFlags = {
  ...listArgs,
  ...timeRangeArgs,
  q: { type: "string", valueHint: "text", description: "Free-text search" },
  "single-events": { type: "boolean", description: "Expand recurring events into instances" },
  "order-by": {
    type: "enum",
    options: ["startTime", "updated"],
    description: "Order (startTime needs --single-events)",
  },
  "show-deleted": { type: "boolean", description: "Include cancelled events" },
} as const satisfies ArgsDef;

function listParams(args: Args): Record<string, unknown> {
  const { from, to } = timeRange(args);
  const orderBy = stringArg(args, "order-by");
  return {
    ...(from !== undefined ? { timeMin: rfc3339(from) } : {}),
    ...(to !== undefined ? { timeMax: rfc3339(to) } : {}),
    ...(stringArg(args, "q") !== undefined ? { q: stringArg(args, "q") } : {}),
    ...(args["single-events"] === true ? { singleEvents: true } : {}),
    ...(orderBy !== undefined ? { orderBy } : {}),
    ...(args["show-deleted"] === true ? { showDeleted: true } : {}),
  };
}

/** `dwd events list [CALENDAR]`: every event, for one user or many. */
export async function eventsList(
  calendarId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const flags = runFlags(args);
  outputMode(args);
  const params = listParams(args);
  const run = await openCalendarRun("events.list", flags, keyOptionsFrom(args), io, terminal);
  const lister: Lister<Event> = {
    method: "events.list",
    all: (client, scopes) => client.events.all(calendarId, { ...params, scopes }),
    page: (calls, scopes, pageToken) =>
      calls.events.list(calendarId, { ...params, maxResults: 2500, pageToken, scopes }),
  };
  return await runList(run, lister, eventColumns, args);
}

/** `dwd events instances CALENDAR EVENT`: the instances of a recurring event. */
export async function eventsInstances(
  calendarId: string,
  eventId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const flags = runFlags(args);
  outputMode(args);
  const { from, to } = timeRange(args);
  const params = {
    ...(from !== undefined ? { timeMin: rfc3339(from) } : {}),
    ...(to !== undefined ? { timeMax: rfc3339(to) } : {}),
  };
  const run = await openCalendarRun("events.instances", flags, keyOptionsFrom(args), io, terminal);
  const lister: Lister<Event> = {
    method: "events.instances",
    all: (client, scopes) => client.events.allInstances(calendarId, eventId, { ...params, scopes }),
    page: (calls, scopes, pageToken) =>
      calls.events.instances(calendarId, eventId, {
        ...params,
        maxResults: 2500,
        pageToken,
        scopes,
      }),
  };
  return await runList(run, lister, eventColumns, args);
}

// ---- sync ---------------------------------------------------------------------------------------------

/** `dwd events sync CALENDAR --state FILE`: the first run lists everything, later runs only what changed. */
export async function eventsSync(
  calendarId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const flags = runFlags(args);
  const mode = outputMode(args);
  const state = stringArg(args, "state");
  if (state === undefined)
    throw new UsageError(
      "Missing --state: sync keeps each user's sync token in a file",
      "Give --state sync-state.json (created on the first run)",
    );
  const run = await openCalendarRun("events.list", flags, keyOptionsFrom(args), io, terminal);
  const { createEventSync } = await import("@dwd/calendar");
  const { createFileSyncStore } = await import("@dwd/calendar/node");
  const store = createFileSyncStore(state);
  const clients = new Map<string, CalendarClient>();
  const output = listOutput(
    mode,
    [{ header: "STATUS", value: (e: Event) => e.status ?? "" }, ...eventColumns],
    run,
    csvColumns(args, "events.list"),
  );
  const totals = { events: 0, full: 0, resynced: 0 };
  const progress = runProgress(run);
  // Users sync `concurrency` at a time; their events come out in the users' order (user-order.ts). A
  // bar on the terminal stdout streams to is cleared before output, and drawn again after it.
  const order = userOrder<Event>(
    {
      item: (index, e) => {
        if (terminal.stdoutTty) progress.pause();
        output.add(run.subjects[index], e);
      },
    },
    run.concurrency * 2,
  );
  const failures = await forEachSubject(
    run.subjects,
    async (subject, index) => {
      await order.ready(index);
      let ok = false;
      try {
        const scopes = await run.scopes.scopesFor(subject);
        const key = scopes.join(" ");
        const client = clients.get(key) ?? run.clientWithScopes(scopes);
        clients.set(key, client);
        const sync = createEventSync({ client: client.as(subject), store, calendarId });
        const result = await sync.run();
        for (const e of result.events) order.item(index, e);
        totals.events += result.events.length;
        if (result.fullSync) totals.full++;
        if (result.fullSyncRequired) totals.resynced++;
        ok = true;
      } finally {
        order.finish(index, ok);
        output.flush();
        progress.resume();
      }
    },
    { concurrency: run.concurrency, progress },
  );
  output.finish();
  const users = run.subjects.length - failures.length;
  io.err(
    `synced ${users} ${users === 1 ? "user" : "users"}: ${totals.events} changed ${totals.events === 1 ? "event" : "events"}` +
      `, ${totals.full} full ${totals.full === 1 ? "sync" : "syncs"}${totals.resynced > 0 ? ` (${totals.resynced} after an expired sync token)` : ""}`,
  );
  return endRun(run, failures);
}

// ---- get, update, patch, delete, move, quick-add --------------------------------------------------------

/** `dwd events get CALENDAR EVENT`. */
export async function eventsGet(
  calendarId: string,
  eventId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const event = await one("events.get", args, io, terminal, (c, scopes) =>
    c.events.get(calendarId, eventId, { scopes }),
  );
  printOne(event, args, io, () => eventLines(event));
  return 0;
}

/** `dwd events update|patch CALENDAR EVENT --body|--file`: replace the event, or change only the given fields. */
export async function eventsWrite(
  kind: "update" | "patch",
  calendarId: string,
  eventId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const body = readJsonInput(args, "event") as Event;
  const ifMatch = stringArg(args, "if-match");
  const params = {
    ...sendUpdates(args),
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(body.conferenceData ? { conferenceDataVersion: 1 } : {}),
  };
  const event = await one(`events.${kind}`, args, io, terminal, (c, scopes) =>
    kind === "update"
      ? c.events.update(calendarId, eventId, body, { ...params, scopes })
      : c.events.patch(calendarId, eventId, body, { ...params, scopes }),
  );
  printOne(event, args, io, () => eventLines(event));
  return 0;
}

/** `dwd events delete CALENDAR EVENT`. */
export async function eventsDelete(
  calendarId: string,
  eventId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const ifMatch = stringArg(args, "if-match");
  await one("events.delete", args, io, terminal, (c, scopes) =>
    c.events.delete(calendarId, eventId, {
      ...sendUpdates(args),
      ...(ifMatch !== undefined ? { ifMatch } : {}),
      scopes,
    }),
  );
  io.err(`deleted event "${eventId}" from "${calendarId}"`);
  return 0;
}

/** `dwd events move CALENDAR EVENT --destination CALENDAR`. */
export async function eventsMove(
  calendarId: string,
  eventId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const destination = stringArg(args, "destination");
  if (destination === undefined)
    throw new UsageError(
      "Missing --destination: move needs the calendar to move the event to",
      "Give --destination <calendarId>",
    );
  const event = await one("events.move", args, io, terminal, (c, scopes) =>
    c.events.move(calendarId, eventId, destination, { ...sendUpdates(args), scopes }),
  );
  printOne(event, args, io, () => eventLines(event));
  return 0;
}

/** `dwd events quick-add CALENDAR TEXT`: Google parses the text ("Lunch with Bo tomorrow 1pm"). */
export async function eventsQuickAdd(
  calendarId: string,
  text: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const event = await one("events.quickAdd", args, io, terminal, (c, scopes) =>
    c.events.quickAdd(calendarId, text, { ...sendUpdates(args), scopes }),
  );
  printOne(event, args, io, () => eventLines(event));
  return 0;
}

// ---- create, import: one event per input line, exactly once ---------------------------------------------

/** One input event and where it came from. */
export interface InputEvent {
  line: number;
  event: Event;
}

/** Parses NDJSON events (blank lines skipped); any bad line is a usage error naming it, before anything is sent. */
export function parseEventLines(text: string, source: string): InputEvent[] {
  const events: InputEvent[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    if (raw.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new UsageError(
        `Invalid event in "${source}" line ${i + 1}: not JSON (${error instanceof Error ? error.message : String(error)})`,
        'Write one JSON object a line (NDJSON), e.g. {"summary":"Stand-up","start":{…},"end":{…}}',
      );
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new UsageError(
        `Invalid event in "${source}" line ${i + 1}: not a JSON object`,
        "Write one JSON object a line (NDJSON)",
      );
    if (jsonDepth(value) > maxJsonDepth)
      throw new UsageError(
        `Invalid event in "${source}" line ${i + 1}: it nests deeper than ${maxJsonDepth} levels`,
        "An event nests a few levels at most (e.g. extendedProperties.private.key): fix the line",
      );
    const id = (value as { id?: unknown }).id;
    if (id !== undefined && (typeof id !== "string" || !isValidEventId(id))) {
      throw new UsageError(
        `Invalid event in "${source}" line ${i + 1}: id ${JSON.stringify(id)} is not base32hex`,
        "Event IDs use a–v and 0–9 only, 5 to 1024 characters; or leave id out and dwd derives one from the line",
      );
    }
    events.push({ line: i + 1, event: value });
  }
  if (events.length === 0)
    throw new UsageError(`No events in "${source}"`, "Write one JSON object a line (NDJSON)");
  return events;
}

/** What `events create`/`import` print for each input line. */
export interface WriteOutcome {
  line: number;
  status: "created" | "exists" | "failed";
  id: string;
  subject?: string;
  calendarId: string;
  htmlLink?: string;
  error?: { code: string; message: string; hint?: string };
}

/**
 * `dwd events create CALENDAR --file events.ndjson` (or `--body`): inserts each event with an ID derived
 * from its line, calendar and user (unless the line has one), so running again after an interruption or
 * a retry creates nothing twice: Google's 409 `duplicate` means the event is already there. One NDJSON
 * line per event on stdout; the failures also on stderr; exit 1 when any failed.
 */
export async function eventsCreate(
  kind: "insert" | "import",
  calendarId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const file = stringArg(args, "file");
  const csvFile =
    stringArg(args, "csv-file") ??
    (file?.toLowerCase().endsWith(".csv") === true ? file : undefined);
  if (csvFile !== undefined && stringArg(args, "body") !== undefined)
    throw new UsageError(
      "Conflicting options --body and --csv-file: give the events one way",
      "Use --csv-file rows.csv, or --body/--file for JSON",
    );
  const csvRows =
    csvFile !== undefined ? parseCsvEvents(readTextFile(csvFile), csvFile) : undefined;
  const inputs: InputEvent[] =
    csvRows !== undefined
      ? csvRows.map((r) => {
          const id = r.event["id"];
          if (typeof id === "string" && !isValidEventId(id))
            throw new UsageError(
              `Invalid CSV in "${csvFile ?? ""}" line ${r.line}: id "${id}" is not base32hex`,
              "Event IDs use a–v and 0–9 only, 5 to 1024 characters; or leave id empty and dwd derives one from the row",
            );
          return { line: r.line, event: r.event };
        })
      : file !== undefined && stringArg(args, "body") === undefined
        ? parseEventLines(readTextFile(file), file)
        : [{ line: 1, event: readJsonInput(args, "event") }];
  if (kind === "import") {
    for (const input of inputs) {
      if (typeof input.event.iCalUID !== "string" || input.event.iCalUID === "")
        throw new UsageError(
          `Invalid event on line ${input.line}: import needs an iCalUID`,
          "Give each event its iCalUID (events.import keeps the event's identity from another calendar)",
        );
    }
  }
  let flags = runFlags(args);
  // CSV rows that name their users: those are the run's users.
  const rowSubjects =
    csvRows?.[0]?.subject !== undefined ? csvRows.map((r) => r.subject) : undefined;
  if (rowSubjects !== undefined) {
    if (flags.source.kind !== "one" || flags.source.subject !== undefined)
      throw new UsageError(
        `Conflicting options: "${csvFile ?? ""}" has a subject column, and the users are named by flags too`,
        "Drop --subject/--subjects/--subjects-file/--all-users (each row names its user), or the subject column",
      );
    const unique = [...new Set(rowSubjects)].filter((s): s is string => s !== undefined);
    flags = { ...flags, source: { kind: "list", subjects: unique } };
  }
  const dryRun = args["dry-run"] === true;
  const run: CalendarRun = await openCalendarRun(
    kind === "insert" ? "events.insert" : "events.import",
    flags,
    keyOptionsFrom(args),
    io,
    terminal,
  );
  if (run.many || dryRun) {
    const rows =
      rowSubjects !== undefined
        ? inputs.map((input, i) => ({ ...input, subject: rowSubjects[i] }))
        : run.subjects.flatMap((subject) => inputs.map((input) => ({ ...input, subject })));
    return await createMany(kind, run, calendarId, rows, {
      dryRun,
      conference: args["conference"] === true,
      sendUpdates: sendUpdates(args),
    });
  }
  const subject = run.subjects[0];
  const scopes = await run.scopes.scopesFor(subject);
  const client = run.client.as(subject);
  const conference = args["conference"] === true;
  const failures: WriteOutcome[] = [];
  // Lines that failed for a passing reason (a 5xx, a rate limit, the network): sending them again may work.
  const retryable = new Set<number>();
  const progress = runProgress(
    { ...run, many: inputs.length > 1, subjects: inputs.map(() => subject) },
    "events",
  );
  await pool(inputs, run.concurrency, async ({ line, event }) => {
    const id = event.id ?? deterministicEventId(event, calendarId, subject);
    const body: Event = { ...event, id };
    if (conference && kind === "insert" && body.conferenceData === undefined) {
      body.conferenceData = {
        createRequest: { requestId: id, conferenceSolutionKey: { type: "hangoutsMeet" } },
      };
    }
    const params = {
      ...sendUpdates(args),
      ...(body.conferenceData ? { conferenceDataVersion: 1 } : {}),
      scopes,
    };
    const base = { line, id, ...(subject !== undefined ? { subject } : {}), calendarId };
    let outcome: WriteOutcome;
    try {
      const created =
        kind === "insert"
          ? await client.events.insert(calendarId, body, params)
          : await client.events.import(calendarId, body, params);
      outcome = {
        ...base,
        status: "created",
        ...(created.htmlLink ? { htmlLink: created.htmlLink } : {}),
      };
    } catch (error) {
      const e = error as { code?: unknown; message?: string; hint?: unknown; retryable?: unknown };
      if (e.code === "duplicate") outcome = { ...base, status: "exists" };
      else {
        if (e.retryable === true) retryable.add(line);
        outcome = {
          ...base,
          status: "failed",
          error: {
            code: typeof e.code === "string" ? e.code : "error",
            message: e.message ?? String(error),
            ...(typeof e.hint === "string" ? { hint: e.hint } : {}),
          },
        };
        failures.push(outcome);
      }
    }
    // A bar on the terminal stdout is written to is cleared first (the tick draws it again).
    if (terminal.stdoutTty) progress.pause();
    io.out(JSON.stringify(outcome));
    progress.tick(outcome.status === "failed");
  });
  progress.finish();
  if (failures.length === 0) return 0;
  const label = (text: string, style: "red" | "yellow"): string =>
    io.styleErr(style, io.styleErr("bold", text));
  io.err(`${label("error:", "red")} ${failures.length} of ${inputs.length} events failed:`);
  for (const f of failures.sort((a, b) => a.line - b.line))
    io.err(`  line ${f.line}: ${f.error?.code ?? ""}: ${f.error?.message ?? ""}`);
  const hints = [
    ...new Set(failures.map((f) => f.error?.hint).filter((h): h is string => h !== undefined)),
  ];
  for (const hint of hints) io.err(`${label("hint:", "yellow")} ${hint}`);
  // Only a passing failure goes away by running again; a refused line is refused again until it changes.
  const refused = failures.filter((f) => !retryable.has(f.line)).map((f) => f.line);
  if (refused.length > 0)
    io.err(
      `${label("hint:", "yellow")} Fix ${refused.length === 1 ? "line" : "lines"} ${refused.join(", ")} (refused as written; running again sends the same), then run the command again: events already created are skipped (same IDs)`,
    );
  if (refused.length < failures.length)
    io.err(
      `${label("hint:", "yellow")} Run the same command again: events already created are skipped (same IDs), only the failed ones are retried`,
    );
  return 1;
}

// ---- patch, delete across users ------------------------------------------------------------------------

/** Whether a patch/delete acts on many events: many users, or a filter instead of an event ID. */
export function isBulkChange(args: Args): boolean {
  const filtered = ["q", "from", "to", "ical-uid", "id"].some((k) => args[k] !== undefined);
  return filtered || args["dry-run"] === true || subjectSource(args).kind !== "one";
}

/**
 * `dwd events patch|delete CALENDAR [EVENT] --subjects… [--q --from --to --ical-uid | --id]`: each user's
 * events that match (or the event with that ID), patched with --body/--file or deleted, exactly once:
 * what already matches or is already gone is `unchanged`, and a rerun sends no write.
 */
export async function eventsChange(
  kind: "patch" | "delete",
  calendarId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const positional = typeof args["eventId"] === "string" ? args["eventId"] : undefined;
  const id = stringArg(args, "id") ?? positional;
  if (id !== undefined && positional !== undefined && id !== positional)
    throw new UsageError(
      `Conflicting event IDs "${positional}" and --id "${id}"`,
      "Give the event ID once",
    );
  const { from, to } = timeRange(args);
  const iCalUID = stringArg(args, "ical-uid");
  const q = stringArg(args, "q");
  const filter: Record<string, unknown> = {
    ...(from !== undefined ? { timeMin: rfc3339(from) } : {}),
    ...(to !== undefined ? { timeMax: rfc3339(to) } : {}),
    ...(q !== undefined ? { q } : {}),
    ...(iCalUID !== undefined ? { iCalUID } : {}),
  };
  if (id !== undefined && Object.keys(filter).length > 0)
    throw new UsageError(
      "Conflicting options: an event ID and a filter (--q, --from, --to, --ical-uid)",
      "Give the event ID, or a filter that selects the events in each user's calendar",
    );
  if (id === undefined && Object.keys(filter).length === 0)
    throw new UsageError(
      `Missing the events to ${kind}: no event ID and no filter`,
      `Give an event ID (or --id), or select events with --q, --from/--to or --ical-uid, e.g. dwd events ${kind} primary --subjects-file users.txt --q "Offsite" --from today --to +30d`,
    );
  const selection: Selection =
    id !== undefined ? { kind: "id", id } : { kind: "filter", params: filter };
  const patch = kind === "patch" ? (readJsonInput(args, "event") as Event) : undefined;
  const run = await openCalendarRun(
    `events.${kind}`,
    runFlags(args),
    keyOptionsFrom(args),
    io,
    terminal,
  );
  return await changeMany(kind, run, calendarId, selection, {
    dryRun: args["dry-run"] === true,
    ...(patch !== undefined ? { patch } : {}),
    sendUpdates: sendUpdates(args),
  });
}

// ---- the command tree ----------------------------------------------------------------------------------

const optionalCalendar = {
  calendarId: {
    type: "positional",
    required: false,
    description: "Calendar ID (default: primary)",
  },
} as const satisfies ArgsDef;

/** The `events` command group. */
/** `dwd events update|patch`: the same flags and call, one replacing the event, one merging fields. */
const writeArgs = {
  ...calendarArg,
  ...eventIdArg,
  ...callArgs,
  ...bodyArgs,
  ...sendUpdatesArg,
  ...ifMatchArg,
  ...jsonOut,
} as const satisfies ArgsDef;

/** Flags of a write across users: who, which events, and --dry-run. */
const bulkArgs = {
  ...manySubjectsArgs,
  "dry-run": {
    type: "boolean",
    description: "Print what would change, one NDJSON line per (user, event), and send no write",
  },
} as const satisfies ArgsDef;
const selectArgs = {
  ...timeRangeArgs,
  q: {
    type: "string",
    valueHint: "text",
    description: "Across users: the events matching this text",
  },
  "ical-uid": {
    type: "string",
    valueHint: "uid",
    description: "Across users: the events with this iCalUID",
  },
  id: { type: "string", valueHint: "event", description: "Across users: the event with this ID" },
} as const satisfies ArgsDef;
const optionalEventId = {
  eventId: {
    type: "positional",
    required: false,
    description: "Event ID (or select events across users with --q, --from/--to, --ical-uid)",
  },
} as const satisfies ArgsDef;

function writeCommand(kind: "update" | "patch", description: string): CommandDef<typeof writeArgs> {
  return defineCommand({
    meta: { name: `dwd events ${kind}`, description },
    args: writeArgs,
    run: (ctx) =>
      eventsWrite(
        kind,
        position(ctx.args, "calendarId"),
        position(ctx.args, "eventId"),
        ctx.args,
        ioOf(ctx),
      ),
  });
}

export const eventsCommand = defineCommand({
  meta: {
    name: "dwd events",
    description: "List, read, write and sync events (one user, or many at once)",
  },
  subCommands: {
    list: defineCommand({
      meta: {
        name: "dwd events list",
        description:
          "Every event of a calendar (events.list); many users with --subjects/--subjects-file/--all-users",
      },
      args: { ...optionalCalendar, ...listFlags },
      run: (ctx) => eventsList(ctx.args.calendarId ?? "primary", ctx.args, ioOf(ctx)),
    }),
    get: defineCommand({
      meta: { name: "dwd events get", description: "One event (events.get)" },
      args: { ...calendarArg, ...eventIdArg, ...callArgs, ...jsonOut },
      run: (ctx) =>
        eventsGet(
          position(ctx.args, "calendarId"),
          position(ctx.args, "eventId"),
          ctx.args,
          ioOf(ctx),
        ),
    }),
    create: defineCommand({
      meta: {
        name: "dwd events create",
        description:
          "Create events, one per line of --file (NDJSON) or row of --csv-file, for one user or many, exactly once even when run again (events.insert)",
      },
      args: {
        ...calendarArg,
        ...callArgs,
        ...bodyArgs,
        "csv-file": {
          type: "string",
          valueHint: "file",
          description:
            "Events as CSV rows (header: subject, summary, start.dateTime, end.dateTime, attendees.email, …)",
        },
        ...bulkArgs,
        ...sendUpdatesArg,
        conference: {
          type: "boolean",
          description: "Add a Google Meet link (conferenceData.createRequest)",
        },
        concurrency: {
          type: "string",
          valueHint: "n",
          description: "Inserts in flight at once (default 10)",
        },
      },
      run: (ctx) => eventsCreate("insert", position(ctx.args, "calendarId"), ctx.args, ioOf(ctx)),
    }),
    import: defineCommand({
      meta: {
        name: "dwd events import",
        description:
          "Import events (with iCalUID) from --file (NDJSON), exactly once (events.import)",
      },
      args: {
        ...calendarArg,
        ...callArgs,
        ...bodyArgs,
        concurrency: {
          type: "string",
          valueHint: "n",
          description: "Imports in flight at once (default 10)",
        },
      },
      run: (ctx) => eventsCreate("import", position(ctx.args, "calendarId"), ctx.args, ioOf(ctx)),
    }),
    update: writeCommand("update", "Replace an event with --body/--file (events.update)"),
    patch: defineCommand({
      meta: {
        name: "dwd events patch",
        description:
          "Change only the given fields of an event (events.patch); across users: the events a filter selects, exactly once",
      },
      args: { ...writeArgs, ...optionalEventId, ...bulkArgs, ...selectArgs },
      run: (ctx) =>
        ctx.args.eventId === undefined || isBulkChange(ctx.args)
          ? eventsChange("patch", position(ctx.args, "calendarId"), ctx.args, ioOf(ctx))
          : eventsWrite(
              "patch",
              position(ctx.args, "calendarId"),
              position(ctx.args, "eventId"),
              ctx.args,
              ioOf(ctx),
            ),
    }),
    delete: defineCommand({
      meta: {
        name: "dwd events delete",
        description:
          "Delete an event (events.delete); across users: the events a filter selects, exactly once",
      },
      args: {
        ...calendarArg,
        ...optionalEventId,
        ...callArgs,
        ...sendUpdatesArg,
        ...ifMatchArg,
        ...bulkArgs,
        ...selectArgs,
      },
      run: (ctx) =>
        ctx.args.eventId === undefined || isBulkChange(ctx.args)
          ? eventsChange("delete", position(ctx.args, "calendarId"), ctx.args, ioOf(ctx))
          : eventsDelete(
              position(ctx.args, "calendarId"),
              position(ctx.args, "eventId"),
              ctx.args,
              ioOf(ctx),
            ),
    }),
    move: defineCommand({
      meta: {
        name: "dwd events move",
        description: "Move an event to another calendar (events.move)",
      },
      args: {
        ...calendarArg,
        ...eventIdArg,
        destination: {
          type: "string",
          valueHint: "calendar",
          description: "The calendar to move it to",
        },
        ...callArgs,
        ...sendUpdatesArg,
        ...jsonOut,
      },
      run: (ctx) =>
        eventsMove(
          position(ctx.args, "calendarId"),
          position(ctx.args, "eventId"),
          ctx.args,
          ioOf(ctx),
        ),
    }),
    instances: defineCommand({
      meta: {
        name: "dwd events instances",
        description: "The instances of a recurring event (events.instances)",
      },
      args: { ...calendarArg, ...eventIdArg, ...listArgs, ...timeRangeArgs },
      run: (ctx) =>
        eventsInstances(
          position(ctx.args, "calendarId"),
          position(ctx.args, "eventId"),
          ctx.args,
          ioOf(ctx),
        ),
    }),
    "quick-add": defineCommand({
      meta: {
        name: "dwd events quick-add",
        description:
          'Create an event from text, e.g. "Lunch with Bo tomorrow 1pm" (events.quickAdd)',
      },
      args: {
        ...calendarArg,
        text: { type: "positional", required: true, description: "The text Google parses" },
        ...callArgs,
        ...sendUpdatesArg,
        ...jsonOut,
      },
      run: (ctx) =>
        eventsQuickAdd(
          position(ctx.args, "calendarId"),
          position(ctx.args, "text"),
          ctx.args,
          ioOf(ctx),
        ),
    }),
    watch: eventsWatchCommand,
    sync: defineCommand({
      meta: {
        name: "dwd events sync",
        description:
          "The first run lists every event, later runs only what changed (sync tokens kept in --state)",
      },
      args: {
        ...calendarArg,
        state: {
          type: "string",
          valueHint: "file",
          description: "JSON file keeping each user's sync token",
        },
        ...listArgs,
      },
      run: (ctx) => eventsSync(position(ctx.args, "calendarId"), ctx.args, ioOf(ctx)),
    }),
  },
});
