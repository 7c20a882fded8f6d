import { calendarColors } from "./calendar-colors.ts";
import type { CalendarState, ListEntry, Role } from "./calendar-state.ts";
import { etagOf } from "./calendar-state.ts";

/** A `calendar#calendarListEntry`: the calendar as one principal's list shows it. */
export function calendarListEntry(
  calendar: CalendarState,
  entry: ListEntry,
  accessRole: Role,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    kind: "calendar#calendarListEntry",
    etag: etagOf(entry.seq),
    id: calendar.id,
    summary: calendar.summary,
  };
  if (calendar.description !== undefined) out["description"] = calendar.description;
  if (calendar.location !== undefined) out["location"] = calendar.location;
  if (entry.summaryOverride !== undefined) out["summaryOverride"] = entry.summaryOverride;
  out["timeZone"] = calendar.timeZone;
  out["colorId"] = entry.colorId;
  out["backgroundColor"] =
    entry.backgroundColor ?? calendarColors[Number(entry.colorId) - 1] ?? "#9fc6e7";
  out["foregroundColor"] = entry.foregroundColor ?? "#000000";
  if (entry.hidden === true) out["hidden"] = true;
  out["selected"] = entry.selected;
  out["accessRole"] = accessRole;
  out["defaultReminders"] = entry.defaultReminders;
  if (entry.notificationSettings !== undefined)
    out["notificationSettings"] = entry.notificationSettings;
  if (calendar.primary && calendar.owner === calendar.id) out["primary"] = true;
  if (entry.deleted) out["deleted"] = true;
  out["conferenceProperties"] = { allowedConferenceSolutionTypes: ["hangoutsMeet"] };
  return out;
}
