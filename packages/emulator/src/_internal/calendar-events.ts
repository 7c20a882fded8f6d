import type { Access, CalendarCall } from "./calendar-call.ts";
import {
  access,
  flag,
  ifMatchFails,
  listEtag,
  maxResultsOf,
  noContent,
  notModified,
  ok,
  okJson,
  paginate,
  readBody,
  readSyncToken,
  syncTokenFor,
} from "./calendar-call.ts";
import {
  alreadyDeleted,
  badRequest,
  calendarError,
  duplicate,
  forbiddenForNonOrganizer,
  forbiddenForServiceAccounts,
  invalid,
  invalidValue,
  missingField,
  notFound,
  timeRangeEmpty,
} from "./calendar-errors.ts";
import type { JsonText } from "./batch-parts.ts";
import type { CalendarData, CalendarState, EventRecord } from "./calendar-state.ts";
import { changed, etagOf, nextSeq } from "./calendar-state.ts";
import {
  answerAsGuest,
  privateFields,
  responseOf,
  sharedOnlyFields,
  syncCopies,
  writeCopy,
} from "./attendee-copies.ts";
import { newEventId, validEventId } from "./event-ids.ts";
import {
  applyConference,
  clientEvent,
  expandCalendar,
  findEvent,
  hasAttendees,
  normalizeAttendees,
  present,
  presentJson,
  viewKey,
  recurrenceOf,
  stamp,
  startMsOf,
  timesOf,
} from "./event-model.ts";
import { parseQuickAdd } from "./quick-add.ts";
import { eventTimes, expand, validRecurrence } from "./recurrence.ts";
import { formatUtc, isTimeZone, parseDateTime } from "./time-zones.ts";
import { utf8Length } from "./utf8.ts";

// Parameters a sync token cannot be combined with (Google answers 400).
const notWithSync = [
  "iCalUID",
  "orderBy",
  "privateExtendedProperty",
  "q",
  "sharedExtendedProperty",
  "timeMin",
  "timeMax",
  "updatedMin",
];

function timeParam(call: CalendarCall, name: string): number | undefined | Response {
  const raw = call.query.get(name);
  if (raw === null) return undefined;
  const ms = parseDateTime(raw);
  return ms === undefined ? badRequest(call.now) : ms;
}

/**
 * The zone `dateTime` values are answered in: the `timeZone` parameter ("Time zone used in the
 * response", Google's reference says), else the calendar's.
 */
function responseZone(call: CalendarCall, calendar: CalendarState): string | Response {
  const raw = call.query.get("timeZone");
  if (raw === null || raw === "") return calendar.timeZone;
  return isTimeZone(raw) ? raw : invalidValue("timeZone", call.now);
}

function maxAttendeesOf(call: CalendarCall): number | undefined | Response {
  const raw = call.query.get("maxAttendees");
  if (raw === null) return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) return invalidValue("maxAttendees", call.now);
  return Number(raw);
}

function extendedMatch(
  body: Record<string, unknown>,
  kind: "private" | "shared",
  filters: string[],
): boolean {
  const props =
    (body["extendedProperties"] as Record<string, Record<string, string>> | undefined)?.[kind] ??
    {};
  return filters.every((f) => {
    const eq = f.indexOf("=");
    return eq > 0 && props[f.slice(0, eq)] === f.slice(eq + 1);
  });
}

function listBody(
  call: CalendarCall,
  a: Access,
  items: readonly EventRecord[],
): Record<string, unknown> {
  const entry = call.data.lists.get(call.principal)?.get(a.calendar.id);
  // `updated` is RFC 3339 in UTC with milliseconds everywhere (formatUtc), so text order is time order.
  let latest = "";
  for (const i of items) {
    const u = i.body["updated"];
    if (typeof u === "string" && u > latest) latest = u;
  }
  const updated = latest === "" ? 0 : Date.parse(latest) || 0;
  const body: Record<string, unknown> = {
    kind: "calendar#events",
    etag: listEtag(`events:${a.calendar.id}`, call.data.version),
    summary: a.calendar.summary,
  };
  if (a.calendar.description !== undefined) body["description"] = a.calendar.description;
  body["updated"] = formatUtc(updated === 0 ? call.now : updated);
  body["timeZone"] = a.calendar.timeZone;
  body["accessRole"] = a.role;
  body["defaultReminders"] = entry?.defaultReminders ?? [];
  return body;
}

