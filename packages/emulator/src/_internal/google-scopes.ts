/**
 * OAuth scopes the emulated token endpoint knows. Google answers `invalid_scope` for anything it
 * does not know; the scenario's grant scopes are added to this set, so custom scopes work when granted.
 */
const prefix = "https://www.googleapis.com/auth/";

const calendarScopes = [
  "calendar",
  "calendar.readonly",
  "calendar.events",
  "calendar.events.readonly",
  "calendar.events.owned",
  "calendar.events.owned.readonly",
  "calendar.events.public.readonly",
  "calendar.events.freebusy",
  "calendar.freebusy",
  "calendar.app.created",
  "calendar.calendarlist",
  "calendar.calendarlist.readonly",
  "calendar.calendars",
  "calendar.calendars.readonly",
  "calendar.acls",
  "calendar.acls.readonly",
  "calendar.settings.readonly",
  "calendar.addons.execute",
  "calendar.addons.current.event.read",
  "calendar.addons.current.event.write",
];

const otherScopes = [
  "userinfo.email",
  "userinfo.profile",
  "cloud-platform",
  "cloud-platform.read-only",
  "iam",
  "admin.directory.user",
  "admin.directory.user.readonly",
  "admin.directory.group",
  "admin.directory.group.readonly",
  "admin.directory.group.member",
  "admin.directory.group.member.readonly",
  "admin.directory.orgunit",
  "admin.directory.orgunit.readonly",
  "admin.directory.resource.calendar",
  "admin.directory.resource.calendar.readonly",
  "gmail.readonly",
  "gmail.send",
  "gmail.modify",
  "gmail.settings.basic",
  "drive",
  "drive.readonly",
  "drive.file",
  "drive.metadata.readonly",
  "spreadsheets",
  "spreadsheets.readonly",
  "tasks",
  "tasks.readonly",
  "contacts",
  "contacts.readonly",
  "directory.readonly",
];

/** Every scope URL the emulator accepts in an assertion (before the scenario's own). */
export const knownScopes: ReadonlySet<string> = new Set([
  ...calendarScopes.map((s) => prefix + s),
  ...otherScopes.map((s) => prefix + s),
  "https://mail.google.com/",
  "openid",
  "email",
  "profile",
]);

/** Full URL of a scope given its short name under `https://www.googleapis.com/auth/`. */
export function scopeUrl(short: string): string {
  return prefix + short;
}
