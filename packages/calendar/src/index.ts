/**
 * Typed Google Calendar v3 over any token source, with API errors turned into diagnoses.
 *
 * @example
 * ```ts
 * import { createTokenSource, loadKey } from "@dwd/auth";
 * import { createCalendarClient } from "@dwd/calendar";
 *
 * const calendar = createCalendarClient({ tokenSource: createTokenSource(await loadKey("key.json")), subject: "info@example.com" });
 * console.log((await calendar.calendarList.get("info@example.com")).summary);
 * ```
 *
 * @module
 */
export { createCalendarClient, defaultCalendarScopes } from "./calendar-client.ts";
export type { CalendarClient, CalendarClientOptions, CalendarListResource, CalendarTokenSource } from "./calendar-client.ts";
export { CalendarApiError } from "./calendar-api-error.ts";
export { methodScopes } from "./_internal/method-scopes.ts";
export type { CalendarApiErrorCode, CalendarApiErrorOptions } from "./calendar-api-error.ts";
export type {
  CalendarAccessRole,
  CalendarList,
  CalendarListEntry,
  CalendarListListOptions,
  CalendarNotification,
  ConferenceProperties,
  EventReminder,
} from "./calendar-list-entry.ts";
