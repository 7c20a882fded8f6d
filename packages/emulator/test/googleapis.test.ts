/**
 * Google's own client, `@googleapis/calendar`, against the emulator on a real port (rootUrl): one
 * call per resource (acl, calendarList, calendars, channels, colors, events, freebusy, settings).
 */
import { auth, calendar } from "@googleapis/calendar";
import type { calendar_v3 } from "@googleapis/calendar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../src/node.ts";
import { startEmulator } from "../src/node.ts";
import { mint, signerFor } from "./helpers.ts";

let running: RunningEmulator;
let api: calendar_v3.Calendar;

beforeAll(async () => {
  running = await startEmulator({
    port: 0,
    pushFetch: () => Promise.resolve(new Response(null)),
    pushAllowedOrigins: ["https://hooks.example.com"],
  });
  const signer = await signerFor(running.emulator, "calendar-bot", Date.now);
  const accessToken = await mint(running.emulator, signer, { sub: "info@example.com" });
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: accessToken, expiry_date: Date.now() + 3_000_000 });
  api = calendar({ version: "v3", auth: client, rootUrl: `${running.url}/` });
}, 60_000);

afterAll(async () => {
  await running.close();
});

describe("@googleapis/calendar against the emulator", () => {
  it("colors.get and settings.list/get", async () => {
    expect((await api.colors.get()).data.calendar?.["1"]?.background).toBe("#ac725e");
    expect((await api.settings.list()).data.items?.length).toBe(12);
    expect((await api.settings.get({ setting: "timezone" })).data.value).toBe("Europe/Berlin");
  });

  it("calendars, calendarList and acl round-trip", async () => {
    const created = (await api.calendars.insert({ requestBody: { summary: "Via googleapis" } }))
      .data;
    expect(created.id).toMatch(/@group\.calendar\.google\.com$/);
    const id = created.id ?? "";
    expect(
      (await api.calendars.patch({ calendarId: id, requestBody: { description: "x" } })).data
        .description,
    ).toBe("x");
    expect((await api.calendarList.get({ calendarId: id })).data.accessRole).toBe("owner");
    const list = await api.calendarList.list({ maxResults: 1 });
    expect(list.data.items).toHaveLength(1);
    expect(list.data.nextPageToken).toEqual(expect.any(String));
    const rule = (
      await api.acl.insert({
        calendarId: id,
        requestBody: { role: "reader", scope: { type: "user", value: "ana@example.com" } },
      })
    ).data;
    expect(rule.id).toBe("user:ana@example.com");
    expect((await api.acl.list({ calendarId: id })).data.items?.map((r) => r.role).sort()).toEqual([
      "owner",
      "reader",
    ]);
    await api.acl.delete({ calendarId: id, ruleId: rule.id ?? "" });
    const deleted = await api.calendars.delete({ calendarId: id });
    expect(deleted.status).toBe(204);
  });

  it("events: insert, list with pages, get, patch, instances, quickAdd, delete", async () => {
    const inserted = await api.events.insert({
      calendarId: "primary",
      conferenceDataVersion: 1,
      requestBody: {
        summary: "googleapis event",
        start: { dateTime: "2026-05-04T09:00:00", timeZone: "Europe/Berlin" },
        end: { dateTime: "2026-05-04T09:30:00", timeZone: "Europe/Berlin" },
        recurrence: ["RRULE:FREQ=WEEKLY;COUNT=2"],
        conferenceData: { createRequest: { requestId: "g1" } },
      },
    });
    expect(inserted.data.hangoutLink).toMatch(/^https:\/\/meet\.google\.com\//);
    const id = inserted.data.id ?? "";
    const page = await api.events.list({ calendarId: "primary", maxResults: 2 });
    expect(page.data.items).toHaveLength(2);
    expect(page.data.nextPageToken).toEqual(expect.any(String));
    expect((await api.events.get({ calendarId: "primary", eventId: id })).data.summary).toBe(
      "googleapis event",
    );
    expect(
      (
        await api.events.patch({
          calendarId: "primary",
          eventId: id,
          requestBody: { summary: "patched" },
        })
      ).data.sequence,
    ).toBe(1);
    expect(
      (await api.events.instances({ calendarId: "primary", eventId: id })).data.items?.map(
        (e) => e.start?.dateTime,
      ),
    ).toEqual(["2026-05-04T09:00:00+02:00", "2026-05-11T09:00:00+02:00"]);
    expect(
      (await api.events.quickAdd({ calendarId: "primary", text: "Coffee tomorrow at 9am" })).data
        .summary,
    ).toBe("Coffee");
    expect((await api.events.delete({ calendarId: "primary", eventId: id })).status).toBe(204);
  });

  it("freebusy.query and watch + channels.stop", async () => {
    const fb = await api.freebusy.query({
      requestBody: {
        timeMin: "2026-04-07T00:00:00Z",
        timeMax: "2026-04-08T00:00:00Z",
        items: [{ id: "info@example.com" }],
      },
    });
    expect(fb.data.calendars?.["info@example.com"]?.busy).toContainEqual({
      start: "2026-04-07T12:00:00Z",
      end: "2026-04-07T13:30:00Z",
    });
    const channel = await api.events.watch({
      calendarId: "primary",
      requestBody: { id: "g-chan", type: "web_hook", address: "https://hooks.example.com/x" },
    });
    expect(channel.data.resourceId).toEqual(expect.any(String));
    const stopped = await api.channels.stop({
      requestBody: { id: "g-chan", resourceId: channel.data.resourceId ?? "" },
    });
    expect(stopped.status).toBe(204);
  });

  it("a Google error reaches the client as Google's (404 notFound)", async () => {
    const err = (await api.events.get({ calendarId: "primary", eventId: "nosuchevent" }).then(
      () => ({}),
      (e: unknown) => e,
    )) as { response?: { status: number; data: unknown } };
    expect(err.response?.status).toBe(404);
    expect(err.response?.data).toEqual({
      error: {
        errors: [{ domain: "global", reason: "notFound", message: "Not Found" }],
        code: 404,
        message: "Not Found",
      },
    });
  });
});
