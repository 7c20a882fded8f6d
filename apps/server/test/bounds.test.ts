// Inputs are bounded where they cost work: over HTTP, as dwd-server listens.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOKING_TOKEN, expectNoSecrets, seen, testConfig } from "./helpers.ts";
import type { Listening } from "./http.ts";
import { listen } from "./http.ts";
import { call } from "./spawn.ts";

let server: Listening;
beforeAll(async () => {
  const base = await testConfig();
  server = await listen({ config: { ...base, limits: { ...base.limits, bodyBytes: 65_536 } } });
});
afterAll(async () => {
  await server.close();
  expectNoSecrets(seen);
});

const availability = {
  subjects: ["ana@example.com"],
  timeMin: "2026-12-01T00:00:00Z",
  timeMax: "2026-12-02T00:00:00Z",
  durationMinutes: 30,
  timeZone: "Europe/Berlin",
};

describe("availability's inputs are bounded", () => {
  it("refuses workingHours.days with 32,000 entries in a 64 KB body: 400, before any work", async () => {
    const r = await call(`${server.url}/v1/availability`, {
      token: BOOKING_TOKEN,
      json: {
        ...availability,
        workingHours: { days: Array.from({ length: 32_000 }, (_, i) => (i % 7) + 1) },
      },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: "invalid_request",
      detail: 'The request is invalid: "workingHours.days" must have at most 7 items, got 32000',
      errors: [{ field: "workingHours.days", problem: "must have at most 7 items, got 32000" }],
    });
    expect(server.h.audit.at(-1)).toMatchObject({ outcome: "invalid", status: 400 });
  });

  it("refuses an empty days list and a window over 62 days", async () => {
    const empty = await call(`${server.url}/v1/availability`, {
      token: BOOKING_TOKEN,
      json: { ...availability, workingHours: { days: [] } },
    });
    expect(empty.body).toMatchObject({
      status: 400,
      detail: 'The request is invalid: "workingHours.days" must have at least 1 item',
    });
    const long = await call(`${server.url}/v1/availability`, {
      token: BOOKING_TOKEN,
      json: { ...availability, timeMax: "2027-02-02T00:00:00Z" },
    });
    expect(long.body).toMatchObject({
      status: 400,
      detail: 'The request is invalid: "timeMax" must be at most 62 days after timeMin',
    });
  });
});
