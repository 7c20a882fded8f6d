/**
 * Issue 13, item 2, over a real socket: a proxy in front of the emulator spoils every fifth token
 * request (503, 500 internal_failure, 429 with Retry-After, a reset connection, in turn). A batch for
 * 200 users, two calls each, gets every answer: the token source retries with the client's policy,
 * and each user's two calls still share one exchange. Retries sleep through a recorder: nothing waits.
 */
import { createTokenSource, loadKey } from "@dwd/auth";
import { startEmulator } from "@dwd/emulator/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCalendarClient } from "../src/index.ts";
import { startFaultProxy } from "./fault-proxy.ts";
import type { Fault, FaultProxy } from "./fault-proxy.ts";

const CALENDAR = "https://www.googleapis.com/auth/calendar";
const USERS = Array.from(
  { length: 200 },
  (_, i) => `user${String(i + 1).padStart(4, "0")}@example.com`,
);
const spoilers: Fault[] = [
  {
    status: 503,
    body: {
      error: "temporarily_unavailable",
      error_description: "The service is currently unavailable.",
    },
  },
  { status: 500, body: { error: "internal_failure", error_description: "Backend Error" } },
  {
    status: 429,
    body: { error: "rate_limit_exceeded", error_description: "Rate Limit Exceeded" },
    headers: { "retry-after": "1" },
  },
  "reset",
];

let running: Awaited<ReturnType<typeof startEmulator>>;
let proxy: FaultProxy;
beforeAll(async () => {
  running = await startEmulator({
    port: 0,
    scenario: {
      domain: "example.com",
      users: { count: 200, eventsEach: 1 },
      serviceAccounts: [{ name: "calendar-bot" }],
      grants: [{ serviceAccount: "calendar-bot", scopes: [CALENDAR] }],
    },
  });
  proxy = await startFaultProxy(running.url, {
    token: (_subject, n) => (n % 5 === 4 ? spoilers[Math.floor(n / 5) % spoilers.length]! : "pass"),
  });
  running.emulator.baseUrl = proxy.url; // assertions are addressed to the proxy's token URI
});
afterAll(async () => {
  await proxy?.close();
  await running?.close();
});

describe("token requests spoiled by a proxy", () => {
  it("20 % of token requests spoiled, 200 users: 0 failures, one exchange per user, Retry-After kept", async () => {
    const delays: number[] = [];
    const retry = { sleep: (ms: number) => (delays.push(ms), Promise.resolve()) };
    const key = await loadKey(await running.emulator.serviceAccountKeyJson("calendar-bot"));
    const tokenSource = createTokenSource(key, { tokenUri: `${proxy.url}/token`, env: {}, retry });
    const cal = createCalendarClient({
      tokenSource,
      env: {},
      rootUrl: `${proxy.url}/calendar/v3`,
      scopes: [CALENDAR],
      retry,
    });
    const results = await cal.batch((b) =>
      USERS.flatMap((u) => [b.as(u).events.list("primary"), b.as(u).calendarList.get("primary")]),
    );
    const failed = results
      .filter((r) => !r.ok)
      .map((r) => `${r.subject}: ${r.ok ? "" : r.error.code}`);
    expect(failed).toEqual([]);
    expect(results).toHaveLength(400);
    // Every fifth request spoiled; the emulator saw exactly one (successful) request per user.
    expect(proxy.counts.spoiledToken).toBe(Math.floor(proxy.counts.token / 5));
    expect(proxy.counts).toMatchObject({ token: 249, spoiledToken: 49 }); // 200 + 49 retries
    expect(running.emulator.stats.tokenRequests).toBe(200);
    expect(tokenSource.stats.exchanges).toBe(proxy.counts.token);
    // The 429s asked for 1 s: those retries waited at least that.
    expect(delays.filter((ms) => ms >= 1000).length).toBeGreaterThanOrEqual(
      Math.floor(proxy.counts.spoiledToken / 4),
    );
  });
});
