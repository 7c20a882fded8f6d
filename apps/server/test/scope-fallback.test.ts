// dwd-server picks a scope per operation from the caller's policy (calendar.readonly for reads). With a
// grant of only …/auth/calendar, a read falls back to calendar through @dwd/calendar's scope choice:
// one refused exchange, learnt once for every user — counted at the emulator's token endpoint.
import { demoScenario } from "@dwd/emulator";
import type { Scenario } from "@dwd/emulator";
import { describe, expect, it } from "vitest";
import { BOOKING_TOKEN, CAL, harness, sharedEmulator } from "./helpers.ts";

const calendarOnly: Scenario = {
  ...demoScenario,
  grants: [{ serviceAccount: "calendar-bot", scopes: [CAL] }],
};

describe("a grant of only …/auth/calendar", () => {
  it("reads answer 200, with one extra token exchange learnt once", async () => {
    const { emulator } = await sharedEmulator(calendarOnly, "calendar-only");
    const exchanges: string[] = [];
    const h = await harness({
      scenario: calendarOnly,
      scenarioName: "calendar-only",
      fetch: (url, init) => {
        if (url.endsWith("/token")) exchanges.push(url);
        return emulator.fetch(new Request(url, init));
      },
    });
    const before = exchanges.length; // the start-up health check asks for every scope once
    const ana = await h.request("/v1/users/ana@example.com/calendarList/primary", {
      token: BOOKING_TOKEN,
    });
    expect(ana.status).toBe(200);
    expect(ana.body).toMatchObject({ kind: "calendar#calendarListEntry", id: "ana@example.com" });
    expect(exchanges.length - before).toBe(2); // calendar.readonly refused, then calendar
    const bob = await h.request("/v1/users/bob@example.com/calendarList/primary", {
      token: BOOKING_TOKEN,
    });
    expect(bob.status).toBe(200);
    expect(exchanges.length - before).toBe(3); // bob goes straight to calendar
  });
});