/** Checks a written event's times, recurrence and attendees; the 400/403 answer when they are wrong. */
function validate(
  call: CalendarCall,
  calendar: CalendarState,
  body: Record<string, unknown>,
): Response | undefined {
  if (call.asServiceAccount && hasAttendees(body)) return forbiddenForServiceAccounts(call.now);
  const times = eventTimes(body, calendar.timeZone);
  if (typeof times === "string")
    return times.startsWith("Missing") ? missingField(times, call.now) : badRequest(call.now);
  if (times.endMs < times.startMs)
    return calendarError(400, "timeRangeEmpty", "The specified time range is empty.", call.now, {
      domain: "calendar",
    });
  const recurrence = recurrenceOf(body);
  if (recurrence !== undefined && !validRecurrence(recurrence))
    return invalid("Invalid recurrence rule.", call.now);
  return undefined;
}

function store(
  call: CalendarCall,
  calendar: CalendarState,
  id: string,
  body: Record<string, unknown>,
  previous?: EventRecord,
  propagate = true,
): EventRecord {
  const seq = nextSeq(call.data);
  const stamped = stamp(body, {
    id,
    calendar,
    seq,
    nowMs: call.now,
    creator: call.principal,
    previous: previous?.body,
  });
  const record: EventRecord = { id, seq, body: stamped };
  calendar.events.set(id, record);
  changed(call.data, `events:${calendar.id}`);
  // Guests in the domain get the event on their own calendars (an import is a private copy: no guests).
  if (propagate) syncCopies(call.data, calendar, record, call.now, previous?.body);
  return record;
}

function respondEvent(call: CalendarCall, record: EventRecord, a: Access): Response {
  const maxAttendees = maxAttendeesOf(call);
  if (maxAttendees instanceof Response) return maxAttendees;
  const timeZone = responseZone(call, a.calendar);
  if (timeZone instanceof Response) return timeZone;
  return ok(
    call,
    present(record.body, call.principal, { freeBusyOnly: a.freeBusyOnly, maxAttendees, timeZone }),
  );
}

/** events.list: pages, sync tokens (cancelled events included), time windows, recurring expansion. */
export function eventsList(call: CalendarCall): Response {
  const a = access(call, "freeBusyReader");
  if (a instanceof Response) return a;
  // A page depends on the calendar's events and metadata, the asker's list entry and role (every write
  // to any of them takes a new data version, so the role follows from asker and version), the sync
  // epoch, the view the token's scopes allow, and the query.
  const key = [
    a.calendar.id,
    call.principal,
    a.freeBusyOnly ? 1 : 0,
    call.data.version,
    call.data.syncEpoch,
    call.query.toString(),
  ].join("\n");
  let kept = keptPages.get(call.data);
  const held = kept?.pages.get(key);
  if (held !== undefined) return okJson(call, held, held.etag);
  const page = listPage(call, a);
  if (page instanceof Response) return page;
  // An empty page's `updated` is the clock's: it is made again each time.
  if (!page.empty) {
    if (kept === undefined) keptPages.set(call.data, (kept = { pages: new Map(), bytes: 0 }));
    if (kept.pages.size >= MAX_KEPT_PAGES || kept.bytes + page.bytes > MAX_KEPT_BYTES) {
      kept.pages.clear();
      kept.bytes = 0;
    }
    page.keep = true;
    kept.pages.set(key, page);
    kept.bytes += page.bytes;
  }
  return okJson(call, page, page.etag);
}

/** A page of events.list as JSON text (see presentJson), with its ETag. */
interface ListPage extends JsonText {
  etag: string;
  empty: boolean;
}

// Pages answered since the data last changed: a client re-reading many users' calendars (a sync, a
// dashboard) is answered from here, with the page's bytes once made. Keyed by data object, so a reset
// drops them; bounded by count and by UTF-8 size (a page's bytes are counted whether made yet or not).
const keptPages = new WeakMap<CalendarData, { pages: Map<string, ListPage>; bytes: number }>();
const MAX_KEPT_PAGES = 4096;
const MAX_KEPT_BYTES = 64 * 1024 * 1024;

