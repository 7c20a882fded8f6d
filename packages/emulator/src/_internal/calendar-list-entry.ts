import { calendarColors } from "./calendar-colors.ts";
import type { CalendarRecord } from "./store.ts";

/** A `calendar#calendarListEntry` as Google returns it for a calendar the principal owns. */
export function calendarListEntry(calendar: CalendarRecord): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    kind: "calendar#calendarListEntry",
    etag: calendar.etag,
    id: calendar.id,
    summary: calendar.summary,
    timeZone: calendar.timeZone,
    colorId: calendar.colorId,
    backgroundColor: calendarColors[Number(calendar.colorId) - 1] ?? "#9fc6e7",
    foregroundColor: "#000000",
    selected: true,
    accessRole: "owner",
    defaultReminders: calendar.primary ? [{ method: "popup", minutes: 10 }] : [],
  };
  if (calendar.primary) {
    entry["notificationSettings"] = {
      notifications: ["eventCreation", "eventChange", "eventCancellation", "eventResponse"].map((type) => ({ method: "email", type })),
    };
    entry["primary"] = true;
  }
  entry["conferenceProperties"] = { allowedConferenceSolutionTypes: ["hangoutsMeet"] };
  return entry;
}
