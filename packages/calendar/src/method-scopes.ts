import { methods } from "./_generated/methods.ts";
import type { MethodSpec } from "./method-spec.ts";

const READONLY = "https://www.googleapis.com/auth/calendar.readonly";
const FULL = "https://www.googleapis.com/auth/calendar";

/**
 * The scopes each method accepts (any one suffices), by discovery id, from the discovery document.
 *
 * @example
 * ```ts
 * methodScopes["calendar.calendarList.get"]?.includes("https://www.googleapis.com/auth/calendar.readonly"); // true
 * ```
 */
export const methodScopes: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.values(methods).map((m: MethodSpec) => [m.id, m.scopes]),
);

/**
 * The scope a client asks for when none is configured: `calendar.readonly` for the methods that accept
 * it (every read), else `calendar`, the scope Admin consoles most often grant for writes.
 *
 * @param methodId A discovery id, e.g. `"calendar.events.insert"`.
 * @returns One scope URL.
 * @example
 * ```ts
 * defaultScopeFor("calendar.events.list"); // "https://www.googleapis.com/auth/calendar.readonly"
 * defaultScopeFor("calendar.events.insert"); // "https://www.googleapis.com/auth/calendar"
 * ```
 */
export function defaultScopeFor(methodId: string): string {
  return methodScopes[methodId]?.includes(READONLY) === true ? READONLY : FULL;
}

/** Google's RPC name in ErrorInfo (`calendar.v3.CalendarList.Get`) → discovery id (`calendar.calendarList.get`). */
export function methodFromRpc(rpc: string): string | undefined {
  const match = /^calendar\.v3\.(\w+)\.(\w+)$/.exec(rpc);
  if (!match) return undefined;
  const [, resource = "", verb = ""] = match;
  const id = `calendar.${resource.charAt(0).toLowerCase()}${resource.slice(1)}.${verb.charAt(0).toLowerCase()}${verb.slice(1)}`;
  return id === "calendar.freeBusy.query" ? "calendar.freebusy.query" : id;
}
