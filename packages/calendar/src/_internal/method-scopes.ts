const auth = "https://www.googleapis.com/auth/";

/**
 * The scopes each method accepts (any one suffices), by discovery id, from the discovery document.
 *
 * @example
 * ```ts
 * methodScopes["calendar.calendarList.get"]?.includes("https://www.googleapis.com/auth/calendar.readonly"); // true
 * ```
 */
export const methodScopes: Readonly<Record<string, readonly string[]>> = {
  "calendar.calendarList.get": [
    `${auth}calendar.readonly`,
    `${auth}calendar`,
    `${auth}calendar.calendarlist.readonly`,
    `${auth}calendar.calendarlist`,
    `${auth}calendar.app.created`,
  ],
  "calendar.calendarList.list": [
    `${auth}calendar.readonly`,
    `${auth}calendar`,
    `${auth}calendar.calendarlist.readonly`,
    `${auth}calendar.calendarlist`,
  ],
};

/** Google's RPC name in ErrorInfo (`calendar.v3.CalendarList.Get`) → discovery id (`calendar.calendarList.get`). */
export function methodFromRpc(rpc: string): string | undefined {
  const match = /^calendar\.v3\.(\w+)\.(\w+)$/.exec(rpc);
  if (!match) return undefined;
  const [, resource = "", verb = ""] = match;
  return `calendar.${resource.charAt(0).toLowerCase()}${resource.slice(1)}.${verb.charAt(0).toLowerCase()}${verb.slice(1)}`;
}
