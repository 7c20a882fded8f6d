/**
 * Kept events → busy intervals, counted as Google's freebusy.query counts them:
 *
 * - a cancelled event is free; so is a transparent one (`Show as: Available`; Google writes every
 *   working-location event transparent, every out-of-office and focus-time event opaque), and one the
 *   user declined as a guest. Tentative events and unanswered invitations are busy.
 * - a recurring master is expanded (RRULE, EXRULE, RDATE, EXDATE) on the wall clock of its
 *   `start.timeZone`, so it keeps its local time across daylight-saving changes; an instance that an
 *   exception event overrides (matched by `originalStartTime`) counts by the exception's own times and
 *   status instead, and a cancelled exception removes its instance. A cancelled master takes its
 *   exceptions with it.
 * - an all-day event is busy from midnight to midnight in the calendar's zone.
 * - intervals are merged (touching ones too) and clipped to the range.
 *
 * A calendar's reading is remembered with the array its events came in, and a series' expansion with
 * its event, so the engine must replace a changed event, never change one in place.
 *
 * @module
 */

import { eachInstance, eachOverlapping, instanceKey, seriesOf } from "./_busy-series.ts";
import type { Series } from "./_busy-series.ts";
import { floatingDate, fromWallClock, instantOf } from "./_busy-zone.ts";
import type { BusySpan, MirrorEvent, MirrorTime } from "./types.ts";

/**
 * What the mirror keeps of an event from the Calendar API (`events.list` item), for `subject`'s
 * calendar; the fields free/busy reads, nothing else.
 *
 * @param event an `events.list` item
 * @param subject the mirrored user (whose own answer as a guest counts)
 * @returns the kept event, or undefined when it has no `id`
 * @example
 * ```ts
 * const kept = page.items.map((item) => mirrorEventOf(item, "ana@example.com"));
 * ```
 */
export function mirrorEventOf(
  event: Record<string, unknown>,
  subject: string,
): MirrorEvent | undefined {
  if (typeof event["id"] !== "string") return undefined;
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  const time = (v: unknown): MirrorTime | undefined => {
    if (typeof v !== "object" || v === null) return undefined;
    const o = v as Record<string, unknown>;
    const out: MirrorTime = {};
    const date = str(o["date"]);
    const dateTime = str(o["dateTime"]);
    const timeZone = str(o["timeZone"]);
    if (date !== undefined) out.date = date;
    if (dateTime !== undefined) out.dateTime = dateTime;
    if (timeZone !== undefined) out.timeZone = timeZone;
    return out;
  };
  const me = subject.toLowerCase();
  const attendees = Array.isArray(event["attendees"]) ? (event["attendees"] as unknown[]) : [];
  let selfResponse: string | undefined;
  for (const a of attendees) {
    if (typeof a !== "object" || a === null) continue;
    const attendee = a as Record<string, unknown>;
    if (attendee["self"] === true || str(attendee["email"])?.toLowerCase() === me) {
      // Google leaves out `responseStatus` of nobody; an entry without one has not answered.
      selfResponse = str(attendee["responseStatus"]) ?? "needsAction";
      break;
    }
  }
  const kept: MirrorEvent = { id: event["id"] };
  const put = <K extends keyof MirrorEvent>(k: K, v: MirrorEvent[K] | undefined): void => {
    if (v !== undefined) kept[k] = v;
  };
  put("status", str(event["status"]));
  put("start", time(event["start"]));
  put("end", time(event["end"]));
  put("transparency", str(event["transparency"]));
  if (Array.isArray(event["recurrence"])) {
    const lines = (event["recurrence"] as unknown[]).filter(
      (l): l is string => typeof l === "string",
    );
    if (lines.length > 0) kept.recurrence = lines;
  }
  put("recurringEventId", str(event["recurringEventId"]));
  put("originalStartTime", time(event["originalStartTime"]));
  put("selfResponse", selfResponse);
  put("eventType", str(event["eventType"]));
  return kept;
}

