/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- JSON bodies are read as any */
import { beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "./calendar-helpers.ts";
import { harness, legacyError } from "./calendar-helpers.ts";
import { CALENDAR_READONLY, scope } from "./helpers.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});

const event = (summary: string, day = 2, extra: Record<string, unknown> = {}) => ({
  summary,
  start: { dateTime: `2026-04-0${day}T10:00:00+02:00` },
  end: { dateTime: `2026-04-0${day}T11:00:00+02:00` },
  ...extra,
});

describe("events.insert and events.get", () => {
  it("stores an event with Google's server fields and reads it back", async () => {
    const t = await h.token("ana@example.com");
    const res = await h.call(t, "POST", "calendars/primary/events", { body: event("Planning") });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      kind: "calendar#event",
      status: "confirmed",
      summary: "Planning",
      creator: { email: "ana@example.com", self: true },
      organizer: { email: "ana@example.com", self: true },
      sequence: 0,
      reminders: { useDefault: true },
      eventType: "default",
    });
    expect(res.json.id).toMatch(/^[a-v0-9]{26}$/);
    expect(res.json.iCalUID).toBe(`${res.json.id}@google.com`);
    expect(res.json.etag).toMatch(/^"\d{16}"$/);
    expect(res.headers.get("etag")).toBe(res.json.etag);
    const got = await h.call(t, "GET", `calendars/ana%40example.com/events/${res.json.id}`);
    expect(got.json).toEqual(res.json);
  });

  it("takes a client-chosen base32hex ID, answers 409 duplicate for it again", async () => {
    const t = await h.token();
    const first = await h.call(t, "POST", "calendars/primary/events", {
      body: event("A", 2, { id: "abcdef0123" }),
    });
    expect(first.json.id).toBe("abcdef0123");
    const again = await h.call(t, "POST", "calendars/primary/events", {
      body: event("A", 2, { id: "abcdef0123" }),
    });
    expect(again.status).toBe(409);
    expect(again.text).toBe(
      legacyError(409, "global", "duplicate", "The requested identifier already exists."),
    );
  });

  for (const id of ["abc", "ABCDEF0123", "wxyz12345", "abc_defgh"]) {
    it(`answers 400 Invalid resource id value for id "${id}"`, async () => {
      const res = await h.call(await h.token(), "POST", "calendars/primary/events", {
        body: event("A", 2, { id }),
      });
      expect(res.status).toBe(400);
      expect(res.text).toBe(legacyError(400, "global", "invalid", "Invalid resource id value."));
    });
  }

  it("answers 400 Missing end time. without an end", async () => {
    const res = await h.call(await h.token(), "POST", "calendars/primary/events", {
      body: { summary: "x", start: { date: "2026-04-02" } },
    });
    expect(res.status).toBe(400);
    expect(res.text).toBe(legacyError(400, "global", "required", "Missing end time."));
  });

  it("answers 403 forbiddenForServiceAccounts for attendees without a subject", async () => {
    const t = await h.token(null);
    const res = await h.call(t, "POST", "calendars/primary/events", {
      body: event("Invite", 2, { attendees: [{ email: "bob@example.com" }] }),
    });
    expect(res.status).toBe(403);
    expect(res.text).toBe(
      legacyError(
        403,
        "calendar",
        "forbiddenForServiceAccounts",
        "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
      ),
    );
  });

  it("invites attendees when acting as a user (needsAction, organizer accepted)", async () => {
    const t = await h.token("ana@example.com");
    const res = await h.call(t, "POST", "calendars/primary/events", {
      body: event("Invite", 2, {
        attendees: [{ email: "Bob@example.com" }, { email: "ana@example.com" }],
      }),
    });
    expect(res.json.attendees).toEqual([
      { email: "bob@example.com", responseStatus: "needsAction" },
      { email: "ana@example.com", organizer: true, responseStatus: "accepted", self: true },
    ]);
  });

  it("creates a Meet link with conferenceDataVersion=1 as a user, silently none as the service account", async () => {
    const body = event("Call", 2, {
      conferenceData: {
        createRequest: { requestId: "req-1", conferenceSolutionKey: { type: "hangoutsMeet" } },
      },
    });
    const asUser = await h.call(
      await h.token(),
      "POST",
      "calendars/primary/events?conferenceDataVersion=1",
      { body },
    );
    expect(asUser.json.hangoutLink).toMatch(
      /^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/,
    );
    expect(asUser.json.conferenceData).toMatchObject({
      createRequest: { requestId: "req-1", status: { statusCode: "success" } },
      conferenceSolution: { key: { type: "hangoutsMeet" }, name: "Google Meet" },
      entryPoints: [{ entryPointType: "video", uri: asUser.json.hangoutLink }],
    });
    const asBot = await h.call(
      await h.token(null),
      "POST",
      "calendars/primary/events?conferenceDataVersion=1",
      { body },
    );
    expect(asBot.status).toBe(200);
    expect(asBot.json.hangoutLink).toBeUndefined();
    expect(asBot.json.conferenceData).toBeUndefined();
    const version0 = await h.call(await h.token(), "POST", "calendars/primary/events", { body });
    expect(version0.json.conferenceData).toBeUndefined();
  });
});

