import type { CalendarClient, CalendarListEntry } from "@dwd/calendar";
import { defineCommand } from "citty";
import { endpointArgs, jsonArg, keyArgs, stringArg, subjectArg } from "../_internal/args.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf, printJson } from "../_internal/io.ts";
import type { KeyOptions } from "../_internal/session.ts";
import { keyOptionsFrom, openSession } from "../_internal/session.ts";
import { UsageError } from "../_internal/usage-error.ts";

/** Options of {@link calendarsGet} and {@link calendarsList}. */
export interface CalendarsOptions extends KeyOptions {
  subject?: string;
  json?: boolean;
}

async function client(options: CalendarsOptions, io: Io): Promise<CalendarClient> {
  const session = await openSession(options, io);
  const { createCalendarClient } = await import("@dwd/calendar");
  return createCalendarClient({ tokenSource: session.tokenSource, subject: options.subject, rootUrl: session.calendarRoot, fetch: session.fetch });
}

/** `dwd calendars get`: prints the entry's summary (or the entry as JSON). */
export async function calendarsGet(calendarId: string, options: CalendarsOptions, io: Io): Promise<number> {
  if (calendarId.trim() === "") throw new UsageError("Missing calendar ID: it is empty", 'Give a calendar ID, e.g. "primary" or info@example.com');
  const entry = await (await client(options, io)).calendarList.get(calendarId);
  if (options.json === true) printJson(io, entry);
  else io.out(entry.summary ?? entry.id ?? "");
  return 0;
}

/** `dwd calendars list`: one line per entry (ID and summary), or every entry as a JSON array. */
export async function calendarsList(options: CalendarsOptions, io: Io): Promise<number> {
  const calendar = await client(options, io);
  const entries: CalendarListEntry[] = [];
  for await (const entry of calendar.calendarList.listAll()) entries.push(entry);
  if (options.json === true) {
    printJson(io, entries);
    return 0;
  }
  const width = Math.max(0, ...entries.map((e) => (e.id ?? "").length));
  for (const e of entries) io.out(`${(e.id ?? "").padEnd(width)}  ${e.summary ?? ""}`.trimEnd());
  return 0;
}

const sharedArgs = { ...keyArgs, ...subjectArg, ...jsonArg, ...endpointArgs } as const;

function options(args: Record<string, unknown>): CalendarsOptions {
  return { ...keyOptionsFrom(args), subject: stringArg(args, "subject"), json: args["json"] === true };
}

/** The `calendars` command group. */
export const calendarsCommand = defineCommand({
  meta: { name: "dwd calendars", description: "Read the calendar list of a user (or of the service account itself)" },
  subCommands: {
    get: defineCommand({
      meta: { name: "dwd calendars get", description: "Print the summary of one calendar-list entry (calendarList.get)" },
      args: { calendarId: { type: "positional", required: true, description: "Calendar ID, e.g. info@example.com or primary" }, ...sharedArgs },
      run: (ctx) => calendarsGet(ctx.args.calendarId, options(ctx.args), ioOf(ctx)),
    }),
    list: defineCommand({
      meta: { name: "dwd calendars list", description: "Print every calendar-list entry: ID and summary (calendarList.list)" },
      args: sharedArgs,
      run: (ctx) => calendarsList(options(ctx.args), ioOf(ctx)),
    }),
  },
});
