import type { Scenario } from "./scenario.ts";

/**
 * The built-in `demo` scenario: domain `example.com`; users `info@example.com`, `ana@example.com`,
 * `bob@example.com` and the suspended `former@example.com`; service account `calendar-bot` granted
 * exactly `…/auth/calendar` and `…/auth/calendar.readonly`; service account `ungranted-bot` with no grant.
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
  serviceAccounts: [{ name: "calendar-bot" }, { name: "ungranted-bot" }],
  grants: [
    {
      serviceAccount: "calendar-bot",
      scopes: ["https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/calendar.readonly"],
    },
  ],
  calendars: [
    { owner: "info@example.com", id: "info@example.com", primary: true, summary: "info@example.com", timeZone: "Europe/Berlin" },
    { owner: "info@example.com", summary: "Support rota", timeZone: "Europe/Berlin" },
    { owner: "ana@example.com", summary: "Ana — projects", timeZone: "America/Sao_Paulo" },
  ],
};
