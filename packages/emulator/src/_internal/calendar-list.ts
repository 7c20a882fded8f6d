import type { CalendarCall } from "./calendar-call.ts";
import {
  flag,
  ifMatchFails,
  listEtag,
  maxResultsOf,
  noContent,
  notModified,
  ok,
  paginate,
  readBody,
  readSyncToken,
  syncTokenFor,
} from "./calendar-call.ts";
import {
  calendarError,
  duplicate,
  invalidValue,
  missingField,
  notFound,
} from "./calendar-errors.ts";
import { calendarListEntry } from "./calendar-list-entry.ts";
import type { CalendarState, ListEntry } from "./calendar-state.ts";
import { addToList, changed, etagOf, nextSeq, rank, roleOf, roles } from "./calendar-state.ts";
import { findCalendar } from "./calendar-state.ts";
import { cleanResource } from "./discovery-schema.ts";

function collection(call: CalendarCall): string {
  return `calendarList:${call.principal}`;
}

/** The principal's entry for path parameter `calendarId` (case-insensitive, exact match first). */
function entryOf(call: CalendarCall): { calendar: CalendarState; entry: ListEntry } | undefined {
  const requested = call.params["calendarId"] ?? "";
  const id = requested === "primary" ? call.principal : requested;
  const list = call.data.lists.get(call.principal);
  if (list === undefined) return undefined;
  const live = [...list.values()].filter((e) => !e.deleted);
  const folded = id.toLowerCase();
  const entry =
    live.find((e) => e.calendarId === id) ??
    live.find((e) => e.calendarId.toLowerCase() === folded);
  const calendar = entry === undefined ? undefined : call.data.calendars.get(entry.calendarId);
  return entry === undefined || calendar === undefined || calendar.deleted
    ? undefined
    : { calendar, entry };
}

function view(
  call: CalendarCall,
  calendar: CalendarState,
  entry: ListEntry,
): Record<string, unknown> {
  return calendarListEntry(calendar, entry, roleOf(call.data, calendar, call.principal));
}

/** calendarList.list: pages of 100 (max 250), minAccessRole, showHidden, showDeleted, sync tokens. */
export function calendarListList(call: CalendarCall): Response {
  const max = maxResultsOf(call, 100, 250);
  if (max instanceof Response) return max;
  const minRole = call.query.get("minAccessRole");
  if (minRole !== null && (!roles.includes(minRole as never) || minRole === "none"))
    return invalidValue("minAccessRole", call.now);
  let showDeleted = flag(call, "showDeleted");
  if (showDeleted instanceof Response) return showDeleted;
  let showHidden = flag(call, "showHidden");
  if (showHidden instanceof Response) return showHidden;
  const list = [...(call.data.lists.get(call.principal)?.values() ?? [])];
  let entries = list;
  const sync = call.query.get("syncToken");
  if (sync !== null) {
    if (minRole !== null) return invalidValue("minAccessRole", call.now);
    const since = readSyncToken(call, collection(call), sync);
    if (typeof since !== "number") return since;
    entries = entries.filter((e) => e.seq > since);
    showDeleted = true;
    showHidden = true;
  }
  entries = entries.filter((e) => {
    const calendar = call.data.calendars.get(e.calendarId);
    if (calendar === undefined) return false;
    if (e.deleted && !showDeleted) return false;
    if (e.hidden === true && !showHidden) return false;
    if (minRole !== null && rank(roleOf(call.data, calendar, call.principal)) < rank(minRole))
      return false;
    return true;
  });
  const page = paginate(call, entries, max);
  if (page instanceof Response) return page;
  const body: Record<string, unknown> = {
    kind: "calendar#calendarList",
    etag: listEtag(call.principal, call.data.version),
  };
  if (page.nextPageToken !== undefined) body["nextPageToken"] = page.nextPageToken;
  else body["nextSyncToken"] = syncTokenFor(call.data, collection(call), page.snapshot);
  body["items"] = page.items.flatMap((e) => {
    const calendar = call.data.calendars.get(e.calendarId);
    return calendar === undefined ? [] : [view(call, calendar, e)];
  });
  return ok(call, body);
}

/** calendarList.get: only calendars in the principal's own list (a plain service account's is empty). */
export function calendarListGet(call: CalendarCall): Response {
  const found = entryOf(call);
  if (found === undefined) return notFound(call.now);
  const res = view(call, found.calendar, found.entry);
  return notModified(call, String(res["etag"])) ?? ok(call, res);
}

const hex = /^#[0-9a-fA-F]{6}$/;

