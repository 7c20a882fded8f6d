import type { CalendarCall } from "./calendar-call.ts";
import { access, ifMatchFails, noContent, notModified, ok, readBody } from "./calendar-call.ts";
import { calendarError, invalid, missingField } from "./calendar-errors.ts";
import type { CalendarState, EventRecord } from "./calendar-state.ts";
import { syncCopies } from "./attendee-copies.ts";
import { addCalendar, changed, etagOf, findCalendar, nextSeq } from "./calendar-state.ts";
import { cleanResource } from "./discovery-schema.ts";
import { newEventId } from "./event-ids.ts";
import { formatUtc } from "./time-zones.ts";
import { isTimeZone } from "./time-zones.ts";

/** A `calendar#calendar` resource. */
export function calendarResource(c: CalendarState): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: "calendar#calendar",
    etag: etagOf(c.seq),
    id: c.id,
    summary: c.summary,
  };
  if (c.description !== undefined) out["description"] = c.description;
  if (c.location !== undefined) out["location"] = c.location;
  out["timeZone"] = c.timeZone;
  out["conferenceProperties"] = { allowedConferenceSolutionTypes: ["hangoutsMeet"] };
  return out;
}

function applyFields(
  call: CalendarCall,
  c: CalendarState,
  body: Record<string, unknown>,
  replace: boolean,
): Response | undefined {
  const clean = cleanResource(body, "Calendar");
  if (
    clean["timeZone"] !== undefined &&
    (typeof clean["timeZone"] !== "string" || !isTimeZone(clean["timeZone"]))
  )
    return invalid("Invalid time zone definition.", call.now);
  if (replace && (typeof clean["summary"] !== "string" || clean["summary"] === ""))
    return missingField("Missing summary.", call.now);
  if (typeof clean["summary"] === "string") c.summary = clean["summary"];
  for (const k of ["description", "location"] as const) {
    if (typeof clean[k] === "string") c[k] = clean[k];
    else if (replace || body[k] === null) delete c[k];
  }
  if (typeof clean["timeZone"] === "string") c.timeZone = clean["timeZone"];
  c.seq = nextSeq(call.data);
  return undefined;
}

/** calendars.get: needs any access (free/busy readers included). */
export function calendarsGet(call: CalendarCall): Response {
  const a = access(call, "freeBusyReader");
  if (a instanceof Response) return a;
  const res = calendarResource(a.calendar);
  return notModified(call, String(res["etag"])) ?? ok(call, res);
}

/** calendars.insert: a secondary calendar owned by the principal and added to its list. */
export async function calendarsInsert(call: CalendarCall): Promise<Response> {
  const body = await readBody(call);
  if (body instanceof Response) return body;
  const clean = cleanResource(body, "Calendar");
  if (typeof clean["summary"] !== "string" || clean["summary"] === "")
    return missingField("Missing summary.", call.now);
  const zone =
    typeof clean["timeZone"] === "string"
      ? clean["timeZone"]
      : (findCalendar(call.data, "primary", call.principal)?.timeZone ?? "UTC");
  if (!isTimeZone(zone)) return invalid("Invalid time zone definition.", call.now);
  const seq = nextSeq(call.data);
  const id = `${newEventId()}@group.calendar.google.com`;
  const c = addCalendar(
    call.data,
    {
      id,
      owner: call.principal,
      summary: clean["summary"],
      timeZone: zone,
      primary: false,
      createdBy: call.token.clientId,
    },
    seq,
  );
  if (typeof clean["description"] === "string") c.description = clean["description"];
  if (typeof clean["location"] === "string") c.location = clean["location"];
  changed(call.data, `calendarList:${call.principal}`);
  return ok(call, calendarResource(c));
}

async function rewrite(call: CalendarCall, replace: boolean): Promise<Response> {
  const a = access(call, "owner");
  if (a instanceof Response) return a;
  const stale = ifMatchFails(call, etagOf(a.calendar.seq));
  if (stale !== undefined) return stale;
  const body = await readBody(call);
  if (body instanceof Response) return body;
  const problem = applyFields(call, a.calendar, body, replace);
  if (problem !== undefined) return problem;
  return ok(call, calendarResource(a.calendar));
}

/** calendars.update: replaces summary, description, location and timeZone (owner only). */
export function calendarsUpdate(call: CalendarCall): Promise<Response> {
  return rewrite(call, true);
}

/** calendars.patch: changes the given fields (owner only). */
export function calendarsPatch(call: CalendarCall): Promise<Response> {
  return rewrite(call, false);
}

/** calendars.delete: a secondary calendar, with its events, out of every calendar list. */
export function calendarsDelete(call: CalendarCall): Response {
  const a = access(call, "owner");
  if (a instanceof Response) return a;
  if (a.calendar.primary) {
    return calendarError(
      400,
      "cannotDeletePrimaryCalendar",
      "Cannot delete primary calendar.",
      call.now,
      { domain: "calendar" },
    );
  }
  const seq = nextSeq(call.data);
  a.calendar.deleted = true;
  a.calendar.seq = seq;
  for (const [principal, list] of call.data.lists) {
    const entry = list.get(a.calendar.id);
    if (entry === undefined || entry.deleted) continue;
    entry.deleted = true;
    entry.seq = seq;
    changed(call.data, `calendarList:${principal}`);
  }
  changed(call.data, `events:${a.calendar.id}`);
  return noContent(call.now);
}

/**
 * calendars.clear: cancels every event of a primary calendar (owner only); sync reports each one.
 * Google clears primary calendars only and answers a secondary one with its (oddly worded) 400
 * "Cannot clear primary calendar." (see the README for the sources).
 */
export function calendarsClear(call: CalendarCall): Response {
  const a = access(call, "owner");
  if (a instanceof Response) return a;
  if (!a.calendar.primary) return invalid("Cannot clear primary calendar.", call.now);
  for (const record of [...a.calendar.events.values()]) {
    if (record.body["status"] === "cancelled") continue;
    const seq = nextSeq(call.data);
    const cleared: EventRecord = {
      id: record.id,
      seq,
      body: {
        ...record.body,
        status: "cancelled",
        etag: etagOf(seq),
        updated: formatUtc(call.now),
      },
    };
    // A guest's copy stays gone; the organizer's own events are cancelled for their guests too.
    if (record.copyOf !== undefined)
      Object.assign(cleared, { copyOf: record.copyOf, dismissed: true });
    a.calendar.events.set(record.id, cleared);
    if (record.copyOf === undefined)
      syncCopies(call.data, a.calendar, cleared, call.now, record.body);
  }
  changed(call.data, `events:${a.calendar.id}`);
  return noContent(call.now);
}
