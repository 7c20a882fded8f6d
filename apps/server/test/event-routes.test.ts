// Meet links and the missing event routes (issue 14, item 12), over HTTP against the emulator.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAL, RO, expectNoSecrets, seen, sha256Hex, testConfig } from "./helpers.ts";
import type { Listening } from "./http.ts";
import { listen } from "./http.ts";
import { call } from "./spawn.ts";

const TOKEN = "event-routes-token-0001";
let server: Listening;
beforeAll(async () => {
  const base = await testConfig();
  server = await listen({
    config: {
      ...base,
      callers: [
        {
          name: "events-app",
          tokenSha256: await sha256Hex(TOKEN),
          subjects: ["*@example.com"],
          operations: [
            "events.insert",
            "events.get",
            "events.update",
            "events.move",
            "events.instances",
          ],
          scopes: [RO, CAL],
        },
      ],
    },
  });
});
afterAll(async () => {
  await server.close();
  expectNoSecrets(seen);
});

const base = "/v1/users/ana@example.com/calendars/primary/events";
const event = {
  summary: "Design review",
  start: { dateTime: "2026-12-03T10:00:00Z" },
  end: { dateTime: "2026-12-03T11:00:00Z" },
  conferenceData: {
    createRequest: { requestId: "req-1", conferenceSolutionKey: { type: "hangoutsMeet" } },
  },
};

describe("conferenceDataVersion", () => {
  it("passes through: an insert with conferenceDataVersion=1 gets its Meet link", async () => {
    const r = await call(`${server.url}${base}?conferenceDataVersion=1`, {
      token: TOKEN,
      json: event,
    });
    expect(r.status).toBe(201);
    expect(r.body.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\//);
    expect(r.body.conferenceData).toMatchObject({
      conferenceSolution: { key: { type: "hangoutsMeet" } },
    });
  });

  it("refuses a version other than 0 or 1", async () => {
    const r = await call(`${server.url}${base}?conferenceDataVersion=2`, {
      token: TOKEN,
      json: event,
    });
    expect(r.body).toMatchObject({
      status: 400,
      detail: 'The request is invalid: "conferenceDataVersion" must be one of 0, 1, got 2',
    });
  });
});

describe("events get, update, move and instances", () => {
  it("gets and updates (PUT) an event as the subject", async () => {
    const created = await call(`${server.url}${base}`, {
      token: TOKEN,
      json: { summary: "One", start: event.start, end: event.end },
    });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const got = await call(`${server.url}${base}/${id}`, { token: TOKEN });
    expect(got.body).toMatchObject({ id, summary: "One" });
    const put = await call(`${server.url}${base}/${id}`, {
      token: TOKEN,
      method: "PUT",
      json: { summary: "Two", start: event.start, end: event.end },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id, summary: "Two" });
    expect(server.h.audit.at(-1)).toMatchObject({ operation: "events.update", status: 200 });
  });

  it("lists a recurring event's instances", async () => {
    const r = await call(
      `${server.url}/v1/users/info@example.com/calendars/primary/events/standup0001/instances?timeMin=2026-03-02T00:00:00Z&timeMax=2026-03-07T00:00:00Z`,
      { token: TOKEN },
    );
    expect(r.status).toBe(200);
    expect((r.body.items as unknown[]).length).toBe(5);
  });

  it("moves only to a calendar within the policy; destination is required", async () => {
    const missing = await call(`${server.url}${base}/abc123/move`, {
      token: TOKEN,
      method: "POST",
    });
    expect(missing.body).toMatchObject({
      status: 400,
      detail: 'The request is invalid: "destination" is required: the calendar to move to',
    });
    const before = server.h.emulator.stats.apiRequests;
    const elsewhere = await call(`${server.url}${base}/abc123/move?destination=info@example.com`, {
      token: TOKEN,
      method: "POST",
    });
    expect(elsewhere.body).toMatchObject({
      status: 403,
      code: "calendar_not_allowed",
      detail:
        'Caller "events-app" may not move events to calendar "info@example.com" as "ana@example.com": it is outside its policy\'s calendars',
    });
    expect(server.h.emulator.stats.apiRequests).toBe(before);
    const own = await call(`${server.url}${base}/abc123/move?destination=ana@example.com`, {
      token: TOKEN,
      method: "POST",
    });
    expect(own.body.code).not.toBe("calendar_not_allowed");
    expect(own.status).toBe(404); // no such event: Google's answer
  });
});
