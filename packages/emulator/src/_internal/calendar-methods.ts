import { discovery } from "../_generated/discovery.ts";

/** One Calendar v3 method the emulator serves, as the discovery document describes it. */
export interface CalendarMethod {
  /** Discovery `id`, e.g. `calendar.calendarList.get`. */
  id: string;
  /** The RPC name Google puts in ErrorInfo `metadata.method`, e.g. `calendar.v3.CalendarList.Get`. */
  rpc: string;
  /** HTTP method, upper case. */
  httpMethod: string;
  /** Discovery `path`, relative to `/calendar/v3/`. */
  path: string;
  /** Discovery `scopes`, in its order: a token needs any one of them. */
  scopes: readonly string[];
  /** The discovery schema of the answer (what `fields` may select), if the method answers with one. */
  response?: string | undefined;
}

const upper = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Every method of the discovery document (extracted to `src/_generated/discovery.ts`): the scopes each
 * accepts come from there, so a new revision changes this table with no hand edits. For example
 * `calendar.app.created` grants calendarList `get` (of calendars the app created) but not `list`.
 */
export const calendarMethods: readonly CalendarMethod[] = discovery.methods.map((m) => ({
  id: m.id,
  rpc: `calendar.v3.${upper(m.resource)}.${upper(m.name)}`,
  httpMethod: m.httpMethod,
  path: m.path,
  scopes: m.scopes,
  ...(m.response !== undefined ? { response: m.response } : {}),
}));

const byId = new Map(calendarMethods.map((m) => [m.id, m]));

/** The method with discovery id `id`; throws for an unknown id (a programming error). */
export function calendarMethod(id: string): CalendarMethod {
  const method = byId.get(id);
  if (method === undefined) throw new Error(`No Calendar method "${id}" in the discovery data`);
  return method;
}

/** calendarList.get, kept by name for tests. */
export const calendarListGet: CalendarMethod = calendarMethod("calendar.calendarList.get");
/** calendarList.list, kept by name for tests. */
export const calendarListList: CalendarMethod = calendarMethod("calendar.calendarList.list");

/** The Hono route for a discovery path: `{calendarId}` becomes `:calendarId`. */
export function routePath(method: CalendarMethod): string {
  return `/${method.path.replace(/\{(\w+)\}/g, ":$1")}`;
}
