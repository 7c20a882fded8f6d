/* eslint-disable @typescript-eslint/no-unsafe-member-access -- JSON bodies are read as any */
import { describe, expect, it } from "vitest";
import { EmulatorError, loadScenario } from "../src/index.ts";
import { harness } from "./calendar-helpers.ts";

const base = (extra: Record<string, unknown>) => ({
  domain: "example.com",
  users: [{ email: "info@example.com" }],
  serviceAccounts: [{ name: "calendar-bot" }],
  grants: [
    { serviceAccount: "calendar-bot", scopes: ["https://www.googleapis.com/auth/calendar"] },
  ],
  ...extra,
});

function thrown(fn: () => unknown): EmulatorError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EmulatorError) return err;
    throw err;
  }
  throw new Error("did not throw");
}

describe("scenario events", () => {
  const bad = [
    {
      name: "an unknown calendar",
      events: [
        { calendar: "nobody@example.com", summary: "x", start: "2026-04-01", end: "2026-04-02" },
      ],
      path: "events[0].calendar",
      message: 'no calendar "nobody@example.com" in the scenario',
    },
    {
      name: "a bad start",
      events: [
        { calendar: "info@example.com", summary: "x", start: "tomorrow", end: "2026-04-02" },
      ],
      path: "events[0].start",
      message:
        '"tomorrow" is neither a date (2026-04-01) nor an RFC 3339 date-time (2026-04-01T10:00:00+02:00)',
    },
    {
      name: "a non-base32hex id",
      events: [
        {
          calendar: "info@example.com",
          summary: "x",
          start: "2026-04-01",
          end: "2026-04-02",
          id: "xyz00000",
        },
      ],
      path: "events[0].id",
      message: '"xyz00000" is not a base32hex event ID',
    },
    {
      name: "a bad recurrence line",
      events: [
        {
          calendar: "info@example.com",
          summary: "x",
          start: "2026-04-01",
          end: "2026-04-02",
          recurrence: ["FREQ=DAILY"],
        },
      ],
      path: "events[0].recurrence[0]",
      message: '"FREQ=DAILY" is not an RRULE, EXRULE, RDATE or EXDATE line',
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name} with invalid_scenario at ${c.path}`, () => {
      const err = thrown(() => loadScenario(base({ events: c.events })));
      expect(err.code).toBe("invalid_scenario");
      expect(err.path).toBe(c.path);
      expect(err.message).toBe(`Invalid scenario at "${c.path}": ${c.message}`);
    });
  }

  it("generates users and events from users: { count, eventsEach }", () => {
    const s = loadScenario(base({ users: { count: 200, eventsEach: 20 } }));
    expect(s.users).toHaveLength(200);
    expect(s.users[0]).toEqual({ email: "user0001@example.com", name: "User 1" });
    expect(s.events).toHaveLength(4000);
    expect(loadScenario(s)).toEqual(s);
  });

  it("seeds the events into the calendars as their owners", async () => {
    const h = await harness({
      scenario: loadScenario(base({ users: { count: 3, eventsEach: 5 } })),
    });
    const t = await h.token("user0002@example.com");
    const res = await h.call(t, "GET", "calendars/primary/events");
    expect(res.json.items).toHaveLength(5);
    expect(res.json.items[0].organizer).toMatchObject({
      email: "user0002@example.com",
      self: true,
    });
  });
});
