import type { Event } from "@dwd/calendar";
import type { ArgsDef } from "citty";
import { defineCommand } from "citty";
import type { Lister } from "../_internal/calendar-run.ts";
import {
  csvColumns,
  endRun,
  listArgs,
  listAcrossUsers,
  listInto,
  listOutput,
  openCalendarRun,
  runFlags,
} from "../_internal/calendar-run.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf } from "../_internal/io.ts";
import { outputMode, terminalText } from "../_internal/output.ts";
import { keyOptionsFrom } from "../_internal/session.ts";
import type { Terminal } from "../_internal/terminal.ts";
import { processTerminal } from "../_internal/terminal.ts";
import {
  parseTime,
  rfc3339,
  timeRange,
  timeRangeArgs,
  timeZoneArg,
} from "../_internal/time-args.ts";
import { UsageError } from "../_internal/usage-error.ts";

type Args = Record<string, unknown>;

/** At most this many attendees are named on an event's line without --details. */
const NAMED_ATTENDEES = 4;

/** An event's day (YYYY-MM-DD in `timeZone`; an all-day event's own date) and its time text. */
interface Placed {
  day: string;
  time: string;
  event: Event;
}

function formatters(timeZone: string): { day: Intl.DateTimeFormat; time: Intl.DateTimeFormat } {
  return {
    day: new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    }),
    time: new Intl.DateTimeFormat("en-GB", {
      timeZone,
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }),
  };
}

/** Where an event goes in the agenda: its day in the zone (the window's first day when it began before). */
export function place(event: Event, timeZone: string, firstDay: string): Placed | undefined {
  const f = formatters(timeZone);
  const start = event.start;
  const end = event.end;
  if (start?.date !== undefined && start.date !== null) {
    const lastDay = end?.date ?? start.date;
    const days = Math.round((Date.parse(lastDay) - Date.parse(start.date)) / 86_400_000);
    const day = start.date < firstDay ? firstDay : start.date;
    return { day, time: days > 1 ? `all day, ${days} days` : "all day", event };
  }
  const from = Date.parse(start?.dateTime ?? "");
  const to = Date.parse(end?.dateTime ?? "");
  if (Number.isNaN(from)) return undefined;
  const startDay = f.day.format(from);
  const endDay = Number.isNaN(to) ? startDay : f.day.format(to - 1);
  const span = Number.isNaN(to)
    ? f.time.format(from)
    : `${f.time.format(from)}–${endDay !== startDay ? `${endDay} ` : ""}${f.time.format(to)}`;
  return { day: startDay < firstDay ? firstDay : startDay, time: span, event };
}

/** `Mon 2026-12-07` for a YYYY-MM-DD day. */
export function dayHeading(day: string): string {
  const weekday = new Intl.DateTimeFormat("en-US", { weekday: "short", timeZone: "UTC" }).format(
    Date.parse(`${day}T12:00:00Z`),
  );
  return `${weekday} ${day}`;
}

/** The lines of one event: time and title, then where, Meet, attendees (all of them with `details`). */
export function eventLines(
  placed: Placed,
  subject: string | undefined,
  details: boolean,
): string[] {
  const e = placed.event;
  const me = e.attendees?.find(
    (a) => a.self === true || (subject !== undefined && a.email === subject),
  );
  const mark =
    me?.responseStatus === "declined"
      ? " (declined)"
      : me?.responseStatus === "tentative"
        ? " (maybe)"
        : "";
  const pad = " ".repeat(16);
  const lines = [`  ${placed.time.padEnd(13)} ${terminalText(e.summary ?? "(no title)")}${mark}`];
  if (e.location) lines.push(`${pad}${terminalText(e.location)}`);
  const meet =
    e.hangoutLink ??
    e.conferenceData?.entryPoints?.find((p) => p.entryPointType === "video")?.uri ??
    undefined;
  if (meet) lines.push(`${pad}Meet: ${terminalText(meet)}`);
  const others = (e.attendees ?? []).filter((a) => a !== me && a.resource !== true);
  if (others.length > 0) {
    const name = (a: (typeof others)[number]): string =>
      terminalText(a.displayName ?? a.email ?? "?") +
      (details && a.responseStatus !== undefined ? ` (${a.responseStatus})` : "");
    const shown = details ? others : others.slice(0, NAMED_ATTENDEES);
    const more = others.length - shown.length;
    lines.push(`${pad}With ${shown.map(name).join(", ")}${more > 0 ? ` and ${more} more` : ""}`);
  }
  if (details && e.description) lines.push(`${pad}${terminalText(e.description).slice(0, 500)}`);
  return lines;
}

