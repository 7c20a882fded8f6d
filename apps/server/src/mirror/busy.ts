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
 * Kept events are read once and remembered by object (and recurring expansions by range), so the
 * engine must replace a changed event, never change one in place.
 *
 * @module
 */

import { eachInstance, instanceKey, seriesOf } from "./_busy-series.ts";
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
const readings = new WeakMap<MirrorEvent, { zone: string; reading: Reading }>();
// Series by content, for kept events that come back as new objects (a store that parses JSON).
const seriesByContent = new Map<string, Series>();
const MAX_SERIES = 20_000;

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
  const held = readings.get(e);
  if (held !== undefined && held.zone === calendarZone) return held.reading;
  const reading = readNew(e, calendarZone);
  readings.set(e, { zone: calendarZone, reading });
  return reading;
}

function readNew(e: MirrorEvent, calendarZone: string): Reading {
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
    let series: Series | undefined;
    if (span !== undefined) {
      const content = JSON.stringify([e.recurrence, e.start, e.end, calendarZone]);
      series = seriesByContent.get(content);
      if (series === undefined) {
        series = seriesOf(e.recurrence, { ...span, calendarZone });
        if (seriesByContent.size >= MAX_SERIES) seriesByContent.clear();
        seriesByContent.set(content, series);
      }
    }
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

/**
 * Busy intervals of a calendar's kept events in [from, to), merged and clipped.
 *
 * @param events the kept events of one calendar (each read once and remembered: replace a changed
 *   event, never change it in place)
 * @param timeZone the calendar's zone (all-day events are busy from midnight to midnight there)
 * @param from range start (ms)
 * @param to range end (ms)
 * @returns merged busy spans in order
 */
export function busyOf(
  events: Iterable<MirrorEvent>,
  timeZone: string,
  from: number,
  to: number,
): BusySpan[] {
  const spans: BusySpan[] = [];
  const add = (s: number, e: number): void => {
    const a = s > from ? s : from;
    const b = e < to ? e : to;
    if (a < b) spans.push([a, b]);
  };
  let masters: Extract<Reading, { kind: "master" }>[] | undefined;
  let exceptions: Extract<Reading, { kind: "exception" }>[] | undefined;
  for (const e of events) {
    const r = read(e, timeZone);
    if (r.kind === "single") {
      if (r.busy && r.end > from && r.start < to) add(r.start, r.end);
    } else if (r.kind === "master") (masters ??= []).push(r);
    else if (r.kind === "exception") (exceptions ??= []).push(r);
  }
  if (masters !== undefined || exceptions !== undefined) {
    const gone = new Set<string>();
    for (const m of masters ?? []) if (m.cancelled) gone.add(m.id);
    const overridden = new Map<string, Set<number>>();
    for (const x of exceptions ?? []) {
      if (gone.has(x.master)) continue;
      let keys = overridden.get(x.master);
      if (keys === undefined) overridden.set(x.master, (keys = new Set<number>()));
      keys.add(x.key);
      if (!x.cancelled && x.busy && x.end > from && x.start < to) add(x.start, x.end);
    }
    for (const m of masters ?? []) {
      if (m.cancelled || !m.busy || m.series === undefined) continue;
      const keys = overridden.get(m.id);
      eachInstance(m.series, from, to, (s, e, key) => {
        if (keys === undefined || !keys.has(key)) add(s, e);
      });
    }
  }
  if (spans.length > 1) spans.sort((x, y) => x[0] - y[0]);
  const merged: BusySpan[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s[0] <= last[1]) {
      if (s[1] > last[1]) last[1] = s[1];
    } else merged.push(s);
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
      if (r.series === undefined) return false;
      let any = false;
      eachInstance(r.series, from, to, () => {
        any = true;
      });
      return any;
    }
  }
}
