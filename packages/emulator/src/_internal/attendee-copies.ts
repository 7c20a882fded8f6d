// Attendees in the domain. Google puts an event with guests on each guest's own primary calendar: the
// same event ID and iCalUID, the organizer's shared fields, the attendee list (everyone's response)
// shared, and the guest's own private fields (reminders, color, busy/free). A guest's answer travels to
// the organizer's event and from there to every copy. Guests outside the domain get nothing here (Google
// mails them an invitation). `sendUpdates` only decides who gets mail, so copies are made whatever it says.

import type { CalendarData, CalendarState, EventRecord } from "./calendar-state.ts";
import { changed, etagOf, nextSeq } from "./calendar-state.ts";
import { htmlLink } from "./event-ids.ts";
import { formatUtc } from "./time-zones.ts";

/** Fields a guest keeps on its own copy; the organizer's writes never overwrite them. */
export const privateFields: readonly string[] = ["reminders", "colorId", "transparency"];

/** Fields only the organizer may change; a guest changing them gets 403 forbiddenForNonOrganizer. */
export const sharedOnlyFields: readonly string[] = [
  "guestsCanInviteOthers",
  "guestsCanModify",
  "guestsCanSeeOtherGuests",
];

/** Lower-cased attendee emails of an event body. */
export function attendeeEmails(body: Record<string, unknown> | undefined): Set<string> {
  const out = new Set<string>();
  const list = body?.["attendees"];
  if (!Array.isArray(list)) return out;
  for (const a of list as { email?: unknown }[])
    if (typeof a.email === "string") out.add(a.email.toLowerCase());
  return out;
}

/** The response of `email` in an event's attendee list, or undefined when not a guest. */
export function responseOf(body: Record<string, unknown>, email: string): string | undefined {
  const list = body["attendees"];
  if (!Array.isArray(list)) return undefined;
  const me = (list as { email?: unknown; responseStatus?: unknown }[]).find(
    (a) => typeof a.email === "string" && a.email.toLowerCase() === email,
  );
  if (me === undefined) return undefined;
  return typeof me.responseStatus === "string" ? me.responseStatus : "needsAction";
}

/** The primary calendar of a user of the domain, when `email` names one. */
function guestCalendar(data: CalendarData, email: string): CalendarState | undefined {
  if (email.slice(email.lastIndexOf("@") + 1) !== data.domain) return undefined;
  const c = data.calendars.get(email);
  return c !== undefined && c.primary && c.owner === email && !c.deleted ? c : undefined;
}

/** True when `record` on `calendar` is a copy that belongs to the same event as `body`. */
function isCopy(record: EventRecord | undefined, body: Record<string, unknown>): boolean {
  return record?.copyOf !== undefined && record.body["iCalUID"] === body["iCalUID"];
}

/**
 * Brings every guest's copy of the organizer's `record` (on `organizer`) up to date: made for guests in
 * the domain, rewritten on each change, cancelled for guests no longer invited (or when the event is).
 * `previous` is the organizer's body before this write (its guests may have been removed).
 */
export function syncCopies(
  data: CalendarData,
  organizer: CalendarState,
  record: EventRecord,
  nowMs: number,
  previous?: Record<string, unknown>,
): void {
  if (record.copyOf !== undefined) return;
  const now = attendeeEmails(record.body);
  const before = attendeeEmails(previous);
  if (now.size === 0 && before.size === 0) return;
  const cancelled = record.body["status"] === "cancelled";
  for (const email of new Set([...now, ...before])) {
    if (email === organizer.id) continue;
    const calendar = guestCalendar(data, email);
    if (calendar === undefined || calendar.id === organizer.id) continue;
    const held = calendar.events.get(record.id);
    if (held !== undefined && !isCopy(held, record.body)) continue; // the guest's own event
    const invited = now.has(email) && !cancelled;
    if (!invited) {
      if (held === undefined) {
        // A cancelled instance of a recurring invitation: the guest's series needs the exception too.
        const master = record.body["recurringEventId"];
        const series = typeof master === "string" ? calendar.events.get(master) : undefined;
        if (cancelled && series?.copyOf !== undefined && series.dismissed !== true)
          write(data, calendar, undefined, record.body, organizer.id, nowMs);
        continue;
      }
      if (held.body["status"] === "cancelled") continue;
      write(data, calendar, held, { ...held.body, status: "cancelled" }, organizer.id, nowMs);
      continue;
    }
    if (held?.dismissed === true) continue;
    const body: Record<string, unknown> = { ...record.body };
    for (const f of privateFields) {
      if (held !== undefined && held.body[f] !== undefined) body[f] = held.body[f];
      else if (f === "reminders") body[f] = { useDefault: true };
    }
    write(data, calendar, held, body, organizer.id, nowMs);
  }
}

/** Rewrites a guest's copy with `body` (new ETag, `updated`); `dismiss` keeps it cancelled for good. */
export function writeCopy(
  data: CalendarData,
  calendar: CalendarState,
  held: EventRecord,
  body: Record<string, unknown>,
  nowMs: number,
  dismiss = false,
): void {
  write(
    data,
    calendar,
    dismiss ? { ...held, dismissed: true } : held,
    body,
    held.copyOf ?? "",
    nowMs,
  );
}

function write(
  data: CalendarData,
  calendar: CalendarState,
  held: EventRecord | undefined,
  body: Record<string, unknown>,
  organizerId: string,
  nowMs: number,
): void {
  const seq = nextSeq(data);
  const id = String(body["id"]);
  const out: Record<string, unknown> = {
    ...body,
    etag: etagOf(seq),
    htmlLink: htmlLink(id, calendar.id),
    updated: formatUtc(nowMs),
  };
  const record: EventRecord = { id, seq, body: out, copyOf: organizerId };
  if (held?.dismissed === true) record.dismissed = true;
  calendar.events.set(id, record);
  changed(data, `events:${calendar.id}`);
}

/**
 * A guest's answer (`responseStatus`) written into the organizer's event, then spread to every copy.
 * No-op when the organizer's event is gone or the guest is not on it.
 */
export function answerAsGuest(
  data: CalendarData,
  copy: EventRecord,
  guest: string,
  responseStatus: string,
  nowMs: number,
): void {
  const organizer = copy.copyOf === undefined ? undefined : data.calendars.get(copy.copyOf);
  const record = organizer?.events.get(copy.id);
  if (organizer === undefined || record === undefined) return;
  if (responseOf(record.body, guest) === responseStatus) return;
  const attendees = (record.body["attendees"] as Record<string, unknown>[]).map((a) =>
    typeof a["email"] === "string" && a["email"].toLowerCase() === guest
      ? { ...a, responseStatus }
      : a,
  );
  const seq = nextSeq(data);
  // An answer changes neither the event's `sequence` nor its content: only the list of responses.
  const updated: EventRecord = {
    id: record.id,
    seq,
    body: { ...record.body, attendees, etag: etagOf(seq), updated: formatUtc(nowMs) },
  };
  organizer.events.set(record.id, updated);
  changed(data, `events:${organizer.id}`);
  syncCopies(data, organizer, updated, nowMs, record.body);
}

/** True when the calendar's owner declined the event (it then does not make them busy). */
export function declinedByOwner(body: Record<string, unknown>, calendar: CalendarState): boolean {
  return responseOf(body, calendar.owner.toLowerCase()) === "declined";
}