/** An event as busy-time reads it, for one calendar zone. */
type Reading =
  | { kind: "none" }
  | { kind: "single"; busy: boolean; start: number; end: number }
  | { kind: "master"; id: string; cancelled: boolean; busy: boolean; series: Series | undefined }
  | {
      kind: "exception";
      master: string;
      cancelled: boolean;
      busy: boolean;
      /** Its instance's key (see eachInstance); NaN when `originalStartTime` is missing. */
      key: number;
      start: number;
      end: number;
    };

const NONE: Reading = { kind: "none" };
// A master's series (with its expansion) lives as long as the event object; series by content serve
// masters that come back as new objects (a store that parses JSON), a bounded number of them.
const seriesOfMaster = new WeakMap<MirrorEvent, { zone: string; series: Series }>();
const seriesByContent = new Map<string, Series>();
const MAX_SERIES = 4096;

function seriesFor(
  e: MirrorEvent & { recurrence: string[] },
  span: { start: number; end: number; allDay: boolean; zone: string },
  calendarZone: string,
): Series {
  const held = seriesOfMaster.get(e);
  if (held !== undefined && held.zone === calendarZone) return held.series;
  const content = JSON.stringify([e.recurrence, e.start, e.end, calendarZone]);
  let series = seriesByContent.get(content);
  if (series === undefined) {
    series = seriesOf(e.recurrence, { ...span, calendarZone });
    if (seriesByContent.size >= MAX_SERIES) seriesByContent.clear();
    seriesByContent.set(content, series);
  }
  seriesOfMaster.set(e, { zone: calendarZone, series });
  return series;
}

/** Start and end instants; all-day dates are midnights in the calendar's zone. */
function spanOf(
  e: MirrorEvent,
  calendarZone: string,
): { start: number; end: number; allDay: boolean; zone: string } | undefined {
  const zone = e.start?.timeZone ?? calendarZone;
  if (e.start?.dateTime !== undefined && e.end?.dateTime !== undefined) {
    const start = instantOf(e.start.dateTime, zone);
    const end = instantOf(e.end.dateTime, e.end.timeZone ?? zone);
    return Number.isNaN(start) || Number.isNaN(end)
      ? undefined
      : { start, end, allDay: false, zone };
  }
  if (e.start?.date !== undefined && e.end?.date !== undefined) {
    const start = floatingDate(e.start.date);
    const end = floatingDate(e.end.date);
    return Number.isNaN(start) || Number.isNaN(end)
      ? undefined
      : { start, end, allDay: true, zone };
  }
  return undefined;
}

function isBusy(e: MirrorEvent): boolean {
  return e.transparency !== "transparent" && e.selfResponse !== "declined";
}

function read(e: MirrorEvent, calendarZone: string): Reading {
  const cancelled = e.status === "cancelled";
  const busy = isBusy(e);
  const span = spanOf(e, calendarZone);
  if (e.recurringEventId !== undefined) {
    const zone = e.originalStartTime?.timeZone ?? e.start?.timeZone ?? calendarZone;
    const key =
      e.originalStartTime === undefined ? Number.NaN : instanceKey(e.originalStartTime, zone);
    const times = span === undefined ? undefined : instants(span, calendarZone);
    return {
      kind: "exception",
      master: e.recurringEventId,
      cancelled,
      busy: busy && times !== undefined,
      key,
      start: times?.start ?? 0,
      end: times?.end ?? 0,
    };
  }
  if (e.recurrence !== undefined && e.recurrence.length > 0) {
    const series =
      span === undefined
        ? undefined
        : seriesFor(e as MirrorEvent & { recurrence: string[] }, span, calendarZone);
    return { kind: "master", id: e.id, cancelled, busy, series };
  }
  if (cancelled || span === undefined) return NONE;
  const times = instants(span, calendarZone);
  return { kind: "single", busy, start: times.start, end: times.end };
}

function instants(
  span: { start: number; end: number; allDay: boolean },
  calendarZone: string,
): { start: number; end: number } {
  if (!span.allDay) return span;
  return {
    start: fromWallClock(span.start, calendarZone),
    end: fromWallClock(span.end, calendarZone),
  };
}