function listPage(call: CalendarCall, a: Access): ListPage | Response {
  const max = maxResultsOf(call, 250, 2500);
  if (max instanceof Response) return max;
  let showDeleted = flag(call, "showDeleted");
  if (showDeleted instanceof Response) return showDeleted;
  const singleEvents = flag(call, "singleEvents");
  if (singleEvents instanceof Response) return singleEvents;
  const maxAttendees = maxAttendeesOf(call);
  if (maxAttendees instanceof Response) return maxAttendees;
  const timeZone = responseZone(call, a.calendar);
  if (timeZone instanceof Response) return timeZone;
  const calendar = a.calendar;
  const collection = `events:${calendar.id}`;

  let items: EventRecord[];
  const sync = call.query.get("syncToken");
  if (sync !== null) {
    for (const p of notWithSync) if (call.query.has(p)) return invalidValue(p, call.now);
    const since = readSyncToken(call, collection, sync);
    if (typeof since !== "number") return since;
    showDeleted = true;
    items = [...calendar.events.values()].filter((e) => e.seq > since);
  } else {
    const timeMin = timeParam(call, "timeMin");
    if (timeMin instanceof Response) return timeMin;
    const timeMax = timeParam(call, "timeMax");
    if (timeMax instanceof Response) return timeMax;
    if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin)
      return timeRangeEmpty(call.now);
    const updatedMin = timeParam(call, "updatedMin");
    if (updatedMin instanceof Response) return updatedMin;
    const orderBy = call.query.get("orderBy");
    if (orderBy !== null && orderBy !== "startTime" && orderBy !== "updated")
      return invalidValue("orderBy", call.now);
    if (orderBy === "startTime" && !singleEvents) {
      return calendarError(
        400,
        "badRequest",
        "The requested ordering is not available for the particular query.",
        call.now,
      );
    }
    const from = timeMin ?? -8.64e15;
    const to = timeMax ?? 8.64e15;
    if (singleEvents) {
      items = expandCalendar(calendar, from, to, timeMax === undefined ? 730 : 2500, showDeleted);
    } else if (timeMin === undefined && timeMax === undefined) {
      // No window: every event (recurring ones as their single master), without expanding anything.
      // (A stored event's times always parse: every write checks them.)
      items = [...calendar.events.values()];
      if (!showDeleted) items = items.filter((e) => e.body["status"] !== "cancelled");
    } else {
      items = [...calendar.events.values()].filter((e) => {
        if (e.body["status"] === "cancelled" && !showDeleted) return false;
        const times = timesOf(e, calendar);
        if (times === undefined) return false;
        const recurrence = recurrenceOf(e.body);
        if (recurrence === undefined) return times.endMs > from && times.startMs < to;
        return expand(recurrence, times, from, to, 1).length > 0;
      });
    }
    const q = call.query.get("q")?.toLowerCase();
    const iCalUID = call.query.get("iCalUID");
    const priv = call.query.getAll("privateExtendedProperty");
    const shared = call.query.getAll("sharedExtendedProperty");
    const types = call.query.getAll("eventTypes");
    items = items.filter((e) => {
      const b = e.body;
      if (
        q !== undefined &&
        ![b["summary"], b["description"], b["location"]].some(
          (v) => typeof v === "string" && v.toLowerCase().includes(q),
        )
      )
        return false;
      if (iCalUID !== null && b["iCalUID"] !== iCalUID) return false;
      if (updatedMin !== undefined && Date.parse(String(b["updated"])) < updatedMin) return false;
      if (priv.length > 0 && !extendedMatch(b, "private", priv)) return false;
      if (shared.length > 0 && !extendedMatch(b, "shared", shared)) return false;
      if (
        types.length > 0 &&
        !types.includes(typeof b["eventType"] === "string" ? b["eventType"] : "default")
      )
        return false;
      return true;
    });
    if (orderBy === "startTime")
      items.sort((x, y) => startMsOf(x, calendar) - startMsOf(y, calendar));
    if (orderBy === "updated")
      items.sort(
        (x, y) => Date.parse(String(x.body["updated"])) - Date.parse(String(y.body["updated"])),
      );
  }
  if (!showDeleted) items = items.filter((e) => e.body["status"] !== "cancelled");
  const page = paginate(call, items, max);
  if (page instanceof Response) return page;
  const view = { freeBusyOnly: a.freeBusyOnly, maxAttendees, timeZone };
  const body = listBody(call, a, page.items);
  if (page.nextPageToken !== undefined) body["nextPageToken"] = page.nextPageToken;
  else body["nextSyncToken"] = syncTokenFor(call.data, collection, page.snapshot);
  // `items` last, as Google sends it; each event's JSON is kept with the event (presentJson).
  const head = `${JSON.stringify(body).slice(0, -1)},"items":[`;
  const pieces: string[] = [head];
  let bytes = utf8Length(head) + 2 + Math.max(0, page.items.length - 1);
  const key = viewKey(call.principal, view);
  for (const [i, e] of page.items.entries()) {
    const json = presentJson(e.body, call.principal, view, key);
    if (i > 0) pieces.push(",");
    pieces.push(json.text);
    bytes += json.bytes;
  }
  pieces.push("]}");
  return { pieces, bytes, etag: String(body["etag"]), empty: page.items.length === 0 };
}

