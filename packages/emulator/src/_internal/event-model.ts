import type { CalendarCall } from "./calendar-call.ts";
import type { CalendarState, EventRecord } from "./calendar-state.ts";
import { etagOf } from "./calendar-state.ts";
import { cleanResource } from "./discovery-schema.ts";
import { htmlLink, meetCode } from "./event-ids.ts";
import type { EventTimes, Occurrence } from "./recurrence.ts";
import { eventTimes, expand } from "./recurrence.ts";
import { formatInZone, formatUtc, fromWallClock, parseDateTime } from "./time-zones.ts";
import { utf8Length } from "./utf8.ts";

/** Fields only the server sets; a client's values for them are ignored. */
const serverFields = [
  "kind",
  "etag",
  "id",
  "htmlLink",
  "created",
  "updated",
  "creator",
  "hangoutLink",
  "recurringEventId",
  "privateCopy",
  "locked",
];

/** A request body reduced to what the Event schema allows, minus server-owned fields. */
export function clientEvent(
  body: Record<string, unknown>,
  keep: readonly string[] = [],
): Record<string, unknown> {
  const clean = cleanResource(body, "Event");
  for (const f of serverFields) if (!keep.includes(f)) delete clean[f];
  return clean;
}

/** True when the body lists at least one attendee. */
export function hasAttendees(body: Record<string, unknown>): boolean {
  return Array.isArray(body["attendees"]) && body["attendees"].length > 0;
}

/** Attendees with Google's defaults (`responseStatus: needsAction`; the organizer's own entry marked). */
export function normalizeAttendees(body: Record<string, unknown>, organizer: string): void {
  if (!Array.isArray(body["attendees"])) return;
  body["attendees"] = (body["attendees"] as Record<string, unknown>[]).map((a) => {
    const out: Record<string, unknown> = { ...a };
    if (typeof out["email"] === "string") out["email"] = out["email"].toLowerCase();
    if (out["email"] === organizer) out["organizer"] = true;
    out["responseStatus"] ??= out["email"] === organizer ? "accepted" : "needsAction";
    return out;
  });
}

/**
 * Applies `conferenceData.createRequest` as Google does with `conferenceDataVersion=1`: a Meet link
 * when a user is acting; silently nothing when the service account acts as itself.
 */
export function applyConference(
  call: CalendarCall,
  body: Record<string, unknown>,
  previous?: Record<string, unknown>,
): void {
  const version = call.query.get("conferenceDataVersion");
  const requested = body["conferenceData"] as
    | {
        createRequest?:
          | {
              requestId?: string | undefined;
              conferenceSolutionKey?: { type?: string | undefined } | undefined;
            }
          | undefined;
      }
    | undefined;
  if (version !== "1") {
    // Version 0 clients cannot touch conference data: keep what was there.
    if (previous?.["conferenceData"] !== undefined)
      body["conferenceData"] = previous["conferenceData"];
    else delete body["conferenceData"];
    if (previous?.["hangoutLink"] !== undefined) body["hangoutLink"] = previous["hangoutLink"];
    return;
  }
  if (requested?.createRequest === undefined) return;
  if (call.asServiceAccount) {
    delete body["conferenceData"];
    return;
  }
  const code = meetCode(`${String(body["id"])}:${requested.createRequest.requestId ?? ""}`);
  const uri = `https://meet.google.com/${code}`;
  body["hangoutLink"] = uri;
  body["conferenceData"] = {
    createRequest: {
      requestId: requested.createRequest.requestId ?? "",
      conferenceSolutionKey: {
        type: requested.createRequest.conferenceSolutionKey?.type ?? "hangoutsMeet",
      },
      status: { statusCode: "success" },
    },
    entryPoints: [{ entryPointType: "video", uri, label: uri.slice("https://".length) }],
    conferenceSolution: {
      key: { type: "hangoutsMeet" },
      name: "Google Meet",
      iconUri:
        "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
    },
    conferenceId: code,
  };
}

/** Stamps the server fields of a new or changed event. */
export function stamp(
  body: Record<string, unknown>,
  opts: {
    id: string;
    calendar: CalendarState;
    seq: number;
    nowMs: number;
    creator: string;
    previous?: Record<string, unknown> | undefined;
  },
): Record<string, unknown> {
  const prev = opts.previous;
  const out: Record<string, unknown> = {
    kind: "calendar#event",
    etag: etagOf(opts.seq),
    id: opts.id,
    status: typeof body["status"] === "string" ? body["status"] : "confirmed",
    htmlLink: htmlLink(opts.id, opts.calendar.id),
    created: prev?.["created"] ?? formatUtc(opts.nowMs),
    updated: formatUtc(opts.nowMs),
  };
  for (const [k, v] of Object.entries(body)) if (!(k in out)) out[k] = v;
  out["creator"] = prev?.["creator"] ?? { email: opts.creator };
  out["organizer"] = body["organizer"] ??
    prev?.["organizer"] ?? { email: opts.calendar.id, displayName: opts.calendar.summary };
  out["iCalUID"] = body["iCalUID"] ?? prev?.["iCalUID"] ?? `${opts.id}@google.com`;
  out["sequence"] =
    prev === undefined ? (body["sequence"] ?? 0) : Number(prev["sequence"] ?? 0) + 1;
  out["reminders"] ??= { useDefault: true };
  out["eventType"] ??= "default";
  return out;
}