/** One calendar's kept events, read for busy time: fixed intervals in order, and series. */
interface CalendarIndex {
  zone: string;
  /** The events it was built from, in order: reused while the same objects come again. */
  refs: MirrorEvent[];
  /** Busy one-off events and exceptions, ordered by start. */
  starts: Float64Array;
  ends: Float64Array;
  /** The longest of them, so a range search knows how far back to look. */
  longest: number;
  /** Busy series, each with the keys of its instances that exceptions override. */
  series: { series: Series; overridden: ReadonlySet<number> | undefined }[];
  /** Merged busy intervals of the stretch last asked about, kept for the ranges inside it. */
  merged?: { from: number; to: number; starts: Float64Array; ends: Float64Array } | undefined;
}

const indexes = new WeakMap<object, CalendarIndex>();

/** The index of `events`: the one built last time when the same objects come in the same order. */
function indexOf(events: Iterable<MirrorEvent>, zone: string): CalendarIndex {
  const held = indexes.get(events);
  if (held !== undefined && held.zone === zone) {
    const refs = held.refs;
    let i = 0;
    let same = true;
    if (Array.isArray(events)) {
      const list = events as readonly MirrorEvent[];
      same = list.length === refs.length;
      for (; same && i < list.length; i++) same = list[i] === refs[i];
    } else {
      for (const e of events) {
        if (e !== refs[i++]) {
          same = false;
          break;
        }
      }
      same &&= i === refs.length;
    }
    if (same) return held;
  }
  const index = buildIndex([...events], zone);
  indexes.set(events, index);
  return index;
}

function buildIndex(refs: MirrorEvent[], zone: string): CalendarIndex {
  const fixed: { start: number; end: number }[] = [];
  const masters: Extract<Reading, { kind: "master" }>[] = [];
  const exceptions: Extract<Reading, { kind: "exception" }>[] = [];
  for (const e of refs) {
    const r = read(e, zone);
    if (r.kind === "single") {
      if (r.busy && r.end > r.start) fixed.push(r);
    } else if (r.kind === "master") masters.push(r);
    else if (r.kind === "exception") exceptions.push(r);
  }
  // A cancelled master takes its exceptions with it; other exceptions override their instance and
  // count by their own times and status.
  const gone = new Set<string>();
  for (const m of masters) if (m.cancelled) gone.add(m.id);
  const overridden = new Map<string, Set<number>>();
  for (const x of exceptions) {
    if (gone.has(x.master)) continue;
    let keys = overridden.get(x.master);
    if (keys === undefined) overridden.set(x.master, (keys = new Set<number>()));
    keys.add(x.key);
    if (!x.cancelled && x.busy && x.end > x.start) fixed.push(x);
  }
  fixed.sort((a, b) => a.start - b.start);
  const starts = new Float64Array(fixed.length);
  const ends = new Float64Array(fixed.length);
  let longest = 0;
  for (const [i, f] of fixed.entries()) {
    starts[i] = f.start;
    ends[i] = f.end;
    if (f.end - f.start > longest) longest = f.end - f.start;
  }
  const series: CalendarIndex["series"] = [];
  for (const m of masters)
    if (!m.cancelled && m.busy && m.series !== undefined)
      series.push({ series: m.series, overridden: overridden.get(m.id) });
  return { zone, refs, starts, ends, longest, series };
}

/**
 * Busy intervals of a calendar's kept events in [from, to), merged and clipped.
 *
 * Fast on repeated queries: a calendar is read once while the same `events` object (an array kept
 * per user) holds the same event objects in the same order — replace a changed event, never change
 * one in place — and its busy intervals are merged once for about five weeks from the range's start,
 * later ranges inside that stretch being cut out of it; a series keeps its expansion with its event.
 *
 * @param events the kept events of one calendar
 * @param timeZone the calendar's zone (all-day events are busy from midnight to midnight there)
 * @param from range start (ms)
 * @param to range end (ms)
 * @returns merged busy spans in order
 * @example
 * ```ts
 * const week = busyOf(keptOfAna, listPage.timeZone, Date.now(), Date.now() + 7 * 86_400_000);
 * ```
 */
