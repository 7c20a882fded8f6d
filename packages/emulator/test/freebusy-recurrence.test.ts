/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call -- JSON bodies are read as any */
// freebusy.query, events.list?singleEvents=true and events.instances count the same instances as
// Google: all-day days of the calendar's zone, UTC UNTIL as an instant, exceptions by their own times,
// RFC 5545's reading of repeated and skipped wall times, no busy time from zero-length events, long
// instances starting well before the window, and EXRULE removing DTSTART and RDATEs too.
import { beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "./calendar-helpers.ts";
import { harness } from "./calendar-helpers.ts";

let h: Harness;
let ana: string;
beforeEach(async () => {
  h = await harness();
  ana = await h.token("ana@example.com");
});

async function setZone(zone: string): Promise<void> {
  const res = await h.call(ana, "PATCH", "calendars/primary", { body: { timeZone: zone } });
  expect(res.status).toBe(200);
}

async function insert(body: Record<string, unknown>): Promise<string> {
  const res = await h.call(ana, "POST", "calendars/primary/events", {
    body: { summary: "x", ...body },
  });
  expect(res.status, res.text).toBe(200);
  return String(res.json.id);
}

/** Ana's busy intervals in [timeMin, timeMax), as UTC strings. */
async function busy(
  timeMin: string,
  timeMax: string,
  who = "ana@example.com",
): Promise<{ start: string; end: string }[]> {
  const token = who === "ana@example.com" ? ana : await h.token(who);
  const res = await h.call(token, "POST", "freeBusy", {
    body: { timeMin, timeMax, items: [{ id: who }] },
  });
  expect(res.status, res.text).toBe(200);
  return res.json.calendars[who].busy as { start: string; end: string }[];
}

/** events.list?singleEvents=true in the window: IDs and starts. */
async function singles(timeMin: string, timeMax: string): Promise<string[]> {
  const q = new URLSearchParams({ singleEvents: "true", orderBy: "startTime", timeMin, timeMax });
  const res = await h.call(ana, "GET", `calendars/primary/events?${q.toString()}`);
  expect(res.status, res.text).toBe(200);
  return (res.json.items as { id: string }[]).map((i) => i.id);
}

async function instances(id: string, query = ""): Promise<{ id: string; start: unknown }[]> {
  const res = await h.call(ana, "GET", `calendars/primary/events/${id}/instances${query}`);
  expect(res.status, res.text).toBe(200);
  return (res.json.items as { id: string; start: unknown }[]).map((i) => ({
    id: i.id,
    start: i.start,
  }));
}

describe("all-day events", () => {
  it("are busy from midnight to midnight in the calendar's zone (info@'s Europe/Berlin)", async () => {
    // The demo's "Office closed" on 2026-04-10; info@'s calendar is in Europe/Berlin (UTC+2 then).
    expect(await busy("2026-04-09T12:00:00Z", "2026-04-11T12:00:00Z", "info@example.com")).toEqual([
      { start: "2026-04-09T22:00:00Z", end: "2026-04-10T22:00:00Z" },
    ]);
    const info = await h.token("info@example.com");
    const q = new URLSearchParams({
      singleEvents: "true",
      timeMin: "2026-04-10T22:30:00Z",
      timeMax: "2026-04-11T06:00:00Z",
    });
    const after = await h.call(info, "GET", `calendars/primary/events?${q.toString()}`);
    expect(after.json.items.map((i: { id: string }) => i.id)).not.toContain("closed0001");
    q.set("timeMin", "2026-04-09T21:00:00Z");
    q.set("timeMax", "2026-04-09T22:30:00Z");
    const before = await h.call(info, "GET", `calendars/primary/events?${q.toString()}`);
    expect(before.json.items.map((i: { id: string }) => i.id)).toContain("closed0001");
  });

  it("recur on days of the calendar's zone", async () => {
    await setZone("America/New_York");
    const id = await insert({
      start: { date: "2026-04-06" },
      end: { date: "2026-04-07" },
      recurrence: ["RRULE:FREQ=DAILY;COUNT=2"],
    });
    expect(await busy("2026-04-06T00:00:00Z", "2026-04-08T12:00:00Z")).toEqual([
      { start: "2026-04-06T04:00:00Z", end: "2026-04-08T04:00:00Z" },
    ]);
    expect(await singles("2026-04-08T02:00:00Z", "2026-04-08T03:00:00Z")).toEqual([
      `${id}_20260407`,
    ]);
    // An instance ID names its date, found in the calendar's zone.
    const one = await h.call(ana, "GET", `calendars/primary/events/${id}_20260407`);
    expect(one.status).toBe(200);
    expect(one.json.start).toEqual({ date: "2026-04-07" });
  });
});

describe("UNTIL", () => {
  it("in UTC is an instant, not a wall-clock time of the event's zone (RFC 5545 §3.3.10)", async () => {
    // 20:00 America/Los_Angeles is 03:00Z the next day: the 05-05 instance (05-06T03:00Z) is after UNTIL.
    const id = await insert({
      start: { dateTime: "2026-05-01T20:00:00", timeZone: "America/Los_Angeles" },
      end: { dateTime: "2026-05-01T21:00:00", timeZone: "America/Los_Angeles" },
      recurrence: ["RRULE:FREQ=DAILY;UNTIL=20260505T235959Z"],
    });
    const all = await instances(id);
    expect(all.map((i) => i.id)).toEqual([
      `${id}_20260502T030000Z`,
      `${id}_20260503T030000Z`,
      `${id}_20260504T030000Z`,
      `${id}_20260505T030000Z`,
    ]);
    expect(await busy("2026-05-05T12:00:00Z", "2026-05-07T00:00:00Z")).toEqual([]);
    expect(await singles("2026-05-05T12:00:00Z", "2026-05-07T00:00:00Z")).toEqual([]);
  });
});

describe("changed instances", () => {
  it("count at their own times: one moved into the window shows, one moved out does not", async () => {
    await setZone("UTC");
    const id = await insert({
      start: { dateTime: "2026-04-06T10:00:00Z", timeZone: "UTC" },
      end: { dateTime: "2026-04-06T11:00:00Z", timeZone: "UTC" },
      recurrence: ["RRULE:FREQ=WEEKLY;COUNT=4"],
    });
    // The 04-13 instance moves to Thursday 04-16 15:00.
    const moved = await h.call(ana, "PATCH", `calendars/primary/events/${id}_20260413T100000Z`, {
      body: {
        start: { dateTime: "2026-04-16T15:00:00Z", timeZone: "UTC" },
        end: { dateTime: "2026-04-16T16:30:00Z", timeZone: "UTC" },
      },
    });
    expect(moved.status, moved.text).toBe(200);
    expect(await busy("2026-04-16T00:00:00Z", "2026-04-17T00:00:00Z")).toEqual([
      { start: "2026-04-16T15:00:00Z", end: "2026-04-16T16:30:00Z" },
    ]);
    expect(await busy("2026-04-13T00:00:00Z", "2026-04-14T00:00:00Z")).toEqual([]);
    expect(await singles("2026-04-16T00:00:00Z", "2026-04-17T00:00:00Z")).toEqual([
      `${id}_20260413T100000Z`,
    ]);
    expect(await singles("2026-04-13T00:00:00Z", "2026-04-14T00:00:00Z")).toEqual([]);
    const inWindow = await instances(
      id,
      "?timeMin=2026-04-16T00:00:00Z&timeMax=2026-04-17T00:00:00Z",
    );
    expect(inWindow.map((i) => i.id)).toEqual([`${id}_20260413T100000Z`]);
  });
});

describe("wall times a clock change makes ambiguous (RFC 5545 §3.3.5)", () => {
  it("a repeated one is the first instant; a skipped one uses the offset before the gap", async () => {
    await setZone("Europe/Berlin");
    // 2026-10-25: Berlin goes from 03:00 CEST back to 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
    await insert({
      start: { dateTime: "2026-10-25T02:30:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-10-25T02:45:00", timeZone: "Europe/Berlin" },
    });
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 is read at +01:00 (01:30Z).
    await insert({
      start: { dateTime: "2026-03-29T02:30:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-03-29T04:00:00", timeZone: "Europe/Berlin" },
    });
    expect(await busy("2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z")).toEqual([
      { start: "2026-10-25T00:30:00Z", end: "2026-10-25T00:45:00Z" },
    ]);
    expect(await busy("2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z")).toEqual([
      { start: "2026-03-29T01:30:00Z", end: "2026-03-29T02:00:00Z" },
    ]);
    // A daily 02:30 series lands on the first 02:30 of the long night too.
    const id = await insert({
      start: { dateTime: "2026-10-24T02:30:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-10-24T02:40:00", timeZone: "Europe/Berlin" },
      recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
    });
    expect((await instances(id)).map((i) => i.id)).toEqual([
      `${id}_20261024T003000Z`,
      `${id}_20261025T003000Z`,
      `${id}_20261026T013000Z`,
    ]);
  });
});

describe("zero-length events", () => {
  it("busy no time, alone or next to others", async () => {
    await setZone("UTC");
    await insert({
      start: { dateTime: "2026-04-02T10:00:00Z" },
      end: { dateTime: "2026-04-02T10:00:00Z" },
    });
    await insert({
      start: { dateTime: "2026-04-02T12:00:00Z", timeZone: "UTC" },
      end: { dateTime: "2026-04-02T12:00:00Z", timeZone: "UTC" },
      recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
    });
    expect(await busy("2026-04-01T00:00:00Z", "2026-04-05T00:00:00Z")).toEqual([]);
  });
});

describe("long recurring instances", () => {
  it("that start days before the window still overlap it", async () => {
    await setZone("UTC");
    // Monday 00:00 for five days, every week.
    const id = await insert({
      start: { dateTime: "2026-04-06T00:00:00Z", timeZone: "UTC" },
      end: { dateTime: "2026-04-11T00:00:00Z", timeZone: "UTC" },
      recurrence: ["RRULE:FREQ=WEEKLY;COUNT=3"],
    });
    expect(await busy("2026-04-17T12:00:00Z", "2026-04-17T13:00:00Z")).toEqual([
      { start: "2026-04-17T12:00:00Z", end: "2026-04-17T13:00:00Z" },
    ]);
    expect(await singles("2026-04-17T12:00:00Z", "2026-04-17T13:00:00Z")).toEqual([
      `${id}_20260413T000000Z`,
    ]);
  });
});

describe("instance IDs of a series whose instances overlap", () => {
  it("name their instance for get and patch, however many earlier ones are still going on", async () => {
    await setZone("UTC");
    // Daily, each 100 hours long: four earlier instances are still going on when the fifth starts.
    const id = await insert({
      start: { dateTime: "2026-04-01T09:00:00Z", timeZone: "UTC" },
      end: { dateTime: "2026-04-05T13:00:00Z", timeZone: "UTC" },
      recurrence: ["RRULE:FREQ=DAILY;COUNT=8"],
    });
    const got = await h.call(ana, "GET", `calendars/primary/events/${id}_20260406T090000Z`);
    expect(got.status, got.text).toBe(200);
    expect(got.json.start).toEqual({ dateTime: "2026-04-06T09:00:00Z", timeZone: "UTC" });
    const patched = await h.call(ana, "PATCH", `calendars/primary/events/${id}_20260406T090000Z`, {
      body: { summary: "sixth" },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ summary: "sixth", recurringEventId: id });
  });
});

describe("EXRULE", () => {
  it("removes DTSTART and RDATEs it generates, not only RRULE instances (RFC 5545 §3.8.5)", async () => {
    await setZone("Europe/Berlin");
    const id = await insert({
      start: { dateTime: "2026-04-01T10:00:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-04-01T11:00:00", timeZone: "Europe/Berlin" },
      recurrence: [
        "RRULE:FREQ=DAILY;COUNT=5",
        "EXRULE:FREQ=DAILY;INTERVAL=2",
        "RDATE;TZID=Europe/Berlin:20260407T100000,20260408T100000",
      ],
    });
    // Every other day from 04-01 goes: 04-01 (DTSTART), 04-03, 04-05 and the RDATE 04-07.
    expect((await instances(id)).map((i) => i.id)).toEqual([
      `${id}_20260402T080000Z`,
      `${id}_20260404T080000Z`,
      `${id}_20260408T080000Z`,
    ]);
    expect(await busy("2026-04-01T00:00:00Z", "2026-04-02T00:00:00Z")).toEqual([]);
    expect(await busy("2026-04-07T06:00:00Z", "2026-04-07T11:00:00Z")).toEqual([]);
    // An endless rule whose every date an EXRULE removes has no instances (and the answer ends).
    const none = await insert({
      start: { dateTime: "2026-04-01T10:00:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-04-01T11:00:00", timeZone: "Europe/Berlin" },
      recurrence: ["RRULE:FREQ=DAILY;INTERVAL=2", "EXRULE:FREQ=DAILY"],
    });
    expect(await instances(none)).toEqual([]);
    expect(await busy("2026-04-08T06:00:00Z", "2026-04-08T12:00:00Z")).toEqual([
      { start: "2026-04-08T08:00:00Z", end: "2026-04-08T09:00:00Z" },
    ]);
  });
});