const timedFields = ["start", "end", "originalStartTime"] as const;

/**
 * A `start`/`end`/`originalStartTime` value as Google answers it: `dateTime` always RFC 3339 with an
 * offset, written in the response's zone (the `timeZone` parameter, else the calendar's); `timeZone`
 * (the event's own zone) and `date` untouched. A stored `dateTime` without an offset is read in the
 * field's own `timeZone`, else the event's start zone (every write checks that one of them is there).
 */
function inResponseZone(value: unknown, eventZone: string | undefined, zone: string): unknown {
  if (typeof value !== "object" || value === null) return value;
  const field = value as Record<string, unknown>;
  if (typeof field["dateTime"] !== "string") return value;
  const own = typeof field["timeZone"] === "string" ? field["timeZone"] : eventZone;
  const ms = parseDateTime(field["dateTime"], own);
  if (ms === undefined) return value;
  const dateTime = formatInZone(ms, zone);
  return dateTime === field["dateTime"] ? value : { ...field, dateTime };
}

/** The event as `principal` sees it: `self` flags, attendee limit, and the free/busy-only view. */
export function present(
  body: Record<string, unknown>,
  principal: string,
  opts: PresentOptions = {},
): Record<string, unknown> {
  const zone = opts.timeZone;
  const withTimes = (out: Record<string, unknown>): Record<string, unknown> => {
    if (zone === undefined) return out;
    const startZone = (body["start"] as { timeZone?: unknown } | undefined)?.timeZone;
    const eventZone = typeof startZone === "string" ? startZone : undefined;
    for (const k of timedFields)
      if (out[k] !== undefined) out[k] = inResponseZone(out[k], eventZone, zone);
    return out;
  };
  if (opts.freeBusyOnly === true) {
    const out: Record<string, unknown> = {
      kind: body["kind"],
      etag: body["etag"],
      id: body["id"],
      status: body["status"],
      updated: body["updated"],
    };
    for (const k of ["start", "end", "recurringEventId", "originalStartTime", "transparency"])
      if (body[k] !== undefined) out[k] = body[k];
    return withTimes(out);
  }
  const out = withTimes({ ...body });
  for (const k of ["creator", "organizer"]) {
    const person = out[k] as { email?: string | undefined } | undefined;
    if (person?.email === principal) out[k] = { ...person, self: true };
  }
  if (Array.isArray(out["attendees"])) {
    let attendees = (out["attendees"] as Record<string, unknown>[]).map((a) =>
      a["email"] === principal ? { ...a, self: true } : a,
    );
    if (opts.maxAttendees !== undefined && attendees.length > opts.maxAttendees) {
      attendees = attendees.slice(0, opts.maxAttendees);
      out["attendeesOmitted"] = true;
    }
    out["attendees"] = attendees;
  }
  return out;
}

// Stored bodies are replaced on every write, never changed in place, so a body's JSON as one principal
// sees it can be kept with the body: a list of thousands of events is then joined, not re-serialized.
const presentedJson = new WeakMap<Record<string, unknown>, Map<string, PresentedJson>>();

/** An event's JSON as one principal sees it, and its UTF-8 length. */
export interface PresentedJson {
  text: string;
  bytes: number;
}

/** Options of `present`: the free/busy-only view, a limit of attendees, the response's time zone. */
export interface PresentOptions {
  freeBusyOnly?: boolean | undefined;
  maxAttendees?: number | undefined;
  /** Zone `dateTime` values are written in (the `timeZone` parameter, else the calendar's). */
  timeZone?: string | undefined;
}

/** What `present` depends on besides the body, as one string (compute it once per list). */
export function viewKey(principal: string, opts: PresentOptions = {}): string {
  return `${principal}\n${opts.freeBusyOnly === true ? 1 : 0}\n${opts.maxAttendees ?? ""}\n${opts.timeZone ?? ""}`;
}

/** `JSON.stringify(present(body, principal, opts))` and its length, kept per body, principal and view. */
export function presentJson(
  body: Record<string, unknown>,
  principal: string,
  opts: PresentOptions = {},
  key: string = viewKey(principal, opts),
): PresentedJson {
  let views = presentedJson.get(body);
  if (views === undefined) presentedJson.set(body, (views = new Map<string, PresentedJson>()));
  let json = views.get(key);
  if (json === undefined) {
    const text = JSON.stringify(present(body, principal, opts));
    json = { text, bytes: utf8Length(text) };
    if (views.size >= 8) views.clear();
    views.set(key, json);
  }
  return json;
}

