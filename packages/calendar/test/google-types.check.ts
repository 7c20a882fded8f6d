// Type test, run by `pnpm typecheck` (tsc), not by vitest: dwd's generated types and Google's own
// `calendar_v3` types are assignable to each other in both directions, so values move freely between
// code written for googleapis and code written for @dwd/calendar. A field that disagrees fails the build.
import type { calendar_v3 } from "@googleapis/calendar";
import type { AclRule, CalendarListEntry, Event, FreeBusyResponse } from "../src/index.ts";

type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const holds = <T extends true>(): T => true as T;

export const event: true = holds<Mutual<Event, calendar_v3.Schema$Event>>();
export const calendarListEntry: true =
  holds<Mutual<CalendarListEntry, calendar_v3.Schema$CalendarListEntry>>();
export const aclRule: true = holds<Mutual<AclRule, calendar_v3.Schema$AclRule>>();
export const freeBusyResponse: true =
  holds<Mutual<FreeBusyResponse, calendar_v3.Schema$FreeBusyResponse>>();

// The same, spelled as assignments, so a failure names the field.
export function fromGoogle(
  e: calendar_v3.Schema$Event,
  c: calendar_v3.Schema$CalendarListEntry,
  a: calendar_v3.Schema$AclRule,
  f: calendar_v3.Schema$FreeBusyResponse,
): [Event, CalendarListEntry, AclRule, FreeBusyResponse] {
  return [e, c, a, f];
}
export function toGoogle(
  e: Event,
  c: CalendarListEntry,
  a: AclRule,
  f: FreeBusyResponse,
): [
  calendar_v3.Schema$Event,
  calendar_v3.Schema$CalendarListEntry,
  calendar_v3.Schema$AclRule,
  calendar_v3.Schema$FreeBusyResponse,
] {
  return [e, c, a, f];
}
