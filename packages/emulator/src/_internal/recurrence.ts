import rrulePackage from "rrule";
import {
  formatDate,
  formatInZone,
  fromWallClock,
  parseDate,
  parseDateTime,
  wallClock,
} from "./time-zones.ts";

// rrule ships CommonJS at its main entry; its default export carries the API on Node and Deno alike.
const { RRule } = rrulePackage;

/**
 * One RRULE/EXRULE value (rrule's own parser; dtstart given explicitly), running on wall-clock
 * ("floating") times of `zone`. A UTC `UNTIL` (`…Z`) names an instant (RFC 5545 §3.3.10: with a zoned
 * DTSTART, UNTIL "MUST be specified as a date with UTC time"), so it is turned into the zone's wall
 * clock before the rule compares it with wall-clock occurrences.
 */
function ruleOf(text: string, dtstart: Date, zone: string): InstanceType<typeof RRule> {
  const options = { ...RRule.parseString(text), dtstart };
  if (/(?:^|;)UNTIL=\d{8}T\d{6}Z(?:;|$)/i.test(text) && options.until instanceof Date)
    options.until = new Date(wallClock(options.until.getTime(), zone));
  return new RRule(options);
}

/** The RRULEs and EXRULEs of `lines`, each anchored at `dtstart`. */
function rulesOf(
  lines: readonly string[],
  dtstart: Date,
  zone = "UTC",
): { rrules: InstanceType<typeof RRule>[]; exrules: InstanceType<typeof RRule>[] } {
  const rrules: InstanceType<typeof RRule>[] = [];
  const exrules: InstanceType<typeof RRule>[] = [];
  for (const line of lines) {
    const m = /^(RRULE|EXRULE):(.*)$/is.exec(line.trim());
    if (m === null) throw new RangeError(`Not an RRULE or EXRULE line: ${line}`);
    const rule = ruleOf(m[2] ?? "", dtstart, zone);
    if ((m[1] ?? "").toUpperCase() === "RRULE") rrules.push(rule);
    else exrules.push(rule);
  }
  return { rrules, exrules };
}

/** When an event happens: instants in ms, and the zone its wall clock lives in. */
export interface EventTimes {
  startMs: number;
  endMs: number;
  allDay: boolean;
  /**
   * The zone of `start.timeZone`, else the calendar's; for an all-day event always the calendar's
   * (its dates are days of the calendar's zone, midnight to midnight there).
   */
  zone: string;
  /** The start's wall clock in `zone` as a UTC-based floating value (the date's midnight all day). */
  floatingStart: number;
  /** The end's, likewise. */
  floatingEnd: number;
}

type DateTimeField = { date?: unknown; dateTime?: unknown; timeZone?: unknown } | undefined;

/** Reads an event's `start`/`end`; a string describing what is wrong when they do not parse. */
export function eventTimes(
  body: Record<string, unknown>,
  calendarZone: string,
): EventTimes | string {
  const start = body["start"] as DateTimeField;
  const end = body["end"] as DateTimeField;
  if (start === undefined) return "Missing start time.";
  if (end === undefined) return "Missing end time.";
  const zone = typeof start.timeZone === "string" ? start.timeZone : calendarZone;
  if (typeof start.date === "string") {
    const s = parseDate(start.date);
    const e = typeof end.date === "string" ? parseDate(end.date) : undefined;
    if (s === undefined || e === undefined) return "Bad Request";
    // An all-day event is busy from midnight to midnight in the calendar's zone, not in UTC.
    return {
      startMs: fromWallClock(s, calendarZone),
      endMs: fromWallClock(e, calendarZone),
      allDay: true,
      zone: calendarZone,
      floatingStart: s,
      floatingEnd: e,
    };
  }
  if (typeof start.dateTime !== "string" || typeof end.dateTime !== "string") return "Bad Request";
  const endZone = typeof end.timeZone === "string" ? end.timeZone : zone;
  const s = parseDateTime(
    start.dateTime,
    typeof start.timeZone === "string" ? start.timeZone : undefined,
  );
  const e = parseDateTime(
    end.dateTime,
    typeof end.timeZone === "string" ? end.timeZone : undefined,
  );
  if (s === undefined)
    return parseDateTime(start.dateTime, zone) === undefined
      ? "Bad Request"
      : "Missing time zone definition for start time.";
  if (e === undefined)
    return parseDateTime(end.dateTime, endZone) === undefined
      ? "Bad Request"
      : "Missing time zone definition for end time.";
  return {
    startMs: s,
    endMs: e,
    allDay: false,
    zone,
    floatingStart: wallClock(s, zone),
    floatingEnd: wallClock(e, zone),
  };
}

/** One occurrence of a recurring event. */
export interface Occurrence {
  startMs: number;
  endMs: number;
  /** The suffix of the instance ID: `20260401T080000Z`, or `20260401` for all-day events. */
  key: string;
  /** `start`-shaped value of the occurrence (also its `originalStartTime`). */
  start: Record<string, string>;
  end: Record<string, string>;
}

function basic(ms: number, allDay: boolean): string {
  const iso = new Date(ms).toISOString();
  const date = iso.slice(0, 10).replace(/-/g, "");
  return allDay ? date : `${date}T${iso.slice(11, 19).replace(/:/g, "")}Z`;
}

/** Floating value of an iCalendar date or date-time (`20260401`, `20260401T100000`, `…Z`) in `zone`. */
function icalFloating(value: string, zone: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(value.trim());
  if (m === null) return undefined;
  const floating = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
  return m[7] === "Z" ? wallClock(floating, zone) : floating;
}

