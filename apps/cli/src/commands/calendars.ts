import type { Calendar, CalendarClient, CalendarListEntry, MethodKey } from "@dwd/calendar";
import type { ArgsDef } from "citty";
import { defineCommand } from "citty";
import { stringArg, subjectFrom } from "../_internal/args.ts";
import type { Lister } from "../_internal/calendar-run.ts";
import {
  callArgs,
  listArgs,
  openCalendarRun,
  printOne,
  readJsonInput,
  runFlags,
  runList,
} from "../_internal/calendar-run.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf } from "../_internal/io.ts";
import type { Column } from "../_internal/output.ts";
import { outputMode } from "../_internal/output.ts";
import { keyOptionsFrom } from "../_internal/session.ts";
import type { Terminal } from "../_internal/terminal.ts";
import { processTerminal } from "../_internal/terminal.ts";
import type { CalendarsOptions } from "./calendars-get.ts";
import { calendarsGetCommand } from "./calendars-get.ts";

export type { CalendarsOptions } from "./calendars-get.ts";
export { calendarsGet } from "./calendars-get.ts";

type Args = Record<string, unknown>;

/** Runs one call as the subject (or the service account) with the method's scopes. */
async function one<T>(
  method: MethodKey,
  options: CalendarsOptions,
  io: Io,
  terminal: Terminal,
  call: (client: CalendarClient, scopes: string[]) => Promise<T>,
): Promise<T> {
  const flags = {
    source: { kind: "one" as const, subject: options.subject },
    scopes: options.scopes,
    concurrency: 1,
  };
  const run = await openCalendarRun(method, flags, options, io, terminal);
  return await call(run.client.as(options.subject), await run.scopes.scopesFor(options.subject));
}

function options(args: Args): CalendarsOptions {
  const flags = runFlags(args);
  return {
    ...keyOptionsFrom(args),
    subject: subjectFrom(args),
    json: args["json"] === true,
    ...(flags.scopes !== undefined ? { scopes: flags.scopes } : {}),
  };
}

/** Table columns of a calendar-list entry. */
export const calendarListColumns: readonly Column<CalendarListEntry>[] = [
  { header: "ID", value: (e) => e.id ?? "" },
  { header: "SUMMARY", value: (e) => e.summaryOverride ?? e.summary ?? "", shrink: true },
];

/** `dwd calendars list`: every entry of the calendar list (ID and summary), for one user or many. */
export async function calendarsList(
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const flags = runFlags(args);
  outputMode(args);
  const run = await openCalendarRun("calendarList.list", flags, keyOptionsFrom(args), io, terminal);
  const lister: Lister<CalendarListEntry> = {
    method: "calendarList.list",
    all: (client, scopes) => client.calendarList.all({ scopes }),
    page: (calls, scopes, pageToken) =>
      calls.calendarList.list({ maxResults: 250, pageToken, scopes }),
  };
  return await runList(run, lister, calendarListColumns, args);
}

const calendarLines = (c: Calendar | CalendarListEntry): string[] => [
  `${c.id ?? ""}  ${c.summary ?? ""}`.trimEnd(),
];

/** The calendar-list and calendars writes: one call each, the result printed as a line or JSON. */
async function write<T extends Calendar | CalendarListEntry>(
  method: MethodKey,
  args: Args,
  io: Io,
  call: (client: CalendarClient, scopes: string[]) => Promise<T>,
  done?: string,
): Promise<number> {
  const value = await one(method, options(args), io, processTerminal(), call);
  if (done !== undefined) io.err(done);
  else printOne(value, args, io, () => calendarLines(value));
  return 0;
}

const idArg = {
  calendarId: {
    type: "positional",
    required: true,
    description: "Calendar ID, e.g. primary or team@example.com",
  },
} as const satisfies ArgsDef;
const jsonOut = {
  json: { type: "boolean", description: "Print the result as JSON" },
} as const satisfies ArgsDef;
const bodyArgs = {
  body: { type: "string", valueHint: "json", description: "The fields as JSON" },
  file: {
    type: "string",
    valueHint: "file",
    description: "A file with the fields as JSON (- for stdin)",
  },
} as const satisfies ArgsDef;
const id = (args: Args): string =>
  typeof args["calendarId"] === "string" ? args["calendarId"] : "";