describe("events.list pages and sync tokens", () => {
  async function fill(count: number): Promise<string> {
    const t = await h.token("bob@example.com");
    // Bob starts with the demo's "Quarterly review" invitation on his calendar: clear it first.
    expect((await h.call(t, "POST", "calendars/primary/clear")).status).toBe(204);
    for (let i = 0; i < count; i++) {
      const res = await h.call(t, "POST", "calendars/primary/events", { body: event(`E${i}`, 3) });
      expect(res.status).toBe(200);
    }
    return t;
  }

  it("pages 300 events as 250 + 50 by default, nextSyncToken only on the last page", async () => {
    const t = await fill(300);
    const first = await h.call(t, "GET", "calendars/primary/events");
    expect(first.json.items).toHaveLength(250);
    expect(first.json.nextSyncToken).toBeUndefined();
    const second = await h.call(
      t,
      "GET",
      `calendars/primary/events?pageToken=${encodeURIComponent(first.json.nextPageToken)}`,
    );
    expect(second.json.items).toHaveLength(50);
    expect(second.json.nextPageToken).toBeUndefined();
    expect(second.json.nextSyncToken).toEqual(expect.any(String));
    expect(
      new Set([...first.json.items, ...second.json.items].map((e: { id: string }) => e.id)).size,
    ).toBe(300);
    expect(Object.keys(first.json)).toEqual([
      "kind",
      "etag",
      "summary",
      "updated",
      "timeZone",
      "accessRole",
      "defaultReminders",
      "nextPageToken",
      "items",
    ]);
  }, 60_000);

  it("clamps maxResults to 2500 and rejects 0", async () => {
    const t = await fill(3);
    expect(
      (await h.call(t, "GET", "calendars/primary/events?maxResults=2")).json.items,
    ).toHaveLength(2);
    expect(
      (await h.call(t, "GET", "calendars/primary/events?maxResults=99999")).json.items,
    ).toHaveLength(3);
    const zero = await h.call(t, "GET", "calendars/primary/events?maxResults=0");
    expect(zero.text).toBe(
      legacyError(400, "global", "invalid", "Invalid Value", ["parameter", "maxResults"]),
    );
  });

  it("a sync returns only changes, deleted ones as cancelled, and a fresh token", async () => {
    const t = await fill(3);
    const full = await h.call(t, "GET", "calendars/primary/events");
    const [a, b] = full.json.items as { id: string }[];
    await h.call(t, "PATCH", `calendars/primary/events/${a?.id}`, { body: { summary: "changed" } });
    expect((await h.call(t, "DELETE", `calendars/primary/events/${b?.id}`)).status).toBe(204);
    const delta = await h.call(
      t,
      "GET",
      `calendars/primary/events?syncToken=${encodeURIComponent(full.json.nextSyncToken)}`,
    );
    expect(delta.status).toBe(200);
    expect(delta.json.items.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([
      [a?.id, "confirmed"],
      [b?.id, "cancelled"],
    ]);
    const quiet = await h.call(
      t,
      "GET",
      `calendars/primary/events?syncToken=${encodeURIComponent(delta.json.nextSyncToken)}`,
    );
    expect(quiet.json.items).toEqual([]);
    expect((await h.call(t, "GET", "calendars/primary/events")).json.items).toHaveLength(2);
    // The three written here (the cleared invitation is listed too, cancelled).
    expect(
      (await h.call(t, "GET", "calendars/primary/events?showDeleted=true")).json.items.filter(
        (e: { id: string }) => e.id !== "qbr00001",
      ),
    ).toHaveLength(3);
  });

  it("answers 410 fullSyncRequired once sync tokens are expired, and for another calendar's token", async () => {
    const t = await fill(1);
    const full = await h.call(t, "GET", "calendars/primary/events");
    const other = await h.call(
      await h.token("ana@example.com"),
      "GET",
      `calendars/primary/events?syncToken=${encodeURIComponent(full.json.nextSyncToken)}`,
    );
    const gone = legacyError(
      410,
      "calendar",
      "fullSyncRequired",
      "Sync token is no longer valid, a full sync is required.",
      ["parameter", "syncToken"],
    );
    expect(other.status).toBe(410);
    expect(other.text).toBe(gone);
    const control = await h.emulator.fetch(
      new Request(`${h.emulator.baseUrl}/_emulator/expire-sync-tokens`, { method: "POST" }),
    );
    expect(control.status).toBe(200);
    const res = await h.call(
      t,
      "GET",
      `calendars/primary/events?syncToken=${encodeURIComponent(full.json.nextSyncToken)}`,
    );
    expect(res.status).toBe(410);
    expect(res.text).toBe(gone);
  });

  for (const p of [
    "timeMin=2026-04-01T00:00:00Z",
    "q=x",
    "orderBy=updated",
    "updatedMin=2026-04-01T00:00:00Z",
    "iCalUID=x",
  ]) {
    it(`answers 400 for syncToken with ${p.split("=")[0]}`, async () => {
      const t = await fill(1);
      const full = await h.call(t, "GET", "calendars/primary/events");
      const res = await h.call(
        t,
        "GET",
        `calendars/primary/events?syncToken=${encodeURIComponent(full.json.nextSyncToken)}&${p}`,
      );
      expect(res.status).toBe(400);
      expect(res.text).toBe(
        legacyError(400, "global", "invalid", "Invalid Value", [
          "parameter",
          p.split("=")[0] ?? "",
        ]),
      );
    });
  }

  it("filters by time window, orders by start time, and refuses orderBy=startTime without singleEvents", async () => {
    const t = await h.token("bob@example.com");
    for (const d of [5, 3, 4])
      await h.call(t, "POST", "calendars/primary/events", { body: event(`D${d}`, d) });
    const window = await h.call(
      t,
      "GET",
      "calendars/primary/events?timeMin=2026-04-03T12:00:00%2B02:00&timeMax=2026-04-06T00:00:00Z&singleEvents=true&orderBy=startTime",
    );
    expect(window.json.items.map((e: { summary: string }) => e.summary)).toEqual(["D4", "D5"]);
    const bad = await h.call(t, "GET", "calendars/primary/events?orderBy=startTime");
    expect(bad.text).toBe(
      legacyError(
        400,
        "global",
        "badRequest",
        "The requested ordering is not available for the particular query.",
      ),
    );
    const empty = await h.call(
      t,
      "GET",
      "calendars/primary/events?timeMin=2026-04-05T00:00:00Z&timeMax=2026-04-05T00:00:00Z",
    );
    expect(empty.text).toBe(
      legacyError(400, "calendar", "timeRangeEmpty", "The specified time range is empty.", [
        "parameter",
        "timeMax",
      ]),
    );
  });
});

describe("ETags", () => {
  it("answers 304 for If-None-Match with the current ETag, 200 after a change", async () => {
    const t = await h.token();
    const created = await h.call(t, "POST", "calendars/primary/events", { body: event("E") });
    const path = `calendars/primary/events/${created.json.id}`;
    const same = await h.call(t, "GET", path, { headers: { "if-none-match": created.json.etag } });
    expect(same.status).toBe(304);
    expect(same.text).toBe("");
    await h.call(t, "PATCH", path, { body: { summary: "F" } });
    expect(
      (await h.call(t, "GET", path, { headers: { "if-none-match": created.json.etag } })).status,
    ).toBe(200);
  });

  it("answers 412 conditionNotMet for a stale If-Match on patch, update and delete", async () => {
    const t = await h.token();
    const created = await h.call(t, "POST", "calendars/primary/events", { body: event("E") });
    const path = `calendars/primary/events/${created.json.id}`;
    const patched = await h.call(t, "PATCH", path, {
      body: { summary: "F" },
      headers: { "if-match": created.json.etag },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.sequence).toBe(1);
    const precondition = legacyError(412, "global", "conditionNotMet", "Precondition Failed", [
      "header",
      "If-Match",
    ]);
    for (const [method, body] of [
      ["PATCH", { summary: "G" }],
      ["PUT", event("G")],
      ["DELETE", undefined],
    ] as const) {
      const res = await h.call(t, method, path, {
        body,
        headers: { "if-match": created.json.etag },
      });
      expect(res.status, method).toBe(412);
      expect(res.text).toBe(precondition);
    }
  });
});

describe("access roles", () => {
  it("a domain colleague sees only busy times (freeBusyReader) and cannot write", async () => {
    const ana = await h.token("ana@example.com");
    await h.call(ana, "POST", "calendars/primary/events", {
      body: event("Secret 1:1", 2, { description: "private", location: "Room 1" }),
    });
    const bob = await h.token("bob@example.com");
    const list = await h.call(bob, "GET", "calendars/ana%40example.com/events");
    expect(list.status).toBe(200);
    expect(list.json.accessRole).toBe("freeBusyReader");
    const item = list.json.items[0] as Record<string, unknown>;
    expect(Object.keys(item).sort()).toEqual([
      "end",
      "etag",
      "id",
      "kind",
      "start",
      "status",
      "updated",
    ]);
    const write = await h.call(bob, "POST", "calendars/ana%40example.com/events", {
      body: event("x"),
    });
    expect(write.status).toBe(403);
    expect(write.text).toBe(
      legacyError(
        403,
        "calendar",
        "requiredAccessLevel",
        "You need to have writer access to this calendar.",
      ),
    );
  });

  it("the service account without a subject gets 404 for a user's calendar it has no ACL on", async () => {
    const res = await h.call(await h.token(null), "GET", "calendars/ana%40example.com/events");
    expect(res.status).toBe(404);
    expect(res.text).toBe(legacyError(404, "global", "notFound", "Not Found"));
  });

  it("an ACL rule gives reader, then writer; ACL changes need owner", async () => {
    const ana = await h.token("ana@example.com");
    const bob = await h.token("bob@example.com");
    const rule = await h.call(ana, "POST", "calendars/primary/acl", {
      body: { role: "reader", scope: { type: "user", value: "bob@example.com" } },
    });
    expect(rule.json).toMatchObject({
      kind: "calendar#aclRule",
      id: "user:bob@example.com",
      role: "reader",
      scope: { type: "user", value: "bob@example.com" },
    });
    expect((await h.call(bob, "GET", "calendars/ana%40example.com/events")).json.accessRole).toBe(
      "reader",
    );
    expect(
      (await h.call(bob, "POST", "calendars/ana%40example.com/events", { body: event("x") }))
        .status,
    ).toBe(403);
    const acl = await h.call(bob, "GET", "calendars/ana%40example.com/acl");
    expect(acl.text).toBe(
      legacyError(
        403,
        "calendar",
        "requiredAccessLevel",
        "You need to have owner access to this calendar.",
      ),
    );
    await h.call(ana, "PATCH", "calendars/primary/acl/user%3Abob%40example.com", {
      body: { role: "writer" },
    });
    expect(
      (await h.call(bob, "POST", "calendars/ana%40example.com/events", { body: event("x") }))
        .status,
    ).toBe(200);
    const listed = await h.call(bob, "GET", "users/me/calendarList/ana%40example.com");
    expect(listed.json).toMatchObject({ id: "ana@example.com", accessRole: "writer" });
  });

  it("a readonly scope can list but not insert (403 insufficientPermissions naming the method)", async () => {
    const t = await h.token("info@example.com", [CALENDAR_READONLY]);
    expect((await h.call(t, "GET", "calendars/primary/events")).status).toBe(200);
    const res = await h.call(t, "POST", "calendars/primary/events", { body: event("x") });
    expect(res.status).toBe(403);
    expect(res.json.error.details[0].metadata.method).toBe("calendar.v3.Events.Insert");
    expect(res.headers.get("www-authenticate")).toBe(
      `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${["calendar", "calendar.app.created", "calendar.events", "calendar.events.owned"].map(scope).join(" ")}"`,
    );
  });
});

describe("recurring events", () => {
  it("expands a weekly 10:00 Europe/Berlin meeting across the DST change", async () => {
    const t = await h.token();
    const created = await h.call(t, "POST", "calendars/primary/events", {
      body: {
        summary: "Weekly",
        start: { dateTime: "2026-03-16T10:00:00", timeZone: "Europe/Berlin" },
        end: { dateTime: "2026-03-16T10:30:00", timeZone: "Europe/Berlin" },
        recurrence: ["RRULE:FREQ=WEEKLY;COUNT=4"],
      },
    });
    expect(created.status).toBe(200);
    const inst = await h.call(t, "GET", `calendars/primary/events/${created.json.id}/instances`);
    expect(inst.json.items.map((e: { start: { dateTime: string } }) => e.start.dateTime)).toEqual([
      "2026-03-16T10:00:00+01:00",
      "2026-03-23T10:00:00+01:00",
      "2026-03-30T10:00:00+02:00",
      "2026-04-06T10:00:00+02:00",
    ]);
    const third = inst.json.items[2];
    expect(third.id).toBe(`${created.json.id}_20260330T080000Z`);
    expect(third.recurringEventId).toBe(created.json.id);
    expect(third.originalStartTime).toEqual({
      dateTime: "2026-03-30T10:00:00+02:00",
      timeZone: "Europe/Berlin",
    });
  });

  it("a cancelled instance leaves the expansion; a patched one replaces it", async () => {
    const t = await h.token();
    const created = await h.call(t, "POST", "calendars/primary/events", {
      body: {
        summary: "Daily",
        start: { date: "2026-04-06" },
        end: { date: "2026-04-07" },
        recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
      },
    });
    const id = created.json.id as string;
    expect((await h.call(t, "DELETE", `calendars/primary/events/${id}_20260407`)).status).toBe(204);
    const moved = await h.call(t, "PATCH", `calendars/primary/events/${id}_20260408`, {
      body: { summary: "Moved" },
    });
    expect(moved.json).toMatchObject({
      id: `${id}_20260408`,
      recurringEventId: id,
      summary: "Moved",
      originalStartTime: { date: "2026-04-08" },
    });
    const list = await h.call(
      t,
      "GET",
      "calendars/primary/events?singleEvents=true&timeMin=2026-04-01T00:00:00Z&timeMax=2026-04-30T00:00:00Z",
    );
    const ours = (list.json.items as { id: string; summary: string }[]).filter((e) =>
      e.id.startsWith(id),
    );
    expect(ours.map((e) => [e.id, e.summary])).toEqual([
      [`${id}_20260406`, "Daily"],
      [`${id}_20260408`, "Moved"],
    ]);
  });
});

describe("move, import and quickAdd", () => {
  it("moves an event to a calendar the principal can write; the source keeps a tombstone", async () => {
    const t = await h.token("info@example.com");
    const list = await h.call(t, "GET", "users/me/calendarList");
    const rota =
      (list.json.items as { id: string; summary: string }[]).find(
        (c) => c.summary === "Support rota",
      )?.id ?? "";
    const created = await h.call(t, "POST", "calendars/primary/events", { body: event("Move me") });
    const moved = await h.call(
      t,
      "POST",
      `calendars/primary/events/${created.json.id}/move?destination=${encodeURIComponent(rota)}`,
    );
    expect(moved.status).toBe(200);
    expect(moved.json.organizer.email).toBe(rota);
    expect(
      (await h.call(t, "GET", `calendars/primary/events/${created.json.id}`)).json.status,
    ).toBe("cancelled");
    expect(
      (await h.call(t, "GET", `calendars/${encodeURIComponent(rota)}/events/${created.json.id}`))
        .json.summary,
    ).toBe("Move me");
  });

  it("imports by iCalUID (again: updated in place) and 400 without one", async () => {
    const t = await h.token();
    const body = event("Imported", 2, { iCalUID: "abc@external.example" });
    const first = await h.call(t, "POST", "calendars/primary/events/import", { body });
    const second = await h.call(t, "POST", "calendars/primary/events/import", {
      body: { ...body, summary: "Re-imported" },
    });
    expect(second.json.id).toBe(first.json.id);
    expect(second.json.iCalUID).toBe("abc@external.example");
    expect(second.json.summary).toBe("Re-imported");
    const missing = await h.call(t, "POST", "calendars/primary/events/import", {
      body: event("x"),
    });
    expect(missing.text).toBe(legacyError(400, "global", "required", "Missing iCalUID."));
  });

  const quick = [
    {
      text: "Lunch with Ana tomorrow at 12:30",
      summary: "Lunch with Ana",
      start: "2026-04-02T12:30:00+02:00",
      end: "2026-04-02T13:30:00+02:00",
    },
    {
      text: "Dentist 2026-04-10 at 3pm for 30 minutes",
      summary: "Dentist",
      start: "2026-04-10T15:00:00+02:00",
      end: "2026-04-10T15:30:00+02:00",
    },
    {
      text: "Review on friday at noon",
      summary: "Review",
      start: "2026-04-03T12:00:00+02:00",
      end: "2026-04-03T13:00:00+02:00",
    },
  ];
  for (const q of quick) {
    it(`quickAdd "${q.text}" in the calendar's zone (Europe/Berlin)`, async () => {
      const res = await h.call(
        await h.token(),
        "POST",
        `calendars/primary/events/quickAdd?text=${encodeURIComponent(q.text)}`,
      );
      expect(res.json.summary).toBe(q.summary);
      expect(res.json.start).toEqual({ dateTime: q.start, timeZone: "Europe/Berlin" });
      expect(res.json.end.dateTime).toBe(q.end);
    });
  }

  it("quickAdd without a time makes an all-day event today", async () => {
    const res = await h.call(
      await h.token(),
      "POST",
      `calendars/primary/events/quickAdd?text=${encodeURIComponent("Offsite")}`,
    );
    expect(res.json.start).toEqual({ date: "2026-04-01" });
    expect(res.json.end).toEqual({ date: "2026-04-02" });
  });
});

describe("freebusy.query", () => {
  it("shows merged busy times of domain users and notFound for what the principal cannot see", async () => {
    const ana = await h.token("ana@example.com");
    await h.call(ana, "POST", "calendars/primary/events", { body: event("a", 2) });
    await h.call(ana, "POST", "calendars/primary/events", {
      body: {
        summary: "b",
        start: { dateTime: "2026-04-02T10:30:00+02:00" },
        end: { dateTime: "2026-04-02T12:00:00+02:00" },
      },
    });
    await h.call(ana, "POST", "calendars/primary/events", {
      body: event("free", 2, {
        transparency: "transparent",
        start: { dateTime: "2026-04-02T14:00:00+02:00" },
        end: { dateTime: "2026-04-02T15:00:00+02:00" },
      }),
    });
    const body = {
      timeMin: "2026-04-02T00:00:00Z",
      timeMax: "2026-04-03T00:00:00Z",
      items: [{ id: "ana@example.com" }, { id: "nobody@example.com" }],
    };
    const res = await h.call(await h.token("bob@example.com"), "POST", "freeBusy", { body });
    expect(res.json).toEqual({
      kind: "calendar#freeBusy",
      timeMin: "2026-04-02T00:00:00.000Z",
      timeMax: "2026-04-03T00:00:00.000Z",
      calendars: {
        "ana@example.com": {
          busy: [{ start: "2026-04-02T08:00:00Z", end: "2026-04-02T10:00:00Z" }],
        },
        "nobody@example.com": { errors: [{ domain: "global", reason: "notFound" }], busy: [] },
      },
    });
    const asBot = await h.call(await h.token(null), "POST", "freeBusy", { body });
    expect(asBot.json.calendars["ana@example.com"]).toEqual({
      errors: [{ domain: "global", reason: "notFound" }],
      busy: [],
    });
  });
});

describe("the demo scenario's events", () => {
  it("info@example.com has a recurring stand-up and a review with attendees", async () => {
    const res = await h.call(await h.token(), "GET", "calendars/primary/events");
    const summaries = (res.json.items as { summary: string }[]).map((e) => e.summary);
    expect(summaries).toEqual(
      expect.arrayContaining(["Team stand-up", "Quarterly review", "Office closed"]),
    );
  });
});

describe("events.list pages kept between writes", () => {
  it("a page answered before is answered anew after every kind of write it depends on", async () => {
    const ana = await h.token("ana@example.com");
    const bob = await h.token("bob@example.com");
    const first = await h.call(ana, "POST", "calendars/primary/events", { body: event("One", 2) });
    const own = "calendars/primary/events?maxResults=50";
    const other = "calendars/ana%40example.com/events";
    const list = async (t: string, path: string): Promise<Record<string, unknown>> =>
      (await h.call(t, "GET", path)).json as Record<string, unknown>;
    const summaries = async () =>
      ((await list(ana, own)).items as { summary?: string }[]).map((e) => e.summary).sort();

    expect(await summaries()).toContain("One");
    expect(await list(ana, own)).toEqual(await list(ana, own)); // the kept page, identical

    // An event written: inserted, patched, deleted.
    await h.call(ana, "POST", "calendars/primary/events", { body: event("Two", 3) });
    expect(await summaries()).toContain("Two");
    await h.call(ana, "PATCH", `calendars/primary/events/${first.json.id}`, {
      body: { summary: "One, moved" },
    });
    expect(await summaries()).toContain("One, moved");
    await h.call(ana, "DELETE", `calendars/primary/events/${first.json.id}`);
    expect(await summaries()).not.toContain("One, moved");

    // The calendar's metadata and the asker's list entry.
    await h.call(ana, "PATCH", "calendars/primary", { body: { description: "Team calendar" } });
    expect((await list(ana, own)).description).toBe("Team calendar");
    await h.call(ana, "PATCH", "users/me/calendarList/primary", {
      body: { defaultReminders: [{ method: "popup", minutes: 7 }] },
    });
    expect((await list(ana, own)).defaultReminders).toEqual([{ method: "popup", minutes: 7 }]);

    // Another asker's role: busy times only, then reader (full events) after an ACL rule.
    expect((await list(bob, other)).accessRole).toBe("freeBusyReader");
    await h.call(ana, "POST", "calendars/primary/acl", {
      body: { role: "reader", scope: { type: "user", value: "bob@example.com" } },
    });
    const asReader = await list(bob, other);
    expect(asReader.accessRole).toBe("reader");
    expect((asReader.items as { summary?: string }[]).some((e) => e.summary === "Two")).toBe(true);

    // Sync tokens expired: the kept page's nextSyncToken is not handed out again.
    const before = (await list(ana, own)).nextSyncToken as string;
    await h.emulator.fetch(
      new Request(`${h.emulator.baseUrl}/_emulator/expire-sync-tokens`, { method: "POST" }),
    );
    const after = (await list(ana, own)).nextSyncToken as string;
    expect(after).not.toBe(before);
    expect((await h.call(ana, "GET", `${own}&syncToken=${after}`)).status).toBe(200);
  });
});
