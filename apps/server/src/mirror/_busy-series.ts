/**
 * A recurring event's instances, expanded with the `rrule` library on wall-clock ("floating") times in
 * the event's own zone and mapped back to instants, so a 10:00 Europe/Berlin meeting stays at 10:00
 * across daylight-saving changes. Each series keeps the instances of the range it last expanded.
 *
 * @module
 */

import rrulePackage from "rrule";
import { floatingDate, fromWallClock, instantOf, wallClock } from "./_busy-zone.ts";

// rrule's main entry is CommonJS; its default export carries the API on Node, in the bundle and on Deno.
const { RRule } = rrulePackage;

const DAY_MS = 86_400_000;
/** Instances one expansion keeps, and rule steps it takes, at most (a minutely rule runs for ever). */
const MAX_INSTANCES = 5000;
const MAX_STEPS = 200_000;
/** How far before and after the asked range an expansion reaches, so the next queries reuse it. */
const EXPAND_BEFORE_MS = 8 * DAY_MS;
const EXPAND_AFTER_MS = 35 * DAY_MS;

/** What a series needs to know of its master event. */
export interface SeriesTimes {
  allDay: boolean;
  /** Timed: the start instant. All-day: the start date as a floating midnight. */
  start: number;
  /** Timed: the end instant. All-day: the end date as a floating midnight. */
  end: number;
  /** The zone the rule runs in: the event's `start.timeZone`, else the calendar's. */
  zone: string;
  /** The calendar's zone: all-day instances run from midnight to midnight there. */
  calendarZone: string;
}

/** A recurring event, ready to list its instances. */
export interface Series {
  readonly times: SeriesTimes;
  /** Floating start of the first instance (DTSTART). */
  readonly first: number;
  /**
   * The RRULEs and EXRULEs, each expanded on its own and bounded: an RRuleSet would loop for ever
   * when an EXRULE removes every date of an endless RRULE (rrule stops only on a date it keeps).
   */
  readonly rrules: readonly InstanceType<typeof RRule>[];
  readonly exrules: readonly InstanceType<typeof RRule>[];
  readonly rdates: readonly number[];
  readonly exdates: ReadonlySet<number>;
  /** Days (floating midnights) excluded as a whole by a date-only EXDATE of a timed series. */
  readonly exdays: ReadonlySet<number>;
  /** The floating range last expanded, and its instances (instants, ordered by start). */
  cover: { from: number; to: number; starts: number[]; ends: number[]; keys: number[] } | undefined;
}

const valueRe = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/i;

/**
 * An iCalendar DATE or DATE-TIME value (`20260401`, `20260401T100000`, `…Z`) as a floating value in
 * `zone`: a UTC value is moved to `zone`'s wall clock, a local one read in `tzid` (else `zone`).
 */
function icalValue(
  value: string,
  zone: string,
  tzid: string | undefined,
): { floating: number; dateOnly: boolean } | undefined {
  const m = valueRe.exec(value.trim());
  if (m === null) return undefined;
  const floating = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
  );
  if (m[4] === undefined) return { floating, dateOnly: true };
  if (m[7] !== undefined && m[7] !== "")
    return { floating: wallClock(floating, zone), dateOnly: false };
  if (tzid !== undefined && tzid !== zone)
    return { floating: wallClock(fromWallClock(floating, tzid), zone), dateOnly: false };
  return { floating, dateOnly: false };
}

/** The values of every `name` line (EXDATE or RDATE), with their date-only flag. */
function listed(
  lines: readonly string[],
  name: string,
  zone: string,
): { floating: number; dateOnly: boolean }[] {
  const out: { floating: number; dateOnly: boolean }[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const head = line.slice(0, colon).trim().toUpperCase();
    if (head !== name && !head.startsWith(`${name};`)) continue;
    const tzid = /;TZID=([^;:]+)/i.exec(line.slice(0, colon))?.[1];
    for (const raw of line.slice(colon + 1).split(",")) {
      // A PERIOD value (`start/end` or `start/duration`) starts an instance at its start.
      const v = icalValue(raw.split("/")[0] ?? "", zone, tzid);
      if (v !== undefined) out.push(v);
    }
  }
  return out;
}

/** One RRULE or EXRULE, anchored at the series' first floating start; UNTIL made floating too. */
function ruleOf(value: string, first: number, times: SeriesTimes): InstanceType<typeof RRule> {
  const options = RRule.parseString(value);
  const until = /(?:^|;)UNTIL=([^;]+)/i.exec(value)?.[1];
  if (until !== undefined) {
    const v = icalValue(until, times.zone, undefined);
    if (v !== undefined) {
      // A date-only UNTIL on a timed series keeps that whole day.
      const floating = v.dateOnly && !times.allDay ? v.floating + DAY_MS - 1000 : v.floating;
      options.until = new Date(times.allDay ? Math.floor(floating / DAY_MS) * DAY_MS : floating);
    }
  }
  return new RRule({ ...options, dtstart: new Date(first), tzid: null });
}

/**
 * Reads a master's recurrence lines (RRULE, EXRULE, RDATE, EXDATE). A line that does not parse is
 * left out (Google stores none such); the first instance (DTSTART) always happens.
 *
 * @param recurrence the event's `recurrence` lines
 * @param times the master's times
 * @returns the series
 */