/** The `calendars` command group: the calendar list (calendarList.*) and calendars themselves (calendars.*). */
export const calendarsCommand = defineCommand({
  meta: {
    name: "dwd calendars",
    description:
      "A user's calendar list (get, list, subscribe, unsubscribe, set) and calendars (create, info, update, delete, clear)",
  },
  subCommands: {
    get: calendarsGetCommand,
    list: defineCommand({
      meta: {
        name: "dwd calendars list",
        description:
          "Every calendar-list entry: ID and summary (calendarList.list); many users with --subjects",
      },
      args: listArgs,
      run: (ctx) => calendarsList(ctx.args, ioOf(ctx)),
    }),
    subscribe: defineCommand({
      meta: {
        name: "dwd calendars subscribe",
        description: "Add an existing calendar to the user's list (calendarList.insert)",
      },
      args: { ...idArg, ...callArgs, ...jsonOut },
      run: (ctx) =>
        write("calendarList.insert", ctx.args, ioOf(ctx), (c, scopes) =>
          c.calendarList.insert({ id: id(ctx.args) }, { scopes }),
        ),
    }),
    unsubscribe: defineCommand({
      meta: {
        name: "dwd calendars unsubscribe",
        description: "Remove a calendar from the user's list (calendarList.delete)",
      },
      args: { ...idArg, ...callArgs },
      run: (ctx) =>
        write(
          "calendarList.delete",
          ctx.args,
          ioOf(ctx),
          async (c, scopes) =>
            ((await c.calendarList.delete(id(ctx.args), { scopes })) ?? {}) as CalendarListEntry,
          `removed "${id(ctx.args)}" from the calendar list`,
        ),
    }),
    set: defineCommand({
      meta: {
        name: "dwd calendars set",
        description:
          "Change the user's list entry: color, hidden, summaryOverride, reminders (calendarList.patch)",
      },
      args: { ...idArg, ...callArgs, ...bodyArgs, ...jsonOut },
      run: async (ctx) => {
        const body = readJsonInput(ctx.args, "entry") as CalendarListEntry;
        return await write("calendarList.patch", ctx.args, ioOf(ctx), (c, scopes) =>
          c.calendarList.patch(id(ctx.args), body, { scopes }),
        );
      },
    }),
    create: defineCommand({
      meta: {
        name: "dwd calendars create",
        description: "Create a secondary calendar (calendars.insert)",
      },
      args: {
        summary: { type: "string", valueHint: "title", required: true, description: "Title" },
        "time-zone": {
          type: "string",
          valueHint: "zone",
          description: "IANA time zone (default: the user's)",
        },
        description: { type: "string", valueHint: "text", description: "Description" },
        ...callArgs,
        ...jsonOut,
      },
      run: (ctx) => {
        const zone = stringArg(ctx.args, "time-zone");
        const description = stringArg(ctx.args, "description");
        const body: Calendar = {
          summary: stringArg(ctx.args, "summary") ?? "",
          ...(zone !== undefined ? { timeZone: zone } : {}),
          ...(description !== undefined ? { description } : {}),
        };
        return write("calendars.insert", ctx.args, ioOf(ctx), (c, scopes) =>
          c.calendars.insert(body, { scopes }),
        );
      },
    }),
    info: defineCommand({
      meta: {
        name: "dwd calendars info",
        description: "A calendar's metadata: title, time zone, description (calendars.get)",
      },
      args: { ...idArg, ...callArgs, ...jsonOut },
      run: (ctx) =>
        write("calendars.get", ctx.args, ioOf(ctx), (c, scopes) =>
          c.calendars.get(id(ctx.args), { scopes }),
        ),
    }),
    update: defineCommand({
      meta: {
        name: "dwd calendars update",
        description: "Change a calendar's metadata with --body/--file (calendars.patch)",
      },
      args: { ...idArg, ...callArgs, ...bodyArgs, ...jsonOut },
      run: async (ctx) => {
        const body = readJsonInput(ctx.args, "calendar") as Calendar;
        return await write("calendars.patch", ctx.args, ioOf(ctx), (c, scopes) =>
          c.calendars.patch(id(ctx.args), body, { scopes }),
        );
      },
    }),
    delete: defineCommand({
      meta: {
        name: "dwd calendars delete",
        description: "Delete a secondary calendar (calendars.delete)",
      },
      args: { ...idArg, ...callArgs },
      run: (ctx) =>
        write(
          "calendars.delete",
          ctx.args,
          ioOf(ctx),
          async (c, scopes) =>
            ((await c.calendars.delete(id(ctx.args), { scopes })) ?? {}) as Calendar,
          `deleted calendar "${id(ctx.args)}"`,
        ),
    }),
    clear: defineCommand({
      meta: {
        name: "dwd calendars clear",
        description: "Delete every event of a primary calendar (calendars.clear)",
      },
      args: { ...idArg, ...callArgs },
      run: (ctx) =>
        write(
          "calendars.clear",
          ctx.args,
          ioOf(ctx),
          async (c, scopes) =>
            ((await c.calendars.clear(id(ctx.args), { scopes })) ?? {}) as Calendar,
          `cleared calendar "${id(ctx.args)}"`,
        ),
    }),
  },
});
