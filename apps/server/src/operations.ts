/**
 * The operations a caller's policy names, and the scopes each one can run with (most preferred first:
 * the narrowest scope that works). The server picks the first scope the caller's policy allows.
 *
 * @module
 */

const auth = "https://www.googleapis.com/auth/";

/** Every operation a policy can allow. */
export const operations = [
  "calendarList.get",
  "events.list",
  "events.insert",
  "events.patch",
  "events.delete",
  "events.get",
  "events.update",
  "events.move",
  "events.instances",
  "freebusy",
  "availability",
  "token",
  "doctor",
] as const;

/** One operation. */
export type Operation = (typeof operations)[number];

/** The operations that call the Calendar API as a subject (not the token broker, not the doctor). */
export type CalendarOperation = Exclude<Operation, "token" | "doctor">;

/** Scopes that let each operation run, narrowest first (from the discovery document's method scopes). */
export const operationScopes: Readonly<Record<CalendarOperation, readonly string[]>> = {
  "calendarList.get": [
    `${auth}calendar.readonly`,
    `${auth}calendar.calendarlist.readonly`,
    `${auth}calendar.calendarlist`,
    `${auth}calendar`,
  ],
  "events.list": [
    `${auth}calendar.events.readonly`,
    `${auth}calendar.readonly`,
    `${auth}calendar.events`,
    `${auth}calendar`,
  ],
  "events.insert": [`${auth}calendar.events`, `${auth}calendar`],
  "events.patch": [`${auth}calendar.events`, `${auth}calendar`],
  "events.delete": [`${auth}calendar.events`, `${auth}calendar`],
  "events.get": [
    `${auth}calendar.events.readonly`,
    `${auth}calendar.readonly`,
    `${auth}calendar.events`,
    `${auth}calendar`,
  ],
  "events.update": [`${auth}calendar.events`, `${auth}calendar`],
  "events.move": [`${auth}calendar.events`, `${auth}calendar`],
  "events.instances": [
    `${auth}calendar.events.readonly`,
    `${auth}calendar.readonly`,
    `${auth}calendar.events`,
    `${auth}calendar`,
  ],
  freebusy: [`${auth}calendar.freebusy`, `${auth}calendar.readonly`, `${auth}calendar`],
  availability: [`${auth}calendar.freebusy`, `${auth}calendar.readonly`, `${auth}calendar`],
};
