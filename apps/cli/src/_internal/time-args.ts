// --from / --to / --tz: absolute times (RFC 3339, a date, a local date-time) and the relative forms admins
// type into GAM and gcalcli (now, today, tomorrow, yesterday, a weekday, +7d, -2h). Day-based forms are
// resolved in one IANA zone: --tz, else this machine's. The zone arithmetic is Intl's (a few lines over
// `formatToParts`) rather than a date library: the CLI is one bundle whose start-up is measured.
import type { ArgsDef } from "citty";
import { stringArg } from "./args.ts";
import { UsageError } from "./usage-error.ts";

const timeForms =
  "RFC 3339 (2026-12-01T09:00:00Z), a date or local time (2026-12-01, 2026-12-01T09:00), now, today, tomorrow, yesterday, a weekday (monday), or an offset (+7d, -2h, +30m, +2w)";

/** `--from`, `--to` and `--tz`. */
export const timeRangeArgs = {
  from: { type: "string", valueHint: "time", description: `Start: ${timeForms}` },
  to: {
    type: "string",
    valueHint: "time",
    description: "End (exclusive), same forms as --from; an offset counts from --from when given",
  },
  tz: {
    type: "string",
    valueHint: "zone",
    description:
      "IANA time zone of dates, today, weekdays and day offsets (default: this machine's)",
  },
} as const satisfies ArgsDef;

/** What relative forms are resolved against. */
export interface TimeContext {
  /** Epoch ms taken as "now". */
  now: number;
  /** IANA zone of day-based forms. */
  timeZone: string;
}

/** The zone of `--tz` (or the `--time-zone` spelling), else this machine's; a usage error when unknown. */
export function timeZoneArg(args: Record<string, unknown>): string {
  const flag = stringArg(args, "tz") !== undefined ? "tz" : "time-zone";
  const zone = stringArg(args, flag) ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    throw new UsageError(
      `Invalid --${flag} "${zone}": not an IANA time zone`,
      `Give e.g. --${flag} Europe/Berlin or --${flag} UTC`,
    );
  }
  return zone;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/** The wall clock of `ms` in `timeZone`. */
function wallOf(ms: number, timeZone: string): Wall {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "long",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, format);
  }
  const part: Record<string, string> = {};
  for (const p of format.formatToParts(ms)) part[p.type] = p.value;
  const n = (type: string): number => Number(part[type]);
  return {
    year: n("year"),
    month: n("month"),
    day: n("day"),
    hour: n("hour"),
    minute: n("minute"),
    second: n("second"),
    weekday: weekdays.indexOf((part["weekday"] ?? "").toLowerCase()),
  };
}

/** Epoch ms of a wall-clock time in `timeZone` (days and months may overflow, as with Date.UTC). */
function epochOf(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const offsetAt = (ms: number): number => {
    const w = wallOf(ms, timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - ms;
  };
  // Two passes: the second corrects a guess that fell on the other side of a DST change.
  const first = asUtc - offsetAt(asUtc);
  return asUtc - offsetAt(first);
}

const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/;
const localDateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/i;
const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
const offset = /^([+-])(\d{1,4})\s*(m|min|h|d|w)$/i;
const unitMs: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * One time value to epoch ms. `base` is what an offset counts from (now, or --from for --to).
 * Returns NaN when the text is none of the accepted forms.
 */
export function parseTime(text: string, context: TimeContext, base = context.now): number {
  const value = text.trim().toLowerCase();
  const { timeZone } = context;
  if (dateTime.test(value)) return Date.parse(value);
  const today = wallOf(context.now, timeZone);
  const startOf = (dayOffset: number): number =>
    epochOf(timeZone, today.year, today.month, today.day + dayOffset);
  if (value === "now") return context.now;
  if (value === "today") return startOf(0);
  if (value === "tomorrow") return startOf(1);
  if (value === "yesterday") return startOf(-1);
  const weekday = weekdays.findIndex(
    (d) => d === value || (value.length >= 3 && d.startsWith(value)),
  );
  if (weekday >= 0) return startOf((weekday - today.weekday + 7) % 7);
  let m = dateOnly.exec(value);
  if (m !== null) return checkedDate(timeZone, m);
  m = localDateTime.exec(value);
  if (m !== null) return checkedDate(timeZone, m);
  m = offset.exec(value);
  if (m !== null) {
    const sign = m[1] === "-" ? -1 : 1;
    const amount = sign * Number(m[2]);
    const unit = (m[3] ?? "").toLowerCase();
    const perUnit = unitMs[unit];
    if (perUnit !== undefined) return base + amount * perUnit;
    // Days and weeks are calendar days in the zone: +1d across a DST change keeps the wall clock.
    const w = wallOf(base, timeZone);
    const days = unit === "w" ? amount * 7 : amount;
    return epochOf(timeZone, w.year, w.month, w.day + days, w.hour, w.minute, w.second);
  }
  return Number.NaN;
}

/** A date or local date-time whose fields are in range (2026-02-30 is refused, not rolled over). */
function checkedDate(timeZone: string, m: RegExpExecArray): number {
  const field = (i: number): number => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map(field) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    probe.getUTCMonth() !== month - 1 ||
    probe.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return Number.NaN;
  return epochOf(timeZone, year, month, day, hour, minute, second);
}

function contextOf(args: Record<string, unknown>, now: number | undefined): TimeContext {
  return { now: now ?? Date.now(), timeZone: timeZoneArg(args) };
}

/** Parses one time flag to epoch ms; undefined when absent; a usage error when malformed. */
export function timeArg(
  args: Record<string, unknown>,
  name: string,
  now?: number,
  base?: number,
): number | undefined {
  const value = stringArg(args, name);
  if (value === undefined) return undefined;
  const context = contextOf(args, now);
  const ms = parseTime(value, context, base ?? context.now);
  if (Number.isNaN(ms))
    throw new UsageError(`Invalid --${name} "${value}": not a time dwd knows`, `Give ${timeForms}`);
  return ms;
}

/** Both flags, checked for order; an offset in --to counts from --from when --from is given. */
export function timeRange(
  args: Record<string, unknown>,
  now?: number,
): {
  from: number | undefined;
  to: number | undefined;
} {
  const from = timeArg(args, "from", now);
  const to = timeArg(args, "to", now, from);
  if (from !== undefined && to !== undefined && to <= from)
    throw new UsageError(
      `Invalid time range: --to "${stringArg(args, "to") ?? ""}" is not after --from "${stringArg(args, "from") ?? ""}"`,
      "Give an end after the start",
    );
  return { from, to };
}

/** Epoch ms as RFC 3339 in UTC, as Google takes it. */
export const rfc3339 = (ms: number): string => new Date(ms).toISOString();
