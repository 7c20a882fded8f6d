/**
 * Kept events → busy intervals, counted as Google's freebusy.query counts them.
 *
 * FIRST CUT (to be completed by the busy-intervals work): one-off timed events only; recurring
 * masters, exceptions and all-day events in the calendar's zone are not expanded yet.
 *
 * @module
 */

import type { BusySpan, MirrorEvent } from "./types.ts";

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
  const time = (v: unknown): MirrorEvent["start"] => {
    if (typeof v !== "object" || v === null) return undefined;
    const o = v as Record<string, unknown>;
    return { date: str(o["date"]), dateTime: str(o["dateTime"]), timeZone: str(o["timeZone"]) };
  };
  const attendees = Array.isArray(event["attendees"])
    ? (event["attendees"] as Record<string, unknown>[])
    : [];
  const self = attendees.find(
    (a) => a["self"] === true || str(a["email"])?.toLowerCase() === subject.toLowerCase(),
  );
  return {
    id: event["id"],
    status: str(event["status"]),
    start: time(event["start"]),
    end: time(event["end"]),
    transparency: str(event["transparency"]),
    recurrence: Array.isArray(event["recurrence"])
      ? (event["recurrence"] as unknown[]).filter((l): l is string => typeof l === "string")
      : undefined,
    recurringEventId: str(event["recurringEventId"]),
    originalStartTime: time(event["originalStartTime"]),
    selfResponse: str(self?.["responseStatus"]),
    eventType: str(event["eventType"]),
  };
}

/**
 * Busy intervals of a calendar's kept events in [from, to), merged and clipped.
 *
 * @param events the kept events of one calendar
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
  void timeZone;
  const spans: BusySpan[] = [];
  for (const e of events) {
    if (e.status === "cancelled" || e.transparency === "transparent") continue;
    if (e.selfResponse === "declined") continue;
    const s = Date.parse(e.start?.dateTime ?? e.start?.date ?? "");
    const t = Date.parse(e.end?.dateTime ?? e.end?.date ?? "");
    if (!(t > s) || t <= from || s >= to) continue;
    spans.push([Math.max(s, from), Math.min(t, to)]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  const merged: BusySpan[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/**
 * True when the mirror must keep `event` for the window [from, to): it (or, for a series, any of its
 * instances) may be busy inside it. Cancelled exceptions are kept: they remove an instance.
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
  void timeZone;
  if (event.recurrence !== undefined || event.recurringEventId !== undefined) return true;
  const s = Date.parse(event.start?.dateTime ?? event.start?.date ?? "");
  const t = Date.parse(event.end?.dateTime ?? event.end?.date ?? "");
  return !(t <= from || s >= to);
}
