import type { CalendarCall } from "./calendar-call.ts";
import { ok, readBody } from "./calendar-call.ts";
import { badRequest, calendarError, missingField, timeRangeEmpty } from "./calendar-errors.ts";
import { findCalendar, roleOf } from "./calendar-state.ts";
import { expandCalendar } from "./event-model.ts";
import { declinedByOwner } from "./attendee-copies.ts";
import { eventTimes } from "./recurrence.ts";
import { formatInZone, isTimeZone, parseDateTime } from "./time-zones.ts";

/**
 * freebusy.query: busy intervals of each calendar the principal can see at least free/busy of
 * (a domain user's primary calendar is visible to the domain by default); others get
 * `errors: [{domain: "global", reason: "notFound"}]`. Transparent, cancelled and declined events are free;
 * recurring events are expanded; overlapping intervals are merged.
 */
export async function freebusyQuery(call: CalendarCall): Promise<Response> {
  const body = await readBody(call);
  if (body instanceof Response) return body;
  if (typeof body["timeMin"] !== "string") return missingField("Missing timeMin.", call.now);
  if (typeof body["timeMax"] !== "string") return missingField("Missing timeMax.", call.now);
  const from = parseDateTime(body["timeMin"]);
  const to = parseDateTime(body["timeMax"]);
  if (from === undefined || to === undefined) return badRequest(call.now);
  if (to <= from) return timeRangeEmpty(call.now);
  const zone =
    typeof body["timeZone"] === "string" && isTimeZone(body["timeZone"]) ? body["timeZone"] : "UTC";
  const items = Array.isArray(body["items"]) ? (body["items"] as { id?: unknown }[]) : [];
  if (items.length > 50)
    return calendarError(
      400,
      "tooManyCalendarsRequested",
      "Too many calendars requested.",
      call.now,
      { domain: "calendar" },
    );
  const calendars: Record<string, unknown> = {};
  for (const item of items) {
    if (typeof item.id !== "string") continue;
    const calendar = findCalendar(call.data, item.id, call.principal);
    if (calendar === undefined || roleOf(call.data, calendar, call.principal) === "none") {
      calendars[item.id] = { errors: [{ domain: "global", reason: "notFound" }], busy: [] };
      continue;
    }
    const spans: [number, number][] = [];
    for (const e of expandCalendar(calendar, from, to, 5000, false)) {
      if (e.body["transparency"] === "transparent") continue;
      if (declinedByOwner(e.body, calendar)) continue; // a declined invitation leaves its guest free
      const t = eventTimes(e.body, calendar.timeZone);
      if (typeof t === "string") continue;
      const span: [number, number] = [Math.max(t.startMs, from), Math.min(t.endMs, to)];
      // An event without length (or a part of one outside the window) busies nothing.
      if (span[1] > span[0]) spans.push(span);
    }
    spans.sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const s of spans) {
      const last = merged[merged.length - 1];
      if (last !== undefined && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
      else merged.push([s[0], s[1]]);
    }
    calendars[item.id] = {
      busy: merged.map(([s, e]) => ({ start: formatInZone(s, zone), end: formatInZone(e, zone) })),
    };
  }
  return ok(call, {
    kind: "calendar#freeBusy",
    timeMin: new Date(from).toISOString(),
    timeMax: new Date(to).toISOString(),
    calendars,
  });
}