/** The agenda of one user, day by day (days without events are left out, as gcalcli does). */
export function agendaLines(
  events: readonly Event[],
  subject: string | undefined,
  options: { timeZone: string; firstDay: string; details: boolean },
): string[] {
  const placed = events
    .map((e) => place(e, options.timeZone, options.firstDay))
    .filter((p): p is Placed => p !== undefined)
    .sort((a, b) =>
      a.day < b.day ? -1 : a.day > b.day ? 1 : a.time.startsWith("all day") ? -1 : 0,
    );
  const lines: string[] = [];
  let day = "";
  for (const p of placed) {
    if (p.day !== day) {
      day = p.day;
      lines.push(dayHeading(day));
    }
    lines.push(...eventLines(p, subject, options.details));
  }
  if (lines.length === 0) lines.push("No events");
  return lines;
}

/**
 * `dwd agenda [CALENDAR]`: the coming days' events of one user (or each of many), as gcalcli shows them:
 * by day, in local time, with where, the Meet link and who else comes. Default window: today and the 6
 * days after it, in --tz or this machine's zone.
 */
export async function agenda(
  calendarId: string,
  args: Args,
  io: Io,
  terminal: Terminal = processTerminal(),
  now: number = Date.now(),
): Promise<number> {
  const flags = runFlags(args);
  const mode = outputMode(args);
  const timeZone = timeZoneArg(args);
  const range = timeRange(args, now);
  const from = range.from ?? parseTime("today", { now, timeZone });
  const to = range.to ?? parseTime("+7d", { now, timeZone }, from);
  if (to <= from)
    throw new UsageError(
      `Invalid time range: --to is not after the start ${rfc3339(from)}`,
      "Give an end after the start",
    );
  const params = {
    timeMin: rfc3339(from),
    timeMax: rfc3339(to),
    singleEvents: true,
    orderBy: "startTime",
  };
  const run = await openCalendarRun("events.list", flags, keyOptionsFrom(args), io, terminal);
  const lister: Lister<Event> = {
    method: "events.list",
    all: (client, scopes) => client.events.all(calendarId, { ...params, scopes }),
    page: (calls, scopes, pageToken) =>
      calls.events.list(calendarId, { ...params, maxResults: 2500, pageToken, scopes }),
  };
  const batch = { batch: args["no-batch"] !== true };
  if (mode !== "table") {
    const output = listOutput(mode, [], run, csvColumns(args, "events.list"));
    return endRun(run, await listInto(run, lister, output, batch));
  }
  // A user's events are kept until that user's last page is in (days are sorted), then that user's
  // agenda is printed and let go: users are printed as they complete, in the order listAcrossUsers
  // releases them (first pages in the order of the users).
  const bySubject = new Map<string | undefined, Event[]>();
  const firstDay = formatters(timeZone).day.format(from);
  const print = (subject: string | undefined): void => {
    const lines = agendaLines(bySubject.get(subject) ?? [], subject, {
      timeZone,
      firstDay,
      details: args["details"] === true,
    });
    bySubject.delete(subject);
    io.outLines([
      ...(run.many ? [io.styleOut("bold", subject ?? "")] : []),
      ...lines.map((line) =>
        /^\S/.test(line) && line !== "No events" ? io.styleOut("cyan", line) : line,
      ),
    ]);
  };
  const failures = await listAcrossUsers(
    run,
    lister,
    (s, e) => {
      const list = bySubject.get(s) ?? [];
      list.push(e);
      bySubject.set(s, list);
    },
    { ...batch, done: print },
  );
  return endRun(run, failures);
}

/** The `agenda` command. */
export const agendaCommand = defineCommand({
  meta: {
    name: "dwd agenda",
    description: "The coming days' events by day, in local time, with Meet links and attendees",
  },
  args: {
    calendarId: {
      type: "positional",
      required: false,
      description: "Calendar ID (default: primary)",
    },
    ...listArgs,
    ...timeRangeArgs,
    details: {
      type: "boolean",
      description: "Every attendee with their answer, and the description",
    },
  } as const satisfies ArgsDef,
  run: (ctx) =>
    agenda(
      typeof ctx.args.calendarId === "string" && ctx.args.calendarId !== ""
        ? ctx.args.calendarId
        : "primary",
      ctx.args,
      ioOf(ctx),
    ),
});
