/* eslint-disable @typescript-eslint/no-unsafe-member-access -- JSON bodies are read as any */
import { beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "./calendar-helpers.ts";
import { harness, legacyError } from "./calendar-helpers.ts";

const event = {
  summary: "Standup",
  start: { dateTime: "2026-04-02T10:00:00Z" },
  end: { dateTime: "2026-04-02T10:15:00Z" },
};

describe("calendars.clear", () => {
  let h: Harness;
  let t: string;
  beforeEach(async () => {
    h = await harness();
    t = await h.token();
  });

  it("clears a primary calendar: every event cancelled, reported by incremental sync", async () => {
    const first = await h.call(t, "GET", "calendars/primary/events");
    const inserted = await h.call(t, "POST", "calendars/primary/events", { body: event });
    expect(inserted.status).toBe(200);
    const res = await h.call(t, "POST", "calendars/primary/clear");
    expect(res.status).toBe(204);
    const after = await h.call(t, "GET", "calendars/primary/events");
    expect(after.json.items).toEqual([]);
    const sync = await h.call(
      t,
      "GET",
      `calendars/primary/events?syncToken=${encodeURIComponent(first.json.nextSyncToken as string)}`,
    );
    const changed = (sync.json.items as { id: string; status: string }[]).find(
      (e) => e.id === inserted.json.id,
    );
    expect(changed?.status).toBe("cancelled");
  });

  it('answers a secondary calendar as Google does: 400 "Cannot clear primary calendar.", events kept', async () => {
    const created = await h.call(t, "POST", "calendars", { body: { summary: "Team" } });
    const id = encodeURIComponent(created.json.id as string);
    const inserted = await h.call(t, "POST", `calendars/${id}/events`, { body: event });
    expect(inserted.status).toBe(200);
    const res = await h.call(t, "POST", `calendars/${id}/clear`);
    expect(res.status).toBe(400);
    expect(res.text).toBe(legacyError(400, "global", "invalid", "Cannot clear primary calendar."));
    const still = await h.call(t, "GET", `calendars/${id}/events`);
    expect((still.json.items as { id: string }[]).map((e) => e.id)).toEqual([inserted.json.id]);
  });

  it("needs owner access before anything else: a reader of another user's primary gets 403 requiredAccessLevel", async () => {
    const ana = await h.token("ana@example.com");
    const res = await h.call(ana, "POST", "calendars/info%40example.com/clear");
    expect(res.status).toBe(403);
    expect(res.text).toBe(
      legacyError(
        403,
        "calendar",
        "requiredAccessLevel",
        "You need to have owner access to this calendar.",
      ),
    );
  });
});
