import type { Scenario } from "./scenario.ts";

/**
 * The built-in `demo` scenario: domain `example.com`; users `info@example.com`, `ana@example.com`,
 * `bob@example.com` and the suspended `former@example.com`; service account `calendar-bot` granted
 * exactly `…/auth/calendar` and `…/auth/calendar.readonly`; service account `ungranted-bot` with no grant.
 * Keyless: `deployer` holds Service Account Token Creator on `calendar-bot` (so it may have the IAM
 * Credentials API sign calendar-bot's assertions) and the metadata server answers as `deployer`;
 * `intruder` holds no role.
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
  serviceAccounts: [{ name: "calendar-bot" }, { name: "ungranted-bot" }, { name: "deployer" }, { name: "intruder" }],
  grants: [
    {
      serviceAccount: "calendar-bot",
      scopes: ["https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.readonly"],
    },
  ],
  tokenCreators: [{ serviceAccount: "calendar-bot", members: ["serviceAccount:deployer@dwd-emulator.iam.gserviceaccount.com"] }],
  metadata: { serviceAccount: "deployer" },
  calendars: [
    { owner: "info@example.com", id: "info@example.com", primary: true, summary: "info@example.com", timeZone: "Europe/Berlin" },
    { owner: "info@example.com", summary: "Support rota", timeZone: "Europe/Berlin" },
    { owner: "ana@example.com", summary: "Ana — projects", timeZone: "America/Sao_Paulo" },
  ],
};