/** Times of a stored event in its calendar; undefined for one that does not parse (never stored). */
export function timesOf(record: EventRecord, calendar: CalendarState): EventTimes | undefined {
  // A stored body is replaced, never changed in place, on every write; the calendar's zone can change.
  const held = parsedTimes.get(record.body);
  if (held !== undefined && held.zone === calendar.timeZone) return held.times;
  const t = eventTimes(record.body, calendar.timeZone);
  const times = typeof t === "string" ? undefined : t;
  parsedTimes.set(record.body, { zone: calendar.timeZone, times });
  return times;
}

const parsedTimes = new WeakMap<
  Record<string, unknown>,
  { zone: string; times: EventTimes | undefined }
>();

/** The recurrence lines of an event, or undefined for a single event. */
export function recurrenceOf(body: Record<string, unknown>): string[] | undefined {
  const r = body["recurrence"];
  return Array.isArray(r) && r.length > 0 ? (r as string[]) : undefined;
}

/** A synthesized instance of a recurring event at `occ`. */
export function instanceOf(master: EventRecord, occ: Occurrence, calendarId: string): EventRecord {
  const id = `${master.id}_${occ.key}`;
  const body: Record<string, unknown> = {
    ...master.body,
    id,
    start: occ.start,
    end: occ.end,
    recurringEventId: master.id,
    originalStartTime: occ.start,
  };
  delete body["recurrence"];
  body["htmlLink"] = htmlLink(id, calendarId);
  return { id, seq: master.seq, body };
}

/**
 * Every instance of every event of `calendar` overlapping [fromMs, toMs): single events as they are,
 * recurring ones expanded. A stored exception (a changed instance; RFC 5545 §3.8.4.4 RECURRENCE-ID)
 * replaces its occurrence and is found by its own times, so an instance moved into the window shows
 * and one moved out of it does not.
 */
export function expandCalendar(
  calendar: CalendarState,
  fromMs: number,
  toMs: number,
  limitEach: number,
  includeCancelled: boolean,
): EventRecord[] {
  const out: EventRecord[] = [];
  const exceptions = new Map<string, EventRecord[]>();
  for (const record of calendar.events.values()) {
    const master = record.body["recurringEventId"];
    if (typeof master !== "string") continue;
    let list = exceptions.get(master);
    if (list === undefined) exceptions.set(master, (list = []));
    list.push(record);
  }
  for (const record of calendar.events.values()) {
    const body = record.body;
    if (body["recurringEventId"] !== undefined) continue; // exceptions come with their master
    const times = timesOf(record, calendar);
    if (times === undefined) continue;
    const recurrence = recurrenceOf(body);
    if (recurrence === undefined) {
      if (body["status"] === "cancelled" && !includeCancelled) continue;
      if (times.endMs > fromMs && times.startMs < toMs) out.push(record);
      continue;
    }
    if (body["status"] === "cancelled") continue;
    const own = exceptions.get(record.id) ?? [];
    const changed = new Set(own.map((e) => e.id));
    for (const occ of expand(recurrence, times, fromMs, toMs, limitEach)) {
      if (!changed.has(`${record.id}_${occ.key}`)) out.push(instanceOf(record, occ, calendar.id));
    }
    for (const exception of own) {
      if (exception.body["status"] === "cancelled" && !includeCancelled) continue;
      const t = timesOf(exception, calendar);
      if (t !== undefined && t.endMs > fromMs && t.startMs < toMs) out.push(exception);
    }
  }
  return out;
}

/** Start instant of a stored or synthesized event (for ordering). */
export function startMsOf(record: EventRecord, calendar: CalendarState): number {
  return timesOf(record, calendar)?.startMs ?? 0;
}

/** Finds a stored event, or synthesizes the recurring instance an instance ID names. */
export function findEvent(calendar: CalendarState, eventId: string): EventRecord | undefined {
  const stored = calendar.events.get(eventId);
  if (stored !== undefined) return stored;
  const m = /^(.+)_(\d{8}(?:T\d{6}Z)?)$/.exec(eventId);
  if (m?.[1] === undefined) return undefined;
  const master = calendar.events.get(m[1]);
  if (master === undefined || master.body["status"] === "cancelled") return undefined;
  const recurrence = recurrenceOf(master.body);
  const times = timesOf(master, calendar);
  if (recurrence === undefined || times === undefined) return undefined;
  const key = m[2] ?? "";
  const at =
    key.length === 8
      ? fromWallClock(
          Date.UTC(Number(key.slice(0, 4)), Number(key.slice(4, 6)) - 1, Number(key.slice(6, 8))),
          times.zone,
        )
      : Date.parse(
          `${key.slice(0, 4)}-${key.slice(4, 6)}-${key.slice(6, 8)}T${key.slice(9, 11)}:${key.slice(11, 13)}:${key.slice(13, 15)}Z`,
        );
  // A zero-length occurrence at `at` ends there: ask from just before it. Every earlier occurrence
  // still going on at `at` comes first (a series of multi-day instances), so no small limit.
  const occ = expand(recurrence, times, at - 1, at + 1, 100_000).find((o) => o.key === key);
  return occ === undefined ? undefined : instanceOf(master, occ, calendar.id);
}