export function busyOf(
  events: Iterable<MirrorEvent>,
  timeZone: string,
  from: number,
  to: number,
): BusySpan[] {
  if (!(to > from)) return [];
  const index = indexOf(events, timeZone);
  let held = index.merged;
  if (held === undefined || from < held.from || to > held.to) {
    // Merged once for a stretch around the range; later ranges inside it are cut out of it. (The
    // maximal busy intervals of a stretch, cut to a range, are exactly those of the range.)
    const lo = from - MERGE_BEFORE_MS;
    const hi = Math.max(to, from + MERGE_AFTER_MS);
    const spans = mergedSpans(index, lo, hi);
    const starts = new Float64Array(spans.length);
    const ends = new Float64Array(spans.length);
    for (const [i, sp] of spans.entries()) {
      starts[i] = sp[0];
      ends[i] = sp[1];
    }
    held = index.merged = { from: lo, to: hi, starts, ends };
  }
  const { starts, ends } = held;
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ends[mid] ?? 0) <= from) lo = mid + 1;
    else hi = mid;
  }
  const out: BusySpan[] = [];
  for (let i = lo; i < starts.length; i++) {
    const s = starts[i] ?? 0;
    if (s >= to) break;
    const e = ends[i] ?? 0;
    out.push([s > from ? s : from, e < to ? e : to]);
  }
  return out;
}

/** How much before and after a range busyOf merges at once, for the ranges asked next. */
const MERGE_BEFORE_MS = 86_400_000;
const MERGE_AFTER_MS = 35 * 86_400_000;

/** The calendar's busy intervals in [from, to): clipped, ordered, merged (touching ones too). */
function mergedSpans(index: CalendarIndex, from: number, to: number): BusySpan[] {
  const spans: BusySpan[] = [];
  const add = (s: number, e: number): void => {
    const a = s > from ? s : from;
    const b = e < to ? e : to;
    if (a < b) spans.push([a, b]);
  };
  eachOverlapping(index.starts, index.ends, from, to, from - index.longest, add);
  for (const { series, overridden } of index.series)
    eachInstance(series, from, to, (s, e, key) => {
      if (overridden === undefined || !overridden.has(key)) add(s, e);
    });
  if (spans.length > 1) spans.sort((x, y) => x[0] - y[0]);
  const merged: BusySpan[] = [];
  for (const sp of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && sp[0] <= last[1]) {
      if (sp[1] > last[1]) last[1] = sp[1];
    } else merged.push(sp);
  }
  return merged;
}

/** How far before the window a cancelled or moved instance's original start may lie and still matter. */
const ORIGINAL_MARGIN_MS = 31 * 86_400_000;

/**
 * True when the mirror must keep `event` for the window [from, to): it (or, for a series, any of its
 * instances) may count inside it. A cancelled one-off is not kept; a cancelled master is kept while
 * its series reaches into the window (it hides its exceptions); an exception is kept while its own
 * times or its original instance's start reach into the window (it overrides that instance).
 *
 * @param event a kept event
 * @param timeZone the calendar's zone
 * @param from window start (ms)
 * @param to window end (ms)
 * @returns whether to keep it
 * @example
 * ```ts
 * const horizon = [now - 86_400_000, now + horizonDays * 86_400_000] as const;
 * const kept = events.filter((e) => keepsEvent(e, timeZone, ...horizon));
 * ```
 */
export function keepsEvent(
  event: MirrorEvent,
  timeZone: string,
  from: number,
  to: number,
): boolean {
  const r = read(event, timeZone);
  switch (r.kind) {
    case "none":
      return false;
    case "single":
      return r.end > from && r.start < to;
    case "exception": {
      if (!r.cancelled && r.end > from && r.start < to) return true;
      if (Number.isNaN(r.key)) return false;
      // An all-day key is a floating date: near enough to its instant for a month's margin.
      return r.key < to && r.key > from - ORIGINAL_MARGIN_MS;
    }
    case "master": {
      // A deleted series is kept whatever its dates: it hides its exceptions, and one moved into the
      // window would otherwise count as busy on its own (it is a few bytes until the next full sync).
      if (event.status === "cancelled") return true;
      if (r.series === undefined) return false;
      let any = false;
      eachInstance(r.series, from, to, () => {
        any = true;
      });
      return any;
    }
  }
}
