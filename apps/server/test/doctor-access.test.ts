// Nothing unauthenticated reaches Google or reveals the delegation (issue 14, item 6): over HTTP, as
// dwd-server listens.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOKING_TOKEN, INTRUDER_TOKEN, expectNoSecrets, seen } from "./helpers.ts";
import type { Listening } from "./http.ts";
import { listen } from "./http.ts";
import { call } from "./spawn.ts";

let server: Listening;
beforeAll(async () => {
  server = await listen();
});
afterAll(async () => {
  await server.close();
  expectNoSecrets(seen);
});

const googleCalls = (): number =>
  server.h.emulator.stats.tokenRequests + server.h.emulator.stats.apiRequests;

describe("the doctor", () => {
  for (const path of ["/v1/doctor", "/"]) {
    it(`${path} without a token is 401 and asks Google nothing; a caller not allowed doctor is 403`, async () => {
      const before = googleCalls();
      const anonymous = await call(`${server.url}${path}`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toMatchObject({ code: "missing_token" });
      expect(anonymous.text).not.toContain(server.h.key.clientEmail);
      expect(anonymous.text).not.toContain(server.h.key.clientId!);
      const intruder = await call(`${server.url}${path}`, { token: INTRUDER_TOKEN });
      expect(intruder.body).toMatchObject({ status: 403, code: "operation_not_allowed" });
      expect(googleCalls()).toBe(before);
    });
  }

  it("answers a caller allowed doctor from the cache: 200 requests make no Google call within the interval", async () => {
    const first = await call(`${server.url}/v1/doctor`, { token: BOOKING_TOKEN });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ok: true, subject: "info@example.com" });
    const before = googleCalls();
    for (let i = 0; i < 100; i++) {
      expect((await call(`${server.url}/v1/doctor`, { token: BOOKING_TOKEN })).status).toBe(200);
      expect((await call(`${server.url}/readyz`)).status).toBe(200);
    }
    expect(googleCalls()).toBe(before);
    // A minute later the report is stale: one check, however many ask at once. (The moved clock
    // is 61 s ahead of the emulator's: that check finds the skew and fails.)
    server.h.clock.now += 61_000;
    const again = await Promise.all(
      Array.from({ length: 20 }, () => call(`${server.url}/v1/doctor`, { token: BOOKING_TOKEN })),
    );
    expect(new Set(again.map((r) => r.status)).size).toBe(1);
    const oneCheck = googleCalls() - before;
    expect(oneCheck).toBeGreaterThan(0);
    expect(oneCheck).toBeLessThanOrEqual(4); // one check: a token per scope and one API call
    expect(server.h.audit.at(-1)).toMatchObject({ caller: "booking-app", operation: "doctor" });
    // /readyz reads that report: which checks failed, never their details (they name the delegation).
    const ready = await call(`${server.url}/readyz`);
    expect(ready.status).toBe(again[0]!.status === 200 ? 200 : 503);
    for (const id of (ready.body.failed as string[] | undefined) ?? [])
      expect(["key", "clock", "token", "api"]).toContain(id);
    expect(ready.text).not.toContain(server.h.key.clientEmail);
    expect(googleCalls() - before).toBe(oneCheck);
  });
});

describe("the admin listener", () => {
  it("serves the doctor without a token, beside /metrics", async () => {
    // The cached report (the clock moved above made the last check fail: 503, with its checks).
    const r = await server.h.server.adminFetch(new Request("http://admin.test/v1/doctor"));
    expect([200, 503]).toContain(r.status);
    expect(await r.json()).toMatchObject({ subject: "info@example.com" });
    const page = await server.h.server.adminFetch(new Request("http://admin.test/"));
    expect(await page.text()).toContain('<h1 id="summary">');
    const metrics = await server.h.server.adminFetch(new Request("http://admin.test/metrics"));
    expect(await metrics.text()).toContain("dwd_http_requests_total");
    const api = await server.h.server.adminFetch(
      new Request("http://admin.test/v1/users/ana@example.com/calendarList/primary"),
    );
    expect(api.status).toBe(404);
  });
});
