import type { Scenario } from "../scenario.ts";
import type { Store } from "./store.ts";

/** Access roles, weakest first (Google's order). */
export const roles = ["none", "freeBusyReader", "reader", "writer", "owner"] as const;
/** One access role. */
export type Role = (typeof roles)[number];

/** Rank of a role: `none` 0 … `owner` 4. */
export function rank(role: string): number {
  const i = roles.indexOf(role as Role);
  return i < 0 ? 0 : i;
}

/** One ACL rule, with the version it last changed at. */
export interface AclRecord {
  id: string;
  scopeType: string;
  scopeValue?: string | undefined;
  role: string;
  seq: number;
  deleted: boolean;
}

/** One event as stored: Google's Event JSON (server fields included) plus bookkeeping. */
export interface EventRecord {
  id: string;
  seq: number;
  body: Record<string, unknown>;
  /** On an attendee's calendar: the organizer's calendar ID this copy follows (attendee-copies.ts). */
  copyOf?: string | undefined;
  /** An attendee copy its attendee deleted: it stays cancelled whatever the organizer does next. */
  dismissed?: boolean | undefined;
}

/** A calendar with its ACL and events. */
export interface CalendarState {
  id: string;
  /** The principal (user or service-account email) that owns it. */
  owner: string;
  summary: string;
  description?: string | undefined;
  location?: string | undefined;
  timeZone: string;
  primary: boolean;
  /** Client ID of the service account that created it through the API (for `calendar.app.created`). */
  createdBy?: string | undefined;
  seq: number;
  deleted: boolean;
  acl: Map<string, AclRecord>;
  events: Map<string, EventRecord>;
}

/** A principal's calendar-list entry: its own view of a calendar. */
export interface ListEntry {
  calendarId: string;
  seq: number;
  deleted: boolean;
  colorId: string;
  backgroundColor?: string | undefined;
  foregroundColor?: string | undefined;
  hidden?: boolean | undefined;
  selected: boolean;
  summaryOverride?: string | undefined;
  defaultReminders: { method: string; minutes: number }[];
  notificationSettings?: { notifications: { method: string; type: string }[] } | undefined;
}

/** A `watch` channel: where to POST change notifications for one collection. */
export interface PushChannel {
  id: string;
  resourceId: string;
  resourceUri: string;
  token?: string | undefined;
  address: string;
  /** Epoch ms. */
  expiration: number;
  /** What it watches, e.g. `events:<calendarId>`. */
  collection: string;
  /** Last message number sent (the `sync` message is 1). */
  messageNumber: number;
}

/** All mutable Calendar data; rebuilt from the scenario on reset. */
export interface CalendarData {
  calendars: Map<string, CalendarState>;
  /** Principal → calendar ID → entry, in list order. */
  lists: Map<string, Map<string, ListEntry>>;
  /** Bumped on every change; sync tokens and ETags carry it. */
  version: number;
  /** Bumped by the control API to expire every sync token (410 fullSyncRequired). */
  syncEpoch: number;
  domain: string;
  /** Push channels by channel ID (push.ts). */
  channels: Map<string, PushChannel>;
  /** Called after every change with the changed collection, e.g. `events:<calendarId>` (push channels listen). */
  onChange?: ((collection: string) => void) | undefined;
}

/** Tells push channels that `collection` changed. */
export function changed(data: CalendarData, collection: string): void {
  data.onChange?.(collection);
}

// Calendar ETags are microsecond timestamps in quotes (16 digits); these are deterministic.
const etagBase = 1767225600000000n;

/** ETag for a change sequence number: `"<16 digits>"`. */
export function etagOf(seq: number): string {
  return `"${(etagBase + BigInt(seq) * 1000n).toString()}"`;
}

/** The next version: every write takes one. */
export function nextSeq(data: CalendarData): number {
  data.version += 1;
  return data.version;
}

const primaryNotifications = {
  notifications: ["eventCreation", "eventChange", "eventCancellation", "eventResponse"].map(
    (type) => ({ method: "email", type }),
  ),
};

/** Adds `calendarId` to `principal`'s list (no-op when present and not deleted). */
export function addToList(
  data: CalendarData,
  principal: string,
  calendarId: string,
  seq: number,
): ListEntry {
  const list = data.lists.get(principal) ?? new Map<string, ListEntry>();
  data.lists.set(principal, list);
  const existing = list.get(calendarId);
  if (existing !== undefined && !existing.deleted) return existing;
  const calendar = data.calendars.get(calendarId);
  const primary = calendar?.primary === true && calendar.owner === principal;
  const entry: ListEntry = {
    calendarId,
    seq,
    deleted: false,
    colorId: String((data.calendars.size % 24) + 1),
    selected: true,
    defaultReminders: primary ? [{ method: "popup", minutes: 10 }] : [],
  };
  if (primary) entry.notificationSettings = primaryNotifications;
  if (existing !== undefined) list.delete(calendarId);
  list.set(calendarId, entry);
  return entry;
}

