/* eslint-disable @typescript-eslint/no-unsafe-member-access -- JSON bodies are read as any */
import { beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "./calendar-helpers.ts";
import { harness, legacyError } from "./calendar-helpers.ts";

let h: Harness;
let t: string;
beforeEach(async () => {
  h = await harness();
  t = await h.token("info@example.com"); // primary calendar in Europe/Berlin
});

const berlinTen = {
  summary: "Planning",
  start: { dateTime: "2026-04-02T10:00:00", timeZone: "Europe/Berlin" },
  end: { dateTime: "2026-04-02T11:00:00", timeZone: "Europe/Berlin" },
};

describe("event times: dateTime always carries an RFC 3339 offset", () => {
  it("an event written with dateTime + timeZone reads back with the offset on insert, get, list, patch and batch", async () => {
    const inserted = await h.call(t, "POST", "calendars/primary/events", { body: berlinTen });
    expect(inserted.status).toBe(200);
    const want = {
      start: { dateTime: "2026-04-02T10:00:00+02:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-04-02T11:00:00+02:00", timeZone: "Europe/Berlin" },
    };
    expect(inserted.json).toMatchObject(want);
    const id = inserted.json.id as string;
    const got = await h.call(t, "GET", `calendars/primary/events/${id}`);
    expect(got.json).toMatchObject(want);
    const list = await h.call(t, "GET", "calendars/primary/events?q=Planning");
    expect(list.json.items).toHaveLength(1);
    expect(list.json.items[0]).toMatchObject(want);
    const patched = await h.call(t, "PATCH", `calendars/primary/events/${id}`, {
      body: { summary: "Planning 2" },
    });
    expect(patched.json).toMatchObject(want);

    const boundary = "batch_times";
    const batch = await h.emulator.fetch(
      new Request(`${h.emulator.baseUrl}/batch/calendar/v3`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${t}`,
          "content-type": `multipart/mixed; boundary=${boundary}`,
        },
        body: [
          `--${boundary}`,
          "Content-Type: application/http",
          "Content-ID: <p1>",
          "",
          `GET /calendar/v3/calendars/primary/events/${id} HTTP/1.1`,
          "",
          `--${boundary}--`,
          "",
        ].join("\r\n"),
      }),
    );
    const text = await batch.text();
    expect(text).toContain('"dateTime":"2026-04-02T10:00:00+02:00"');
    expect(text).not.toContain('"dateTime":"2026-04-02T10:00:00"');
  });

  it("the demo's stand-up (seeded without an offset) and its instances carry the zone's offset across the DST switch", async () => {
    const master = await h.call(t, "GET", "calendars/primary/events/standup0001");
    expect(master.json.start).toEqual({
      dateTime: "2026-03-02T09:30:00+01:00",
      timeZone: "Europe/Berlin",
    });
    const inst = await h.call(
      t,
      "GET",
      "calendars/primary/events/standup0001/instances?timeMin=2026-03-27T00:00:00Z&timeMax=2026-03-31T00:00:00Z",
    );
    expect(
      (inst.json.items as { start: { dateTime: string } }[]).map((e) => e.start.dateTime),
    ).toEqual(["2026-03-27T09:30:00+01:00", "2026-03-30T09:30:00+02:00"]);
  });

  it("dateTime is written in the calendar's zone by default and in the timeZone parameter's when given; timeZone stays the event's", async () => {
    const ny = {
      summary: "NY call",
      start: { dateTime: "2026-04-02T10:00:00", timeZone: "America/New_York" },
      end: { dateTime: "2026-04-02T10:30:00", timeZone: "America/New_York" },
    };
    const inserted = await h.call(t, "POST", "calendars/primary/events", { body: ny });
    const id = inserted.json.id as string;
    expect(inserted.json.start).toEqual({
      dateTime: "2026-04-02T16:00:00+02:00",
      timeZone: "America/New_York",
    });
    const inNy = await h.call(t, "GET", `calendars/primary/events/${id}?timeZone=America/New_York`);
    expect(inNy.json.start).toEqual({
      dateTime: "2026-04-02T10:00:00-04:00",
      timeZone: "America/New_York",
    });
    const listUtc = await h.call(t, "GET", "calendars/primary/events?q=NY%20call&timeZone=UTC");
    expect(listUtc.json.items[0].start.dateTime).toBe("2026-04-02T14:00:00Z");
    const bad = await h.call(t, "GET", `calendars/primary/events/${id}?timeZone=Mars/Olympus`);
    expect(bad.status).toBe(400);
    expect(bad.text).toBe(
      legacyError(400, "global", "invalid", "Invalid Value", ["parameter", "timeZone"]),
    );
  });
});