/** Applies list-entry fields; `colorRgbFormat=true` is needed to set RGB colors. */
function applyEntry(
  call: CalendarCall,
  entry: ListEntry,
  raw: Record<string, unknown>,
  replace: boolean,
): Response | undefined {
  const body = cleanResource(raw, "CalendarListEntry");
  const rgb = call.query.get("colorRgbFormat") === "true";
  if ((body["backgroundColor"] !== undefined || body["foregroundColor"] !== undefined) && !rgb) {
    return calendarError(400, "invalid", "Invalid Value", call.now);
  }
  for (const k of ["backgroundColor", "foregroundColor"] as const) {
    const v = body[k];
    if (v !== undefined && (typeof v !== "string" || !hex.test(v)))
      return invalidValue(k, call.now);
  }
  if (body["colorId"] !== undefined) {
    const n = Number(body["colorId"]);
    if (!Number.isInteger(n) || n < 1 || n > 24) return invalidValue("colorId", call.now);
  }
  if (replace) {
    delete entry.summaryOverride;
    delete entry.hidden;
    delete entry.backgroundColor;
    delete entry.foregroundColor;
  }
  if (typeof body["colorId"] === "string") entry.colorId = body["colorId"];
  if (typeof body["backgroundColor"] === "string")
    entry.backgroundColor = body["backgroundColor"].toLowerCase();
  if (typeof body["foregroundColor"] === "string")
    entry.foregroundColor = body["foregroundColor"].toLowerCase();
  if (typeof body["summaryOverride"] === "string") entry.summaryOverride = body["summaryOverride"];
  if (typeof body["hidden"] === "boolean") entry.hidden = body["hidden"];
  if (typeof body["selected"] === "boolean") entry.selected = body["selected"];
  else if (replace) entry.selected = true;
  if (Array.isArray(body["defaultReminders"]))
    entry.defaultReminders = body["defaultReminders"] as ListEntry["defaultReminders"];
  if (typeof body["notificationSettings"] === "object")
    entry.notificationSettings = body["notificationSettings"] as ListEntry["notificationSettings"];
  entry.seq = nextSeq(call.data);
  changed(call.data, collection(call));
  return undefined;
}

/** calendarList.insert: subscribes to a calendar the principal can see; 409 when already listed. */
export async function calendarListInsert(call: CalendarCall): Promise<Response> {
  const raw = await readBody(call);
  if (raw instanceof Response) return raw;
  if (typeof raw["id"] !== "string" || raw["id"] === "")
    return missingField("Missing id.", call.now);
  const calendar = findCalendar(call.data, raw["id"], call.principal);
  if (calendar === undefined || roleOf(call.data, calendar, call.principal) === "none")
    return notFound(call.now);
  const existing = call.data.lists.get(call.principal)?.get(calendar.id);
  if (existing !== undefined && !existing.deleted) return duplicate(call.now);
  const entry = addToList(call.data, call.principal, calendar.id, nextSeq(call.data));
  const problem = applyEntry(call, entry, raw, false);
  if (problem !== undefined) return problem;
  return ok(call, view(call, calendar, entry));
}

async function rewrite(call: CalendarCall, replace: boolean): Promise<Response> {
  const found = entryOf(call);
  if (found === undefined) return notFound(call.now);
  const stale = ifMatchFails(call, etagOf(found.entry.seq));
  if (stale !== undefined) return stale;
  const raw = await readBody(call);
  if (raw instanceof Response) return raw;
  const problem = applyEntry(call, found.entry, raw, replace);
  if (problem !== undefined) return problem;
  return ok(call, view(call, found.calendar, found.entry));
}

/** calendarList.update: replaces the principal's settings for the calendar. */
export function calendarListUpdate(call: CalendarCall): Promise<Response> {
  return rewrite(call, true);
}

/** calendarList.patch: changes the given settings. */
export function calendarListPatch(call: CalendarCall): Promise<Response> {
  return rewrite(call, false);
}

/** calendarList.delete: unsubscribes; a primary calendar cannot leave its owner's list. */
export function calendarListDelete(call: CalendarCall): Response {
  const found = entryOf(call);
  if (found === undefined) return notFound(call.now);
  if (found.calendar.primary && found.calendar.owner === call.principal) {
    return calendarError(
      400,
      "cannotRemovePrimaryCalendar",
      "Cannot remove primary calendar from the calendar list.",
      call.now,
      { domain: "calendar" },
    );
  }
  found.entry.deleted = true;
  found.entry.seq = nextSeq(call.data);
  changed(call.data, collection(call));
  return noContent(call.now);
}
