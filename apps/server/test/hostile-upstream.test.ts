// Property: whatever mix of users a request names — users who exist, who do not, who are suspended,
// whose scope the delegation does not grant — and whatever Google does meanwhile (403, 429, 500, 503,
// dropped connections, 404 and 410 answers), the bundled server answers every request of every route
// over HTTP, writes its audit line, and stays up.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoScenario } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAL, RO, expectNoSecrets, seen, sha256Hex } from "./helpers.ts";
import type { RunningServer } from "./spawn.ts";
import { call, startServer, waitFor } from "./spawn.ts";

const BOOKING = "hostile-booking-token-7c2e";
const UNGRANTED = "hostile-ungranted-token-19ad";
const FREEBUSY = "https://www.googleapis.com/auth/calendar.freebusy";
const EVENTS = "https://www.googleapis.com/auth/calendar.events";

// Allowed by the policy (*@example.com), failing in Google's ways: unknown, suspended.
const subjects = [
  "info@example.com",
  "ana@example.com",
  "bob@example.com",
  "former@example.com", // suspended
  "ghost@example.com", // no such user
];
const calendars = ["primary", "info@example.com", "no-such-calendar@example.com"];
const eventIds = ["standup0001", "qbr00001", "missing000001"];

interface Request {
  route: string;
  path: string;
  options: NonNullable<Parameters<typeof call>[1]>;
}

const subject = fc.constantFrom(...subjects);
const token = fc.constantFrom(BOOKING, UNGRANTED);
const calendar = fc.constantFrom(...calendars);
const eventId = fc.constantFrom(...eventIds);
const many = fc.uniqueArray(subject, { minLength: 1, maxLength: 5 });
const range = { timeMin: "2026-04-06T00:00:00Z", timeMax: "2026-04-11T00:00:00Z" };
const event = {
  summary: "Property",
  start: { dateTime: "2026-04-08T10:00:00Z" },
  end: { dateTime: "2026-04-08T10:30:00Z" },
};

/** One request of each route, with its subject(s), calendar, event and caller drawn. */
const request: fc.Arbitrary<Request> = fc.oneof(
  fc.tuple(token, subject, calendar).map(([t, s, cal]) => ({
    route: "calendarList.get",
    path: `/v1/users/${s}/calendarList/${cal}`,
    options: { token: t },
  })),
  fc.tuple(token, subject, calendar).map(([t, s, cal]) => ({
    route: "events.list",
    path: `/v1/users/${s}/calendars/${cal}/events?maxResults=5`,
    options: { token: t },
  })),
  fc.tuple(token, subject, calendar, fc.boolean()).map(([t, s, cal, keyed]) => ({
    route: "events.insert",
    path: `/v1/users/${s}/calendars/${cal}/events`,
    options: {
      token: t,
      json: event,
      ...(keyed ? { headers: { "idempotency-key": `k-${s}-${cal}` } } : {}),
    },
  })),
  fc.tuple(token, subject, calendar, eventId).map(([t, s, cal, id]) => ({
    route: "events.patch",
    path: `/v1/users/${s}/calendars/${cal}/events/${id}`,
    options: { token: t, method: "PATCH", json: { summary: "Patched" } },
  })),
  fc.tuple(token, subject, calendar, eventId).map(([t, s, cal, id]) => ({
    route: "events.delete",
    path: `/v1/users/${s}/calendars/${cal}/events/${id}`,
    options: { token: t, method: "DELETE" },
  })),
  fc.tuple(token, many).map(([t, ss]) => ({
    route: "freebusy",
    path: "/v1/freebusy",
    options: { token: t, json: { subjects: ss, ...range } },
  })),
  fc.tuple(token, many).map(([t, ss]) => ({
    route: "availability",
    path: "/v1/availability",
    options: {
      token: t,
      json: {
        subjects: ss,
        ...range,
        durationMinutes: 30,
        timeZone: "Europe/Berlin",
        minAttendees: 1,
      },
    },
  })),
  fc.tuple(token, subject, fc.constantFrom([CAL], [RO], [FREEBUSY])).map(([t, s, scopes]) => ({
    route: "token",
    path: "/v1/token",
    options: { token: t, json: { subject: s, scopes } },
  })),
);

