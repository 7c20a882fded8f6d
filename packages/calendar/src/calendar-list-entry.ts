/**
 * Calendar v3 `CalendarListEntry` and `CalendarList`, written from Google's discovery document
 * (revision 20260225). Types only: nothing here exists at run time.
 *
 * @module
 */

/** A default reminder of a calendar list entry (`EventReminder`). */
export interface EventReminder {
  /** `"email"` or `"popup"`. */
  method?: string;
  /** Minutes before the start of the event, 0 to 40320. */
  minutes?: number;
}

/** A notification the user receives for a calendar (`CalendarNotification`). */
export interface CalendarNotification {
  /** `"email"`. */
  method?: string;
  /** `"eventCreation"`, `"eventChange"`, `"eventCancellation"`, `"eventResponse"` or `"agenda"`. */
  type?: string;
}

/** Conferencing properties of a calendar (`ConferenceProperties`). */
export interface ConferenceProperties {
  /** `"eventHangout"`, `"eventNamedHangout"` or `"hangoutsMeet"`. */
  allowedConferenceSolutionTypes?: string[];
}

/** The effective role the acting principal has on a calendar. */
export type CalendarAccessRole = "freeBusyReader" | "reader" | "writer" | "owner";

/**
 * One calendar on the acting principal's calendar list (`calendar#calendarListEntry`).
 *
 * With domain-wide delegation the acting principal is the subject; without it, the service account.
 */
export interface CalendarListEntry {
  /** `"calendar#calendarListEntry"`. */
  kind?: string;
  /** ETag of the resource. */
  etag?: string;
  /** Identifier of the calendar (an email address for a primary calendar). */
  id?: string;
  /** Title of the calendar. Read-only. */
  summary?: string;
  /** The summary the user has set for this calendar. */
  summaryOverride?: string;
  /** Description of the calendar. Read-only. */
  description?: string;
  /** Geographic location of the calendar as free-form text. Read-only. */
  location?: string;
  /** Time zone of the calendar, e.g. `"Europe/Berlin"`. Read-only. */
  timeZone?: string;
  /** Effective access role of the acting principal. Read-only. */
  accessRole?: CalendarAccessRole | (string & {});
  /** Whether this is the acting principal's primary calendar. */
  primary?: boolean;
  /** Whether the entry has been deleted from the calendar list. */
  deleted?: boolean;
  /** Whether the calendar is hidden from the list (only present when `true`). */
  hidden?: boolean;
  /** Whether the calendar content shows up in the calendar UI. */
  selected?: boolean;
  /** Index into the calendar colors of the `colors` endpoint. */
  colorId?: string;
  /** Main color, `"#0088aa"`. */
  backgroundColor?: string;
  /** Foreground color, `"#ffffff"`. */
  foregroundColor?: string;
  /** Whether this resource calendar accepts invitations automatically. Read-only. */
  autoAcceptInvitations?: boolean;
  /** Email of the data owner; set only for secondary calendars. Read-only. */
  dataOwner?: string;
  /** Conferencing properties of this calendar. */
  conferenceProperties?: ConferenceProperties;
  /** Default reminders the acting principal has for this calendar. */
  defaultReminders?: EventReminder[];
  /** Notifications the acting principal receives for this calendar. */
  notificationSettings?: { notifications?: CalendarNotification[] };
}

/** One page of `calendarList.list` (`calendar#calendarList`). */
export interface CalendarList {
  /** `"calendar#calendarList"`. */
  kind?: string;
  /** ETag of the collection. */
  etag?: string;
  /** The entries of this page. */
  items?: CalendarListEntry[];
  /** Present while more pages remain; pass it back as `pageToken`. */
  nextPageToken?: string;
  /** Present on the last page only. */
  nextSyncToken?: string;
}

/** Query parameters of `calendarList.list`. */
export interface CalendarListListOptions {
  /** Entries per page, 1–250 (Google's default 100). */
  maxResults?: number;
  /** Token of the page to return (`nextPageToken` of the previous page). */
  pageToken?: string;
  /** Only entries with at least this role. */
  minAccessRole?: CalendarAccessRole;
  /** Include deleted entries. */
  showDeleted?: boolean;
  /** Include hidden entries. */
  showHidden?: boolean;
  /** Incremental sync token (`nextSyncToken` of a previous full listing). */
  syncToken?: string;
}
