import { scopeUrl } from "./google-scopes.ts";

/** One Calendar v3 method the emulator serves, as the discovery document describes it. */
export interface CalendarMethod {
  /** Discovery `id`, e.g. `calendar.calendarList.get`. */
  id: string;
  /** The RPC name Google puts in ErrorInfo `metadata.method`, e.g. `calendar.v3.CalendarList.Get`. */
  rpc: string;
  /** Discovery `path`, relative to `/calendar/v3/`. */
  path: string;
  /** Discovery `scopes`, in its order: a token needs any one of them. */
  scopes: readonly string[];
}

/**
 * The methods served, with the scopes each accepts copied from the Calendar v3 discovery document
 * (extracted to `src/_generated/discovery.ts`); a test checks this table against it.
 * `calendar.app.created` grants `get` (of calendars the app created) but not `list`.
 */
export const calendarListGet: CalendarMethod = {
  id: "calendar.calendarList.get",
  rpc: "calendar.v3.CalendarList.Get",
  path: "users/me/calendarList/{calendarId}",
  scopes: ["calendar", "calendar.app.created", "calendar.calendarlist", "calendar.calendarlist.readonly", "calendar.readonly"].map(scopeUrl),
};

/** calendarList.list: as `get`, without `calendar.app.created`. */
export const calendarListList: CalendarMethod = {
  id: "calendar.calendarList.list",
  rpc: "calendar.v3.CalendarList.List",
  path: "users/me/calendarList",
  scopes: ["calendar", "calendar.calendarlist", "calendar.calendarlist.readonly", "calendar.readonly"].map(scopeUrl),
};

/** Every method the emulator serves. */
export const calendarMethods: readonly CalendarMethod[] = [calendarListList, calendarListGet];

/** The Hono route for a discovery path: `{calendarId}` becomes `:calendarId`. */
export function routePath(method: CalendarMethod): string {
  return `/${method.path.replace(/\{(\w+)\}/g, ":$1")}`;
}
