import type { Scenario } from "../scenario.ts";
import type { ScenarioEventTime } from "../scenario-events.ts";
import type { CalendarData } from "./calendar-state.ts";
import { nextSeq } from "./calendar-state.ts";
import { normalizeAttendees, stamp } from "./event-model.ts";
import { syncCopies } from "./attendee-copies.ts";

function eventTime(t: ScenarioEventTime): Record<string, string> {
  if (typeof t !== "string") return { ...t };
  return /^\d{4}-\d{2}-\d{2}$/.test(t) ? { date: t } : { dateTime: t };
}

/** Adds the scenario's events to their calendars, as their owners would have created them. */
export function seedEvents(data: CalendarData, scenario: Scenario, nowMs: number): void {
  for (const [i, e] of (scenario.events ?? []).entries()) {
    const calendar = data.calendars.get(e.calendar);
    if (calendar === undefined) continue;
    const id = e.id ?? `seed0${i.toString(32)}`;
    const body: Record<string, unknown> = {
      summary: e.summary,
      start: eventTime(e.start),
      end: eventTime(e.end),
    };
    if (e.description !== undefined) body["description"] = e.description;
    if (e.location !== undefined) body["location"] = e.location;
    if (e.recurrence !== undefined) body["recurrence"] = [...e.recurrence];
    if (e.attendees !== undefined) body["attendees"] = e.attendees.map((email) => ({ email }));
    normalizeAttendees(body, calendar.id);
    const seq = nextSeq(data);
    const record = {
      id,
      seq,
      body: stamp(body, { id, calendar, seq, nowMs, creator: calendar.owner }),
    };
    calendar.events.set(id, record);
    // Guests in the domain find the event on their own calendars, as if it had been sent to them.
    syncCopies(data, calendar, record, nowMs);
  }
}