/** Creates a calendar owned by `owner`, with its owner ACL rule (and a domain free/busy rule for a primary one). */
export function addCalendar(
  data: CalendarData,
  def: {
    id: string;
    owner: string;
    summary: string;
    timeZone: string;
    primary: boolean;
    createdBy?: string | undefined;
    colorId?: string | undefined;
  },
  seq: number,
): CalendarState {
  const calendar: CalendarState = {
    id: def.id,
    owner: def.owner,
    summary: def.summary,
    timeZone: def.timeZone,
    primary: def.primary,
    seq,
    deleted: false,
    acl: new Map(),
    events: new Map(),
  };
  if (def.createdBy !== undefined) calendar.createdBy = def.createdBy;
  const ownerRule = `user:${def.owner}`;
  calendar.acl.set(ownerRule, {
    id: ownerRule,
    scopeType: "user",
    scopeValue: def.owner,
    role: "owner",
    seq,
    deleted: false,
  });
  const at = def.owner.lastIndexOf("@");
  const ownerDomain = def.owner.slice(at + 1);
  if (def.primary && ownerDomain === data.domain) {
    // Workspace's default: people in the domain see each other's free/busy.
    const rule = `domain:${data.domain}`;
    calendar.acl.set(rule, {
      id: rule,
      scopeType: "domain",
      scopeValue: data.domain,
      role: "freeBusyReader",
      seq,
      deleted: false,
    });
  }
  data.calendars.set(def.id, calendar);
  // A service account's own primary calendar stays out of its (usually empty) calendar list.
  if (def.primary && def.owner.endsWith(".gserviceaccount.com")) return calendar;
  const entry = addToList(data, def.owner, def.id, seq);
  if (def.colorId !== undefined) entry.colorId = def.colorId;
  return calendar;
}

/** The role `principal` has on `calendar` through ownership and its ACL (user, domain, default rules). */
export function roleOf(data: CalendarData, calendar: CalendarState, principal: string): Role {
  if (calendar.deleted) return "none";
  if (calendar.owner === principal) return "owner";
  const domain = principal.slice(principal.lastIndexOf("@") + 1);
  let best = 0;
  for (const rule of calendar.acl.values()) {
    if (rule.deleted) continue;
    const applies =
      (rule.scopeType === "user" && rule.scopeValue === principal) ||
      (rule.scopeType === "domain" && rule.scopeValue === domain && domain === data.domain) ||
      rule.scopeType === "default";
    if (applies) best = Math.max(best, rank(rule.role));
  }
  return roles[best] ?? "none";
}

/** Builds the Calendar data from the store's calendars (the scenario's seed); events are added by the seeder. */
export function buildCalendarData(store: Store, _scenario: Scenario): CalendarData {
  const data: CalendarData = {
    calendars: new Map(),
    lists: new Map(),
    version: 1,
    syncEpoch: 0,
    domain: store.domain,
    channels: new Map(),
  };
  for (const [owner, ids] of store.calendarLists) {
    for (const id of ids) {
      const c = store.calendars.get(id);
      if (c === undefined) continue;
      addCalendar(
        data,
        {
          id: c.id,
          owner,
          summary: c.summary,
          timeZone: c.timeZone,
          primary: c.primary,
          colorId: c.colorId,
        },
        1,
      );
    }
  }
  for (const email of store.users.keys()) {
    if (!data.calendars.has(email))
      addCalendar(
        data,
        { id: email, owner: email, summary: email, timeZone: "UTC", primary: true },
        1,
      );
  }
  return data;
}

/**
 * The calendar `requested` names for `principal` (`primary` = the principal's own), matched
 * case-insensitively with an exact match winning. A service account's primary calendar is created
 * on first use: Google gives every service account one.
 */
export function findCalendar(
  data: CalendarData,
  requested: string,
  principal: string,
): CalendarState | undefined {
  const id = requested === "primary" ? principal : requested;
  const exact = data.calendars.get(id);
  if (exact !== undefined && !exact.deleted) return exact;
  const folded = id.toLowerCase();
  for (const c of data.calendars.values())
    if (!c.deleted && c.id.toLowerCase() === folded) return c;
  if (id === principal && principal.endsWith(".gserviceaccount.com")) {
    return addCalendar(
      data,
      { id: principal, owner: principal, summary: principal, timeZone: "UTC", primary: true },
      nextSeq(data),
    );
  }
  return undefined;
}