/** What Google does during a run: a seeded share of 403, 429, 500, 503 and dropped connections. */
const faults = fc.record({
  seed: fc.integer({ min: 1, max: 1000 }),
  errorRates: fc.record({
    "403": fc.constantFrom(0, 0.15),
    "429": fc.constantFrom(0, 0.1),
    "500": fc.constantFrom(0, 0.15),
    "503": fc.constantFrom(0, 0.15),
    reset: fc.constantFrom(0, 0.15),
  }),
  retryAfterSeconds: fc.constant(0),
});

describe("hostile upstream (property, bundled server over HTTP)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "dwd-hostile-"));
  let emulator: RunningEmulator;
  let server: RunningServer;

  beforeAll(async () => {
    emulator = await startEmulator({ keysDir: tmp, scenario: demoScenario });
    const config = {
      listen: { host: "127.0.0.1", port: 0 },
      delegation: {
        keyFile: emulator.keyFiles["calendar-bot"]!.json,
        checkSubject: "info@example.com",
        tokenUri: `${emulator.url}/token`,
        calendarRoot: `${emulator.url}/calendar/v3`,
      },
      callers: [
        {
          name: "booking-app",
          tokenSha256: await sha256Hex(BOOKING),
          subjects: ["*@example.com"],
          operations: [
            "calendarList.get",
            "events.list",
            "events.insert",
            "events.patch",
            "events.delete",
            "freebusy",
            "availability",
            "token",
          ],
          scopes: [RO, CAL, FREEBUSY],
          rate: { requests: 1_000_000, per: "minute" },
        },
        {
          // Scopes the delegation does not grant (calendar-bot has calendar and calendar.readonly).
          name: "ungranted-app",
          tokenSha256: await sha256Hex(UNGRANTED),
          subjects: ["*@example.com"],
          operations: [
            "events.list",
            "events.insert",
            "events.patch",
            "events.delete",
            "freebusy",
            "availability",
            "token",
          ],
          scopes: [FREEBUSY, EVENTS],
          rate: { requests: 1_000_000, per: "minute" },
        },
      ],
      limits: { subjectConcurrency: 64, subjectQueue: 256 },
    };
    const file = join(tmp, "dwd-server.json");
    writeFileSync(file, JSON.stringify(config));
    server = await startServer("node", ["--config", file]);
    await waitFor(async () => (await call(`${server.url}/healthz`)).status === 200);
  });

  afterAll(async () => {
    await server?.stop("SIGTERM");
    await emulator?.close();
    rmSync(tmp, { recursive: true, force: true });
    expectNoSecrets(seen);
  });

  it("every route answers every mix of failing users and failing Google, and the server stays up", async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        faults,
        fc.array(request, { minLength: 1, maxLength: 8 }),
        async (f, requests) => {
          const put = await fetch(`${emulator.url}/_emulator/faults`, {
            method: "PUT",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(f),
          });
          expect(put.status).toBe(200);
          // All at once: a failure left unobserved by one request would take the others down with it.
          const answers = await Promise.all(
            requests.map(async (r) => {
              const a = await call(`${server.url}${r.path}`, r.options);
              return {
                route: r.route,
                status: a.status,
                contentType: a.headers.get("content-type"),
                detail: String(a.body.detail),
              };
            }),
          );
          sent += answers.length;
          for (const a of answers) {
            // An answer, never a dropped connection; a failure is the caller's (4xx), Google's (429,
            // 502, 503, 504) or the configuration's (the ungranted caller's scopes), never a bug's 500.
            if (a.status === 500) expect(a.detail, a.route).toMatch(/its delegation is not set up/);
            expect(a.status >= 200 && a.status < 600, a.route).toBe(true);
            if (a.status >= 400) expect(a.contentType).toBe("application/problem+json");
          }
          expect(server.child.exitCode).toBeNull();
        },
      ),
      { numRuns: 40, seed: 14, endOnFailure: true },
    );
    await fetch(`${emulator.url}/_emulator/faults`, { method: "PUT", body: "{}" });
    expect((await call(`${server.url}/healthz`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
    // One audit line per request, however it ended.
    expect(server.audit().length).toBe(sent);
  });
});
