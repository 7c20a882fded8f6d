import type { CalendarCall } from "./calendar-call.ts";
import {
  listEtag,
  maxResultsOf,
  notModified,
  ok,
  paginate,
  readSyncToken,
  syncTokenFor,
} from "./calendar-call.ts";
import { calendarColors } from "./calendar-colors.ts";
import { notFound } from "./calendar-errors.ts";
import { etagOf, findCalendar } from "./calendar-state.ts";

const eventColors = [
  "#a4bdfc",
  "#7ae7bf",
  "#dbadff",
  "#ff887c",
  "#fbd75b",
  "#ffb878",
  "#46d6db",
  "#e1e1e1",
  "#5484ed",
  "#51b749",
  "#dc2127",
];

/** colors.get: Google's calendar (24) and event (11) palettes. */
export function colorsGet(call: CalendarCall): Response {
  const palette = (
    list: readonly string[],
  ): Record<string, { background: string; foreground: string }> =>
    Object.fromEntries(
      list.map((background, i) => [String(i + 1), { background, foreground: "#1d1d1d" }]),
    );
  const body = {
    kind: "calendar#colors",
    updated: "2012-02-14T00:00:00.000Z",
    calendar: palette(calendarColors),
    event: palette(eventColors),
  };
  return ok(call, body);
}

/** The principal's settings, as Google's defaults plus the primary calendar's time zone. */
function settingsOf(call: CalendarCall): { id: string; value: string; seq: number }[] {
  const zone = findCalendar(call.data, "primary", call.principal)?.timeZone ?? "UTC";
  const values: [string, string][] = [
    ["autoAddHangouts", "true"],
    ["dateFieldOrder", "MDY"],
    ["defaultEventLength", "60"],
    ["format24HourTime", "false"],
    ["hideInvitations", "false"],
    ["hideWeekends", "false"],
    ["locale", "en"],
    ["remindOnRespondedEventsOnly", "false"],
    ["showDeclinedEvents", "true"],
    ["timezone", zone],
    ["useKeyboardShortcuts", "true"],
    ["weekStart", "0"],
  ];
  return values.map(([id, value]) => ({ id, value, seq: 1 }));
}

function setting(s: { id: string; value: string; seq: number }): Record<string, unknown> {
  return { kind: "calendar#setting", etag: etagOf(s.seq), id: s.id, value: s.value };
}

/** settings.list: pages (default and max 250), and a sync token (settings never change here). */
export function settingsList(call: CalendarCall): Response {
  const max = maxResultsOf(call, 250, 250);
  if (max instanceof Response) return max;
  const key = `settings:${call.principal}`;
  let all = settingsOf(call);
  const sync = call.query.get("syncToken");
  if (sync !== null) {
    const since = readSyncToken(call, key, sync);
    if (typeof since !== "number") return since;
    all = all.filter((s) => s.seq > since);
  }
  const page = paginate(call, all, max);
  if (page instanceof Response) return page;
  const body: Record<string, unknown> = { kind: "calendar#settings", etag: listEtag(key, 1) };
  if (page.nextPageToken !== undefined) body["nextPageToken"] = page.nextPageToken;
  else body["nextSyncToken"] = syncTokenFor(call.data, key, page.snapshot);
  body["items"] = page.items.map(setting);
  return ok(call, body);
}

/** settings.get: one setting by ID; 404 for an unknown one. */
export function settingsGet(call: CalendarCall): Response {
  const found = settingsOf(call).find((s) => s.id === call.params["setting"]);
  if (found === undefined) return notFound(call.now);
  const res = setting(found);
  return notModified(call, String(res["etag"])) ?? ok(call, res);
}
