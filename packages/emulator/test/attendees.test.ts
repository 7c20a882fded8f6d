/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- JSON bodies are read as any */
import { beforeEach, describe, expect, it } from "vitest";
import type { ApiResponse, Harness } from "./calendar-helpers.ts";
import { harness, legacyError } from "./calendar-helpers.ts";

let h: Harness;
let info: string;
let ana: string;
beforeEach(async () => {
  h = await harness();
  info = await h.token("info@example.com");
  ana = await h.token("ana@example.com");
});

const meeting = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  summary: "Design review",
  start: { dateTime: "2026-04-09T10:00:00+02:00" },
  end: { dateTime: "2026-04-09T11:00:00+02:00" },
  attendees: [{ email: "ana@example.com" }, { email: "guest@gmail.com" }],
  ...extra,
});

function busyOf(res: ApiResponse, id: string): { start: string; end: string }[] {
  return res.json.calendars[id].busy as { start: string; end: string }[];
}

function freebusy(token: string, who: string): Promise<ApiResponse> {
  return h.call(token, "POST", "freeBusy", {
    body: {
      timeMin: "2026-04-09T00:00:00Z",
      timeMax: "2026-04-10T00:00:00Z",
      items: [{ id: who }],
    },
  });
}

describe("attendees in the domain get the event on their own calendars", () => {
  it("an insert with a guest of the domain puts it on the guest's primary: same id and iCalUID, needsAction, self", async () => {
    const sent = await h.call(info, "POST", "calendars/primary/events?sendUpdates=none", {
      body: meeting(),
    });
    expect(sent.status).toBe(200);
    const copy = await h.call(ana, "GET", `calendars/primary/events/${sent.json.id}`);
    expect(copy.status).toBe(200);
    expect(copy.json).toMatchObject({
      id: sent.json.id,
      iCalUID: sent.json.iCalUID,
      summary: "Design review",
      organizer: { email: "info@example.com" },
      creator: { email: "info@example.com" },
      status: "confirmed",
    });
    expect(copy.json.organizer.self).toBeUndefined();
    expect(copy.json.attendees).toEqual([
      { email: "ana@example.com", responseStatus: "needsAction", self: true },
      { email: "guest@gmail.com", responseStatus: "needsAction" },
    ]);
    expect(copy.json.htmlLink).not.toBe(sent.json.htmlLink);
    // A guest outside the domain gets nothing: there is no calendar of theirs here.
    const outside = await h.call(info, "GET", "calendars/guest%40gmail.com/events");
    expect(outside.status).toBe(404);
  });

  it("the guest's incremental sync sees the copy arrive, change with the organizer's update, and go when cancelled", async () => {
    const start = await h.call(ana, "GET", "calendars/primary/events");
    let token = start.json.nextSyncToken as string;
    const delta = async (): Promise<
      { id: string; status: string; summary?: string; etag: string }[]
    > => {
      const res = await h.call(
        ana,
        "GET",
        `calendars/primary/events?syncToken=${encodeURIComponent(token)}`,
      );
      expect(res.status).toBe(200);
      token = res.json.nextSyncToken as string;
      return res.json.items;
    };
    const sent = await h.call(info, "POST", "calendars/primary/events", { body: meeting() });
    const arrived = await delta();
    expect(arrived.map((e) => [e.id, e.status, e.summary])).toEqual([
      [sent.json.id, "confirmed", "Design review"],
    ]);
    const patched = await h.call(info, "PATCH", `calendars/primary/events/${sent.json.id}`, {
      body: { summary: "Design review (moved)" },
    });
    expect(patched.status).toBe(200);
    const changedItems = await delta();
    expect(changedItems.map((e) => [e.id, e.summary])).toEqual([
      [sent.json.id, "Design review (moved)"],
    ]);
    expect(changedItems[0]?.etag).not.toBe(arrived[0]?.etag);
    expect((await h.call(info, "DELETE", `calendars/primary/events/${sent.json.id}`)).status).toBe(
      204,
    );
    expect((await delta()).map((e) => [e.id, e.status])).toEqual([[sent.json.id, "cancelled"]]);
    expect((await delta()).length).toBe(0);
  });

  it("free/busy shows the guest busy; not once the guest declined; never for a transparent event", async () => {
    const sent = await h.call(info, "POST", "calendars/primary/events", { body: meeting() });
    const busy = [{ start: "2026-04-09T08:00:00Z", end: "2026-04-09T09:00:00Z" }];
    expect(busyOf(await freebusy(info, "ana@example.com"), "ana@example.com")).toEqual(busy);
    const declined = await h.call(ana, "PATCH", `calendars/primary/events/${sent.json.id}`, {
      body: {
        attendees: [
          { email: "ana@example.com", responseStatus: "declined" },
          { email: "guest@gmail.com" },
        ],
      },
    });
    expect(declined.status).toBe(200);
    expect(declined.json.attendees[0]).toEqual({
      email: "ana@example.com",
      responseStatus: "declined",
      self: true,
    });
    // The answer reached the organizer's event, and free/busy now leaves Ana free.
    const organizer = await h.call(info, "GET", `calendars/primary/events/${sent.json.id}`);
    expect(organizer.json.attendees[0]).toEqual({
      email: "ana@example.com",
      responseStatus: "declined",
    });
    expect(organizer.json.sequence).toBe(sent.json.sequence);
    expect(busyOf(await freebusy(info, "ana@example.com"), "ana@example.com")).toEqual([]);
    // Info's own calendar is still busy: the organizer did not decline.
    expect(busyOf(await freebusy(info, "info@example.com"), "info@example.com")).toContainEqual(
      busy[0],
    );

    const free = await h.call(info, "POST", "calendars/primary/events", {
      body: meeting({
        summary: "FYI",
        transparency: "transparent",
        attendees: [{ email: "bob@example.com" }],
      }),
    });
    expect(free.status).toBe(200);
    const bob = await h.token("bob@example.com");
    expect(
      (await h.call(bob, "GET", `calendars/primary/events/${free.json.id}`)).json.transparency,
    ).toBe("transparent");
    expect(busyOf(await freebusy(info, "bob@example.com"), "bob@example.com")).toEqual([]);
  });

  it("a guest removed from the list loses the copy; a guest who deletes the copy declines and keeps it gone", async () => {
    const sent = await h.call(info, "POST", "calendars/primary/events", {
      body: meeting({ attendees: [{ email: "ana@example.com" }, { email: "bob@example.com" }] }),
    });
    const bob = await h.token("bob@example.com");
    expect((await h.call(ana, "DELETE", `calendars/primary/events/${sent.json.id}`)).status).toBe(
      204,
    );
    const organizer = await h.call(info, "GET", `calendars/primary/events/${sent.json.id}`);
    expect(organizer.json.attendees).toEqual([
      { email: "ana@example.com", responseStatus: "declined" },
      { email: "bob@example.com", responseStatus: "needsAction" },
    ]);
    // Bob's copy shows Ana's answer too.
    const bobs = await h.call(bob, "GET", `calendars/primary/events/${sent.json.id}`);
    expect(bobs.json.attendees[0].responseStatus).toBe("declined");
    await h.call(info, "PATCH", `calendars/primary/events/${sent.json.id}`, {
      body: { summary: "Design review v2", attendees: [{ email: "ana@example.com" }] },
    });
    const anas = await h.call(ana, "GET", `calendars/primary/events/${sent.json.id}`);
    expect(anas.json.status).toBe("cancelled");
    const bobGone = await h.call(bob, "GET", `calendars/primary/events/${sent.json.id}`);
    expect(bobGone.json.status).toBe("cancelled");
    expect(
      (await h.call(bob, "GET", "calendars/primary/events")).json.items.map(
        (e: { id: string }) => e.id,
      ),
    ).not.toContain(sent.json.id);
  });

  it("a guest may keep its own reminders but not move the event or change who may modify it (403 forbiddenForNonOrganizer)", async () => {
    const sent = await h.call(info, "POST", "calendars/primary/events", { body: meeting() });
    const reminders = { useDefault: false, overrides: [{ method: "popup", minutes: 5 }] };
    const mine = await h.call(ana, "PATCH", `calendars/primary/events/${sent.json.id}`, {
      body: { reminders, summary: "Ana's title" },
    });
    expect(mine.status).toBe(200);
    expect(mine.json.reminders).toEqual(reminders);
    expect(mine.json.summary).toBe("Design review");
    await h.call(info, "PATCH", `calendars/primary/events/${sent.json.id}`, {
      body: { location: "Room 3" },
    });
    const after = await h.call(ana, "GET", `calendars/primary/events/${sent.json.id}`);
    expect(after.json).toMatchObject({ location: "Room 3", reminders });
    const own = await h.call(ana, "POST", "calendars", { body: { summary: "Ana's own" } });
    const moved = await h.call(
      ana,
      "POST",
      `calendars/primary/events/${sent.json.id}/move?destination=${encodeURIComponent(own.json.id as string)}`,
    );
    expect(moved.status).toBe(403);
    expect(moved.json.error.errors[0].reason).toBe("forbiddenForNonOrganizer");
    const refused = await h.call(ana, "PATCH", `calendars/primary/events/${sent.json.id}`, {
      body: { guestsCanModify: true },
    });
    expect(refused.status).toBe(403);
    expect(refused.text).toBe(
      legacyError(
        403,
        "calendar",
        "forbiddenForNonOrganizer",
        "Shared properties can only be changed by the organizer of the event.",
      ),
    );
  });

  it("a recurring invitation: the guest's instances follow the organizer's changed and cancelled occurrences", async () => {
    const sent = await h.call(info, "POST", "calendars/primary/events", {
      body: meeting({
        recurrence: ["RRULE:FREQ=WEEKLY;COUNT=3"],
        attendees: [{ email: "ana@example.com" }],
      }),
    });
    expect(sent.status).toBe(200);
    const instances = async (): Promise<[string, string][]> =>
      (
        (await h.call(ana, "GET", `calendars/primary/events/${sent.json.id}/instances`)).json
          .items as { start: { dateTime: string }; summary: string }[]
      ).map((e) => [e.start.dateTime, e.summary]);
    // Ana's calendar is in UTC: her copy's times are written in her zone.
    expect(await instances()).toEqual([
      ["2026-04-09T08:00:00Z", "Design review"],
      ["2026-04-16T08:00:00Z", "Design review"],
      ["2026-04-23T08:00:00Z", "Design review"],
    ]);
    const second = `${sent.json.id}_20260416T080000Z`;
    const third = `${sent.json.id}_20260423T080000Z`;
    expect(
      (
        await h.call(info, "PATCH", `calendars/primary/events/${second}`, {
          body: { summary: "Moved" },
        })
      ).status,
    ).toBe(200);
    expect((await h.call(info, "DELETE", `calendars/primary/events/${third}`)).status).toBe(204);
    expect(await instances()).toEqual([
      ["2026-04-09T08:00:00Z", "Design review"],
      ["2026-04-16T08:00:00Z", "Moved"],
    ]);
  });

  it("the demo's seeded Quarterly review is on Ana's and Bob's calendars, organized by info@", async () => {
    for (const who of ["ana@example.com", "bob@example.com"]) {
      const t = await h.token(who);
      const copy = await h.call(t, "GET", "calendars/primary/events/qbr00001");
      expect(copy.status).toBe(200);
      expect(copy.json).toMatchObject({
        summary: "Quarterly review",
        organizer: { email: "info@example.com" },
        iCalUID: "qbr00001@google.com",
      });
    }
  });
});