/** Dates listed by EXDATE/RDATE lines, as floating values in the event's zone. */
function listedDates(lines: readonly string[], name: string, zone: string): number[] {
  const out: number[] = [];
  for (const line of lines) {
    const m = new RegExp(`^${name}(;[^:]*)?:(.*)$`, "i").exec(line.trim());
    if (m === null) continue;
    for (const v of (m[2] ?? "").split(",")) {
      const f = icalFloating(v, zone);
      if (f !== undefined) out.push(f);
    }
  }
  return out;
}

/** True when every line of `recurrence` is an RRULE/EXRULE/RDATE/EXDATE line that parses. */
export function validRecurrence(recurrence: readonly string[]): boolean {
  try {
    for (const line of recurrence) {
      if (!/^(RRULE|EXRULE|RDATE|EXDATE)[:;]/i.test(line.trim())) return false;
      if (/^(RRULE|EXRULE)/i.test(line.trim()))
        for (const rule of Object.values(rulesOf([line], new Date(0))).flat())
          rule.all((_d, i) => i < 1);
    }
    return true;
  } catch {
    return false;
  }
}

const DAY = 86_400_000;

/**
 * Expands a recurring event with the `rrule` library, in the event's own time zone: the rule runs on
 * wall-clock ("floating") times, and each occurrence is mapped back to an instant in that zone, so a
 * 10:00 Europe/Berlin weekly meeting stays at 10:00 across daylight-saving changes. The recurrence set
 * is RFC 5545's (§3.8.5): DTSTART, the RRULE occurrences and the RDATEs, less the EXDATEs and whatever
 * an EXRULE (RFC 2445 §4.8.5.2; Google still accepts it) generates — DTSTART and RDATEs included. A
 * timed occurrence lasts exactly as long as the event (§3.8.5.3: DTEND gives "the same exact
 * duration"); an all-day one as many days. Occurrences that do not overlap [fromMs, toMs) are left
 * out, however long before `fromMs` they start; at most `limit` are returned.
 */
export function expand(
  recurrence: readonly string[],
  times: EventTimes,
  fromMs: number,
  toMs: number,
  limit: number,
): Occurrence[] {
  const zone = times.zone;
  const startFloating = times.floatingStart;
  const duration = times.allDay
    ? times.floatingEnd - times.floatingStart
    : times.endMs - times.startMs;
  const lines = recurrence.filter((l) => /^(RRULE|EXRULE)/i.test(l.trim())).map((l) => l.trim());
  const { rrules, exrules } = rulesOf(lines, new Date(startFloating), zone);
  const exdates = new Set(listedDates(recurrence, "EXDATE", zone));
  const excluded = (f: number): boolean =>
    exdates.has(f) ||
    exrules.some((r) => r.between(new Date(f), new Date(f), true, (_d, i) => i < 1).length > 0);
  // Nothing happens before the first occurrence; an occurrence overlaps the window when it starts
  // less than its own length before it (a day either side covers any zone offset); far-off bounds
  // mean "no bound".
  const lo = Math.max(fromMs, times.startMs - DAY);
  const floatingFrom = wallClock(lo, zone) - Math.max(duration, 0) - 2 * DAY;
  const floatingTo = toMs >= 8.64e15 - 1 ? Infinity : wallClock(toMs, zone) + 2 * DAY;
  const found = new Set<number>();
  for (const f of [startFloating, ...listedDates(recurrence, "RDATE", zone)])
    if (f >= floatingFrom && f <= floatingTo && !excluded(f)) found.add(f);
  // Each RRULE's dates in the window, then the exclusions. EXDATEs remove at most their number; an
  // EXRULE may remove every date of an endless rule, so at most `raw` are read (the call then ends,
  // with fewer than `limit` occurrences when nearly all of a long stretch is excluded).
  const raw = limit + exdates.size + 8 + (exrules.length > 0 ? limit * 3 + 64 : 0);
  const ruled: number[] = [];
  for (const rule of rrules) {
    let taken = 0;
    rule.all((d) => {
      const f = d.getTime();
      if (f > floatingTo) return false;
      if (f >= floatingFrom) {
        ruled.push(f);
        taken++;
      }
      return taken < raw;
    });
  }
  if (ruled.length > 0) {
    const upper = ruled.reduce((a, b) => (b > a ? b : a));
    const removed = new Set<number>(exdates);
    for (const r of exrules)
      for (const d of r.between(new Date(floatingFrom), new Date(upper), true))
        removed.add(d.getTime());
    for (const f of ruled) if (!removed.has(f)) found.add(f);
  }
  const candidates = [...found].sort((a, b) => a - b);
  const out: Occurrence[] = [];
  for (const f of candidates) {
    const startMs = fromWallClock(f, zone);
    const endMs = times.allDay ? fromWallClock(f + duration, zone) : startMs + duration;
    if (!(endMs > fromMs && startMs < toMs)) continue;
    const start: Record<string, string> = times.allDay
      ? { date: formatDate(f) }
      : { dateTime: formatInZone(startMs, zone), timeZone: zone };
    const end: Record<string, string> = times.allDay
      ? { date: formatDate(f + duration) }
      : { dateTime: formatInZone(endMs, zone), timeZone: zone };
    out.push({ startMs, endMs, key: basic(times.allDay ? f : startMs, times.allDay), start, end });
    if (out.length >= limit) break;
  }
  return out;
}