/** events.get: a stored event, a tombstone (`status: cancelled`), or a recurring instance. */
export function eventsGet(call: CalendarCall): Response {
  const a = access(call, "freeBusyReader");
  if (a instanceof Response) return a;
  const record = findEvent(a.calendar, call.params["eventId"] ?? "");
  if (record === undefined) return notFound(call.now);
  const etag = String(record.body["etag"]);
  return notModified(call, etag) ?? respondEvent(call, record, a);
}

/** events.insert: client-chosen base32hex IDs (409 when taken), attendees, conference data. */
export async function eventsInsert(call: CalendarCall): Promise<Response> {
  const a = access(call, "writer");
  if (a instanceof Response) return a;
  const raw = await readBody(call);
  if (raw instanceof Response) return raw;
  const body = clientEvent(raw);
  let id = newEventId();
  if (raw["id"] !== undefined) {
    if (typeof raw["id"] !== "string" || !validEventId(raw["id"]))
      return invalid("Invalid resource id value.", call.now);
    id = raw["id"];
    if (a.calendar.events.has(id)) return duplicate(call.now);
  }
  const problem = validate(call, a.calendar, body);
  if (problem !== undefined) return problem;
  body["id"] = id;
  normalizeAttendees(body, a.calendar.id);
  applyConference(call, body);
  delete body["iCalUID"];
  return respondEvent(call, store(call, a.calendar, id, body), a);
}

/** events.import: a private copy keyed by `iCalUID` (an existing one is updated in place). */
export async function eventsImport(call: CalendarCall): Promise<Response> {
  const a = access(call, "writer");
  if (a instanceof Response) return a;
  const raw = await readBody(call);
  if (raw instanceof Response) return raw;
  const body = clientEvent(raw);
  if (typeof body["iCalUID"] !== "string" || body["iCalUID"] === "")
    return missingField("Missing iCalUID.", call.now);
  const times = eventTimes(body, a.calendar.timeZone);
  if (typeof times === "string")
    return times.startsWith("Missing") ? missingField(times, call.now) : badRequest(call.now);
  const recurrence = recurrenceOf(body);
  if (recurrence !== undefined && !validRecurrence(recurrence))
    return invalid("Invalid recurrence rule.", call.now);
  const existing = [...a.calendar.events.values()].find(
    (e) => e.body["iCalUID"] === body["iCalUID"] && e.body["recurringEventId"] === undefined,
  );
  let id = existing?.id ?? newEventId();
  if (existing === undefined && raw["id"] !== undefined) {
    if (typeof raw["id"] !== "string" || !validEventId(raw["id"]))
      return invalid("Invalid resource id value.", call.now);
    if (a.calendar.events.has(raw["id"])) return duplicate(call.now);
    id = raw["id"];
  }
  body["id"] = id;
  normalizeAttendees(body, a.calendar.id);
  applyConference(call, body, existing?.body);
  return respondEvent(call, store(call, a.calendar, id, body, existing, false), a);
}

/** events.quickAdd: an event from a line of text (the subset quick-add.ts documents). */
export function eventsQuickAdd(call: CalendarCall): Response {
  const a = access(call, "writer");
  if (a instanceof Response) return a;
  const text = call.query.get("text");
  if (text === null || text.trim() === "") return missingField("Missing text.", call.now);
  const body = parseQuickAdd(text, call.now, a.calendar.timeZone);
  const id = newEventId();
  body["id"] = id;
  return respondEvent(call, store(call, a.calendar, id, body), a);
}

