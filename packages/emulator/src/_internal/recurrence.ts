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
const { RRule, RRuleSet } = rrulePackage;

/** An RRULE/EXRULE set anchored at `dtstart` (rrule's own parser; dtstart given explicitly). */
function ruleSet(lines: readonly string[], dtstart: Date): InstanceType<typeof RRuleSet> {
  const set = new RRuleSet();
  for (const line of lines) {
    const m = /^(RRULE|EXRULE):(.*)$/is.exec(line.trim());
    if (m === null) throw new RangeError(`Not an RRULE or EXRULE line: ${line}`);
    const rule = new RRule({ ...RRule.parseString(m[2] ?? ""), dtstart });
    if ((m[1] ?? "").toUpperCase() === "RRULE") set.rrule(rule);
    else set.exrule(rule);
  }
  return set;
}

/** When an event happens: instants in ms, and the zone its wall clock lives in. */
export interface EventTimes {
  startMs: number;
  endMs: number;
  allDay: boolean;
  /** The zone of `start.timeZone`, else the calendar's. */
  zone: string;
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
    return { startMs: s, endMs: e, allDay: true, zone };
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
  return { startMs: s, endMs: e, allDay: false, zone };
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
      if (/^(RRULE|EXRULE)/i.test(line.trim())) ruleSet([line], new Date(0)).all((_d, i) => i < 1);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Expands a recurring event with the `rrule` library, in the event's own time zone: the rule runs on
 * wall-clock ("floating") times, and each occurrence is mapped back to an instant in that zone, so a
 * 10:00 Europe/Berlin weekly meeting stays at 10:00 across daylight-saving changes. Occurrences
 * starting before `fromMs` or at/after `toMs` are left out; at most `limit` are returned.
 */
export function expand(
  recurrence: readonly string[],
  times: EventTimes,
  fromMs: number,
  toMs: number,
  limit: number,
): Occurrence[] {
  const zone = times.zone;
  const startFloating = times.allDay ? times.startMs : wallClock(times.startMs, zone);
  const duration = times.endMs - times.startMs;
  const rules = recurrence.filter((l) => /^(RRULE|EXRULE)/i.test(l.trim())).map((l) => l.trim());
  const set = rules.length === 0 ? undefined : ruleSet(rules, new Date(startFloating));
  const exdates = new Set(listedDates(recurrence, "EXDATE", zone));
  // Nothing happens before the first occurrence; far-off bounds mean "no bound".
  const lo = Math.max(fromMs, times.startMs - 86_400_000);
  const floatingFrom = (times.allDay ? lo : wallClock(lo, zone)) - 2 * 86_400_000;
  const floatingTo =
    toMs >= 8.64e15 - 1 ? Infinity : (times.allDay ? toMs : wallClock(toMs, zone)) + 2 * 86_400_000;
  const candidates = new Set<number>([startFloating, ...listedDates(recurrence, "RDATE", zone)]);
  if (set !== undefined) {
    let taken = 0;
    set.all((d) => {
      const f = d.getTime();
      if (f > floatingTo) return false;
      if (f >= floatingFrom) {
        candidates.add(f);
        taken++;
      }
      return taken < limit + 8;
    });
  }
  const out: Occurrence[] = [];
  for (const f of [...candidates].sort((a, b) => a - b)) {
    if (exdates.has(f)) continue;
    const startMs = times.allDay ? f : fromWallClock(f, zone);
    const endMs = startMs + duration;
    const overlaps = times.allDay
      ? f + duration > fromMs && f < toMs
      : endMs > fromMs && startMs < toMs;
    if (!overlaps) continue;
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
