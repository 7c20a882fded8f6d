import type { Scenario } from "./scenario.ts";

/**
 * The built-in `demo` scenario: domain `example.com`; users `info@example.com`, `ana@example.com`,
 * `bob@example.com` and the suspended `former@example.com`; service account `calendar-bot` granted
 * exactly `…/auth/calendar` and `…/auth/calendar.readonly`; service account `ungranted-bot` with no grant.
 * Keyless: `deployer` holds Service Account Token Creator on `calendar-bot` (so it may have the IAM
 * Credentials API sign calendar-bot's assertions) and the metadata server answers as `deployer`;
 * `intruder` holds no role.
 * `info@example.com`'s primary calendar has a weekday stand-up (recurring, Europe/Berlin), a quarterly
 * review with `ana` and `bob` as attendees, and an all-day "Office closed"; `ana` has one project sync.
 *
 * @example
 * ```ts
 * const emulator = await createEmulator({ scenario: demoScenario }); // same as { scenario: "demo" }
 * ```
 */
export const demoScenario: Scenario = {
  domain: "example.com",
  users: [
    { email: "info@example.com", name: "Info Desk" },
    { email: "ana@example.com", name: "Ana Lima" },
    { email: "bob@example.com", name: "Bob Stone" },
    { email: "former@example.com", name: "Former Employee", suspended: true },
  ],
  serviceAccounts: [
    { name: "calendar-bot" },
    { name: "ungranted-bot" },
    { name: "deployer" },
    { name: "intruder" },
  ],
  grants: [
    {
      serviceAccount: "calendar-bot",
      scopes: [
        "https://www.googleapis.com/auth/calendar",
        "https://www.googleapis.com/auth/calendar.readonly",
      ],
    },
  ],
  tokenCreators: [
    {
      serviceAccount: "calendar-bot",
      members: ["serviceAccount:deployer@dwd-emulator.iam.gserviceaccount.com"],
    },
  ],
  metadata: { serviceAccount: "deployer" },
  calendars: [
    {
      owner: "info@example.com",
      id: "info@example.com",
      primary: true,
      summary: "info@example.com",
      timeZone: "Europe/Berlin",
    },
    { owner: "info@example.com", summary: "Support rota", timeZone: "Europe/Berlin" },
    { owner: "ana@example.com", summary: "Ana — projects", timeZone: "America/Sao_Paulo" },
  ],
  events: [
    {
      calendar: "info@example.com",
      summary: "Team stand-up",
      start: { dateTime: "2026-03-02T09:30:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-03-02T09:45:00", timeZone: "Europe/Berlin" },
      recurrence: ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"],
      id: "standup0001",
    },
    {
      calendar: "info@example.com",
      summary: "Quarterly review",
      start: "2026-04-07T14:00:00+02:00",
      end: "2026-04-07T15:30:00+02:00",
      attendees: ["ana@example.com", "bob@example.com"],
      id: "qbr00001",
      location: "Room 2",
    },
    {
      calendar: "info@example.com",
      summary: "Office closed",
      start: "2026-04-10",
      end: "2026-04-11",
      id: "closed0001",
    },
    {
      calendar: "ana@example.com",
      summary: "Project sync",
      start: "2026-04-08T10:00:00-03:00",
      end: "2026-04-08T11:00:00-03:00",
    },
  ],
};
