// Status codes say whose fault it is (issue 14, item 7), over HTTP as dwd-server listens: the caller's
// (4xx), the server's configuration (500 without the fix), Google's (502/503/504, 429 with its
// Retry-After).
import { demoScenario } from "@dwd/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOKING_TOKEN, expectNoSecrets, seen, sha256Hex, testConfig } from "./helpers.ts";
import type { Listening } from "./http.ts";
import { listen } from "./http.ts";
import { call } from "./spawn.ts";

const NARROW = "status-narrow-token-4410";
let server: Listening;
beforeAll(async () => {
  const base = await testConfig();
  server = await listen({
    // calendar-bot holds only calendar.readonly here: a caller's calendar.events cannot fall back to
    // …/auth/calendar (the library's scope choice), so the delegation itself is what is wrong.
    scenario: {
      ...demoScenario,
      grants: [
        {
          serviceAccount: "calendar-bot",
          scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
        },
      ],
    },
    scenarioName: "readonly-grant",
    config: {
      ...base,
      callers: [
        ...base.callers,
        {
          // calendar.events is not granted to calendar-bot, nor is …/auth/calendar to fall back to.
          name: "narrow-app",
          tokenSha256: await sha256Hex(NARROW),
          subjects: ["*@example.com"],
          operations: ["events.list"],
          scopes: ["https://www.googleapis.com/auth/calendar.events"],
        },
      ],
    },
  });
});
afterAll(async () => {
  await setFaults({});
  await server.close();
  expectNoSecrets(seen);
});

async function setFaults(faults: object): Promise<void> {
  const r = await server.h.emulator.fetch(
    new Request("http://emulator.test/_emulator/faults", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(faults),
    }),
  );
  expect(r.status).toBe(200);
}

const get = (path: string, token = BOOKING_TOKEN) => call(`${server.url}${path}`, { token });

describe("the caller's fault is 4xx", () => {
  it("a user who does not exist is 404 unknown_subject (not a retried 502)", async () => {
    const r = await get("/v1/users/ghost@example.com/calendarList/primary");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({
      code: "unknown_subject",
      detail: expect.stringContaining(
        '"ghost@example.com" is not a user of the Workspace domain',
      ) as string,
    });
    expect(server.h.audit.at(-1)).toMatchObject({ status: 404, code: "unknown_subject" });
  });

  it("a suspended user is 403 user_suspended", async () => {
    const r = await get("/v1/users/former@example.com/calendarList/primary");
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({
      code: "user_suspended",
      detail: expect.stringContaining("the user is suspended or disabled") as string,
    });
  });

  it("a calendar that does not exist is Google's 404 not_found", async () => {
    const r = await get("/v1/users/ana@example.com/calendarList/nobody-here@example.com");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: "not_found" });
  });

  it("availability whose every user is unknown is 422 freebusy_unavailable", async () => {
    const r = await call(`${server.url}/v1/availability`, {
      token: BOOKING_TOKEN,
      json: {
        subjects: ["ghost@example.com", "former@example.com"],
        timeMin: "2026-12-01T00:00:00Z",
        timeMax: "2026-12-02T00:00:00Z",
        durationMinutes: 30,
        timeZone: "UTC",
      },
    });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({
      code: "freebusy_unavailable",
      detail: "Cannot answer: free/busy is known for 0 of 2 subjects, fewer than minAttendees (2)",
    });
  });
});

describe("the server's configuration", () => {
  it("a delegation that does not grant the scope is 500 with its code, and the fix only in the log", async () => {
    const r = await get("/v1/users/ana@example.com/calendars/primary/events", NARROW);
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({
      code: "delegation_not_authorized",
      detail:
        "dwd-server cannot make this call: its delegation is not set up for it (delegation_not_authorized)",
      hint: "Tell the operators of this dwd-server: the server's log and /v1/doctor name the fix",
    });
    expect(r.text).not.toContain(server.h.key.clientId!);
    expect(r.text).not.toContain(server.h.key.clientEmail);
    expect(r.text).not.toContain("Admin console");
    const logged = server.h.logs.find((l) =>
      l.includes(`"requestId":"${r.headers.get("x-request-id")}"`),
    );
    expect(logged).toContain("Admin console");
  });
});

describe("Google's trouble is 502/503/504, with Google's Retry-After", () => {
  it("a 503 from the Calendar API is 503 backend_error", async () => {
    await setFaults({ errorRates: { "503": 1 } });
    try {
      const r = await get("/v1/users/ana@example.com/calendarList/primary");
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ code: "backend_error" });
      expect(r.headers.get("retry-after")).toBeNull();
    } finally {
      await setFaults({});
    }
  });

  it("a 429 keeps Google's Retry-After", async () => {
    await setFaults({ errorRates: { "429": 1 }, retryAfterSeconds: 2 });
    try {
      const r = await get("/v1/users/bob@example.com/calendarList/primary");
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({ code: "rate_limited" });
      expect(r.headers.get("retry-after")).toBe("2");
    } finally {
      await setFaults({});
    }
  });

  it("a token endpoint outage is 503 token_endpoint_unavailable", async () => {
    await setFaults({ tokenOutage: true });
    try {
      const r = await get("/v1/users/info@example.com/calendarList/primary", BOOKING_TOKEN);
      // info@ with calendar.readonly may be cached from the delegation check: ask for another user.
      const fresh =
        r.status === 200 ? await get("/v1/users/bob-two@example.com/calendarList/primary") : r;
      expect(fresh.status).toBe(503);
      expect(fresh.body).toMatchObject({ code: "token_endpoint_unavailable" });
    } finally {
      await setFaults({});
    }
  });
});