export function seriesOf(recurrence: readonly string[], times: SeriesTimes): Series {
  const first = times.allDay ? times.start : wallClock(times.start, times.zone);
  const rrules: InstanceType<typeof RRule>[] = [];
  const exrules: InstanceType<typeof RRule>[] = [];
  for (const line of recurrence) {
    const m = /^\s*(RRULE|EXRULE)\s*:(.*)$/is.exec(line);
    if (m === null) continue;
    try {
      const rule = ruleOf((m[2] ?? "").trim(), first, times);
      if ((m[1] ?? "").toUpperCase() === "RRULE") rrules.push(rule);
      else exrules.push(rule);
    } catch {
      // An RRULE rrule cannot read adds no instances.
    }
  }
  const day = (f: number): number => Math.floor(f / DAY_MS) * DAY_MS;
  const exdates = new Set<number>();
  const exdays = new Set<number>();
  for (const v of listed(recurrence, "EXDATE", times.zone)) {
    if (times.allDay) exdates.add(day(v.floating));
    else if (v.dateOnly) exdays.add(v.floating);
    else exdates.add(v.floating);
  }
  const rdates = listed(recurrence, "RDATE", times.zone).map((v) =>
    times.allDay ? day(v.floating) : v.dateOnly ? v.floating + (first - day(first)) : v.floating,
  );
  return { times, first, rrules, exrules, rdates, exdates, exdays, cover: undefined };
}

/**
 * Calls `each` with the rule's floating dates in [from, to), in order; at most MAX_INSTANCES of them
 * and MAX_STEPS dates looked at (a minutely rule from years ago would take for ever).
 */
function eachDate(
  rule: InstanceType<typeof RRule>,
  from: number,
  to: number,
  each: (f: number) => void,
): void {
  let n = 0;
  let steps = 0;
  rule.all((d) => {
    const f = d.getTime();
    if (f >= to || n >= MAX_INSTANCES || ++steps > MAX_STEPS) return false;
    if (f >= from) {
      each(f);
      n++;
    }
    return true;
  });
}

/** Expands floating starts in [from, to) into the series' cover. */
function expand(series: Series, from: number, to: number): void {
  const { times } = series;
  const floats = new Set<number>();
  // The first instance and RDATEs happen unless an EXRULE (or EXDATE, below) removes them.
  if (series.first >= from && series.first < to) floats.add(series.first);
  for (const r of series.rdates) if (r >= from && r < to) floats.add(r);
  for (const rule of series.rrules) eachDate(rule, from, to, (f) => floats.add(f));
  for (const rule of series.exrules) eachDate(rule, from, to, (f) => floats.delete(f));
  const starts: number[] = [];
  const ends: number[] = [];
  const keys: number[] = [];
  const days = times.end - times.start;
  for (const f of [...floats].sort((a, b) => a - b)) {
    if (series.exdates.has(f)) continue;
    if (series.exdays.size > 0 && series.exdays.has(Math.floor(f / DAY_MS) * DAY_MS)) continue;
    if (times.allDay) {
      starts.push(fromWallClock(f, times.calendarZone));
      ends.push(fromWallClock(f + days, times.calendarZone));
      keys.push(f);
    } else {
      const s = fromWallClock(f, times.zone);
      starts.push(s);
      ends.push(s + (times.end - times.start));
      keys.push(s);
    }
  }
  series.cover = { from, to, starts, ends, keys };
}

/**
 * Calls `each` for every interval of (`starts`, `ends`) — ordered by start, none starting before
 * `earliest` can reach `from` — that overlaps [from, to): a binary search to the first that may, then
 * a scan until one starts at `to`.
 *
 * @param starts interval starts, ascending
 * @param ends their ends
 * @param from range start
 * @param to range end
 * @param earliest no interval starting before this ends after `from`
 * @param each receives each overlapping interval's start, end and index
 */
export function eachOverlapping(
  starts: ArrayLike<number>,
  ends: ArrayLike<number>,
  from: number,
  to: number,
  earliest: number,
  each: (start: number, end: number, index: number) => void,
): void {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((starts[mid] ?? 0) < earliest) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < starts.length; i++) {
    const s = starts[i] ?? 0;
    if (s >= to) break;
    const e = ends[i] ?? 0;
    if (e > from) each(s, e, i);
  }
}

/**
 * Calls `each` for every instance of the series that overlaps [from, to) (instants), in order.
 *
 * @param series the series
 * @param from range start (ms)
 * @param to range end (ms)
 * @param each receives the instance's start, end and key (its start instant; for an all-day series
 *   its floating date) — the key an exception's `originalStartTime` names it by
 */
export function eachInstance(
  series: Series,
  from: number,
  to: number,
  each: (start: number, end: number, key: number) => void,
): void {
  const { times } = series;
  const length = Math.max(0, times.end - times.start);
  // Floating starts that can overlap [from, to): a zone is at most a day off UTC.
  const needFrom = from - length - DAY_MS;
  const needTo = to + DAY_MS;
  let cover = series.cover;
  if (cover === undefined || needFrom < cover.from || needTo > cover.to) {
    expand(series, needFrom - EXPAND_BEFORE_MS, needTo + EXPAND_AFTER_MS);
    cover = series.cover;
    if (cover === undefined) return;
  }
  const { starts, ends, keys } = cover;
  // The first instance that may end after `from`: starts are ordered and no instance is longer than
  // `length` plus a day (a DST day stretches an all-day one by an hour).
  eachOverlapping(starts, ends, from, to, from - length - DAY_MS, (s, e, i) =>
    each(s, e, keys[i] ?? 0),
  );
}

/**
 * The key an exception's `originalStartTime` names its instance by (see {@link eachInstance}).
 *
 * @param original the exception's `originalStartTime`
 * @param zone the zone of a date-time written without an offset
 * @returns the key, or NaN when it does not parse
 */
export function instanceKey(
  original: { date?: string | undefined; dateTime?: string | undefined },
  zone: string,
): number {
  if (original.dateTime !== undefined) return instantOf(original.dateTime, zone);
  if (original.date !== undefined) return floatingDate(original.date);
  return Number.NaN;
}