function merge(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const old = out[k];
    if (v === null) delete out[k];
    else if (
      typeof v === "object" &&
      !Array.isArray(v) &&
      typeof old === "object" &&
      old !== null &&
      !Array.isArray(old)
    ) {
      out[k] = merge(old as Record<string, unknown>, v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

async function rewrite(call: CalendarCall, mode: "update" | "patch"): Promise<Response> {
  const a = access(call, "writer");
  if (a instanceof Response) return a;
  const eventId = call.params["eventId"] ?? "";
  const previous = findEvent(a.calendar, eventId);
  if (previous === undefined) return notFound(call.now);
  const stale = ifMatchFails(call, String(previous.body["etag"]));
  if (stale !== undefined) return stale;
  const raw = await readBody(call);
  if (raw instanceof Response) return raw;
  const held = a.calendar.events.get(eventId);
  if (held?.copyOf !== undefined) return guestWrite(call, a, held, raw, mode);
  // Patch keeps what the client leaves out; update replaces every client-settable field.
  const keepFromPrevious = clientEvent(previous.body, ["recurringEventId"]);
  const incoming = clientEvent(raw);
  let body: Record<string, unknown>;
  if (mode === "patch") body = merge(keepFromPrevious, incoming);
  else {
    body = incoming;
    for (const k of ["recurringEventId", "originalStartTime", "iCalUID", "organizer"])
      if (keepFromPrevious[k] !== undefined) body[k] = keepFromPrevious[k];
  }
  const problem = validate(call, a.calendar, body);
  if (problem !== undefined) return problem;
  body["id"] = eventId;
  normalizeAttendees(body, a.calendar.id);
  applyConference(call, body, previous.body);
  const stored = a.calendar.events.has(eventId) ? previous : undefined;
  const prevBody = stored === undefined ? { ...previous.body, sequence: -1 } : previous.body;
  return respondEvent(
    call,
    store(call, a.calendar, eventId, body, { ...previous, body: prevBody }),
    a,
  );
}

/**
 * A write to a guest's copy: the guest's answer (its own `responseStatus`) goes to the organizer's
 * event and every copy; its private fields (reminders, color, busy/free) stay on its copy; the
 * organizer's shared fields are not the guest's to change (403 for the guest-permission flags, as
 * Google answers; anything else keeps the organizer's value).
 */
function guestWrite(
  call: CalendarCall,
  a: Access,
  held: EventRecord,
  raw: Record<string, unknown>,
  mode: "update" | "patch",
): Response {
  const incoming = clientEvent(raw);
  for (const f of sharedOnlyFields)
    if (f in incoming && JSON.stringify(incoming[f]) !== JSON.stringify(held.body[f]))
      return forbiddenForNonOrganizer(call.now);
  const guest = a.calendar.owner.toLowerCase();
  const body: Record<string, unknown> = { ...held.body };
  for (const f of privateFields) {
    if (incoming[f] !== undefined && incoming[f] !== null) body[f] = incoming[f];
    else if (mode === "update" || incoming[f] === null) delete body[f];
  }
  if (body["reminders"] === undefined) body["reminders"] = { useDefault: true };
  writeCopy(call.data, a.calendar, held, body, call.now);
  const answer = responseOf(incoming, guest);
  if (answer !== undefined) answerAsGuest(call.data, held, guest, answer, call.now);
  const now = a.calendar.events.get(held.id) ?? held;
  return respondEvent(call, now, a);
}

/** events.update (PUT): full replacement; `If-Match` → 412 when stale; an instance ID makes an exception. */
export function eventsUpdate(call: CalendarCall): Promise<Response> {
  return rewrite(call, "update");
}

/** events.patch: merges the given fields (nested objects merged, arrays replaced, null clears). */
export function eventsPatch(call: CalendarCall): Promise<Response> {
  return rewrite(call, "patch");
}

/** events.delete: leaves a cancelled tombstone (sync reports it); a second delete is 410 deleted. */
export function eventsDelete(call: CalendarCall): Response {
  const a = access(call, "writer");
  if (a instanceof Response) return a;
  const eventId = call.params["eventId"] ?? "";
  const record = findEvent(a.calendar, eventId);
  if (record === undefined) return notFound(call.now);
  const stale = ifMatchFails(call, String(record.body["etag"]));
  if (stale !== undefined) return stale;
  if (record.body["status"] === "cancelled") return alreadyDeleted(call.now);
  const held = a.calendar.events.get(eventId);
  if (held?.copyOf !== undefined) {
    // A guest removing the event from its calendar declines it; its copy stays gone.
    const guest = a.calendar.owner.toLowerCase();
    writeCopy(call.data, a.calendar, held, { ...held.body, status: "cancelled" }, call.now, true);
    answerAsGuest(call.data, held, guest, "declined", call.now);
    return noContent(call.now);
  }
  cancel(call, a.calendar, record);
  return noContent(call.now);
}

function cancel(call: CalendarCall, calendar: CalendarState, record: EventRecord): void {
  const seq = nextSeq(call.data);
  const body: Record<string, unknown> = { ...record.body, status: "cancelled", etag: etagOf(seq) };
  body["updated"] = formatUtc(call.now);
  const cancelled: EventRecord = { id: record.id, seq, body };
  // A guest's copy (moved away) stays a copy, gone for good; only an organizer's event has guests to tell.
  const copyOf = calendar.events.get(record.id)?.copyOf;
  if (copyOf !== undefined) Object.assign(cancelled, { copyOf, dismissed: true });
  calendar.events.set(record.id, cancelled);
  changed(call.data, `events:${calendar.id}`);
  syncCopies(call.data, calendar, cancelled, call.now, record.body);
}

/** events.move: to `destination` (writer on both); the source keeps a cancelled tombstone. */
export function eventsMove(call: CalendarCall): Response {
  const a = access(call, "writer");
  if (a instanceof Response) return a;
  const destinationId = call.query.get("destination");
  if (destinationId === null || destinationId === "")
    return missingField("Missing destination.", call.now);
  const eventId = call.params["eventId"] ?? "";
  const record = a.calendar.events.get(eventId);
  if (record === undefined || record.body["status"] === "cancelled") {
    if (findEvent(a.calendar, eventId) !== undefined) {
      return calendarError(
        400,
        "cannotChangeOrganizerOfInstance",
        "Cannot change the organizer of an instance.",
        call.now,
        { domain: "calendar" },
      );
    }
    return notFound(call.now);
  }
  const d = access(call, "writer", destinationId);
  if (d instanceof Response) return d;
  // Moving changes the organizer, a shared property: a guest's copy is not its to move.
  if (record.copyOf !== undefined && d.calendar.id !== a.calendar.id)
    return forbiddenForNonOrganizer(call.now);
  if (d.calendar.id === a.calendar.id) return respondEvent(call, record, a);
  const existing = d.calendar.events.get(eventId);
  if (existing !== undefined && existing.body["status"] !== "cancelled") return duplicate(call.now);
  cancel(call, a.calendar, record);
  const body = clientEvent(record.body);
  body["organizer"] = { email: d.calendar.id, displayName: d.calendar.summary };
  body["conferenceData"] = record.body["conferenceData"];
  body["hangoutLink"] = record.body["hangoutLink"];
  body["iCalUID"] = record.body["iCalUID"];
  const moved = store(call, d.calendar, eventId, body, {
    ...record,
    body: { ...record.body, organizer: undefined },
  });
  return respondEvent(call, moved, d);
}

/** events.instances: the occurrences of a recurring event, pages of up to 2500. */
export function eventsInstances(call: CalendarCall): Response {
  const a = access(call, "freeBusyReader");
  if (a instanceof Response) return a;
  const master = a.calendar.events.get(call.params["eventId"] ?? "");
  if (master === undefined || master.body["status"] === "cancelled") return notFound(call.now);
  const max = maxResultsOf(call, 250, 2500);
  if (max instanceof Response) return max;
  const showDeleted = flag(call, "showDeleted");
  if (showDeleted instanceof Response) return showDeleted;
  const timeMin = timeParam(call, "timeMin");
  if (timeMin instanceof Response) return timeMin;
  const timeMax = timeParam(call, "timeMax");
  if (timeMax instanceof Response) return timeMax;
  if (timeMin !== undefined && timeMax !== undefined && timeMax <= timeMin)
    return timeRangeEmpty(call.now);
  const originalStart = timeParam(call, "originalStart");
  if (originalStart instanceof Response) return originalStart;
  const single = {
    ...a.calendar,
    events: new Map([
      [master.id, master],
      ...[...a.calendar.events].filter(([, e]) => e.body["recurringEventId"] === master.id),
    ]),
  };
  let items = expandCalendar(
    single,
    timeMin ?? -8.64e15,
    timeMax ?? 8.64e15,
    timeMax === undefined ? 730 : 2500,
    showDeleted,
  );
  if (originalStart !== undefined)
    items = items.filter(
      (e) =>
        parseDateTime(
          String(
            (e.body["originalStartTime"] as { dateTime?: string | undefined } | undefined)
              ?.dateTime ?? "",
          ),
        ) === originalStart,
    );
  const timeZone = responseZone(call, a.calendar);
  if (timeZone instanceof Response) return timeZone;
  const page = paginate(call, items, max);
  if (page instanceof Response) return page;
  const shown = page.items.map((e) =>
    present(e.body, call.principal, { freeBusyOnly: a.freeBusyOnly, timeZone }),
  );
  const body = listBody(call, a, page.items);
  if (page.nextPageToken !== undefined) body["nextPageToken"] = page.nextPageToken;
  body["items"] = shown;
  return ok(call, body);
}
