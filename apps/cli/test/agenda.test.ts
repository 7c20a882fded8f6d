// dwd agenda: the layout (unit) and the bundled dwd against the emulator on a real port (end to end).
import type { Event } from "@dwd/calendar";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agendaLines, dayHeading, place } from "../src/commands/agenda.ts";
import { dwd, startTestEmulator } from "./helpers.ts";
import type { TestEmulator } from "./helpers.ts";

describe("agenda layout", () => {
  it("places timed events on their day in the zone, all-day ones on their date", () => {
    const timed: Event = {
      start: { dateTime: "2026-12-07T23:30:00Z" },
      end: { dateTime: "2026-12-08T00:30:00Z" },
    };
    expect(place(timed, "UTC", "2026-12-01")).toMatchObject({
      day: "2026-12-07",
      time: "23:30–2026-12-08 00:30",
    });
    expect(place(timed, "Europe/Berlin", "2026-12-01")).toMatchObject({
      day: "2026-12-08",
      time: "00:30–01:30",
    });
    expect(
      place(
        { start: { date: "2026-12-07" }, end: { date: "2026-12-10" } },
        "Asia/Tokyo",
        "2026-12-01",
      ),
    ).toMatchObject({ day: "2026-12-07", time: "all day, 3 days" });
    // Begun before the window: shown on its first day.
    expect(
      place({ start: { date: "2026-11-30" }, end: { date: "2026-12-02" } }, "UTC", "2026-12-01"),
    ).toMatchObject({ day: "2026-12-01" });
    expect(dayHeading("2026-12-07")).toBe("Mon 2026-12-07");
  });

  it("names four attendees, marks the user's own answer, and --details names all with their answers", () => {
    const e: Event = {
      summary: "Review",
      start: { dateTime: "2026-12-07T09:00:00Z" },
      end: { dateTime: "2026-12-07T10:00:00Z" },
      location: "Room 1",
      hangoutLink: "https://meet.google.com/abc-defg-hij",
      attendees: [
        { email: "me@example.com", self: true, responseStatus: "declined" },
        ...["a", "b", "c", "d", "e"].map((n) => ({
          email: `${n}@example.com`,
          responseStatus: "accepted",
        })),
        { email: "room@resource.calendar.google.com", resource: true },
      ],
    };
    const options = { timeZone: "UTC", firstDay: "2026-12-01", details: false };
    expect(agendaLines([e], "me@example.com", options)).toEqual([
      "Mon 2026-12-07",
      "  09:00–10:00   Review (declined)",
      "                Room 1",
      "                Meet: https://meet.google.com/abc-defg-hij",
      "                With a@example.com, b@example.com, c@example.com, d@example.com and 1 more",
    ]);
    expect(agendaLines([e], "me@example.com", { ...options, details: true }).at(-1)).toBe(
      "                With a@example.com (accepted), b@example.com (accepted), c@example.com (accepted), d@example.com (accepted), e@example.com (accepted)",
    );
    expect(agendaLines([], "me@example.com", options)).toEqual(["No events"]);
  });
});

let t: TestEmulator;
let dir: string;
let env: Record<string, string>;
let bot: string;

beforeAll(async () => {
  t = await startTestEmulator("agenda");
  ({ dir, bot, env } = t);
  const file = join(dir, "ana.ndjson");
  await writeFile(
    file,
    [
      {
        summary: "Planning",
        start: { dateTime: "2026-12-07T09:00:00Z" },
        end: { dateTime: "2026-12-07T10:00:00Z" },
        attendees: [{ email: "ana@example.com" }, { email: "carla@partner.example" }],
      },
      { summary: "Offsite", start: { date: "2026-12-08" }, end: { date: "2026-12-09" } },
      {
        summary: "Later",
        start: { dateTime: "2026-12-20T09:00:00Z" },
        end: { dateTime: "2026-12-20T10:00:00Z" },
      },
    ]
      .map((e) => JSON.stringify(e))
      .join("\n"),
  );
  const created = await dwd(
    [
      "events",
      "create",
      "primary",
      "--key",
      bot,
      "--subject",
      "ana@example.com",
      "--file",
      file,
      "--conference",
    ],
    env,
  );
  expect(created.code).toBe(0);
});

afterAll(async () => {
  await t.close();
});

describe("dwd agenda", () => {
  it("prints the window's events by day in --tz, with the Meet link and the other attendees", async () => {
    const r = await dwd(
      [
        "agenda",
        "--key",
        bot,
        "--subject",
        "ana@example.com",
        "--from",
        "2026-12-07",
        "--to",
        "+7d",
        "--tz",
        "Europe/Berlin",
      ],
      env,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Mon 2026-12-07");
    expect(lines[1]).toBe("  10:00–11:00   Planning");
    expect(lines[2]).toMatch(/^ {16}Meet: https:\/\/meet\.google\.com\/\S+$/);
    expect(lines.slice(3, 6)).toEqual([
      "                With carla@partner.example",
      "Tue 2026-12-08",
      "  all day       Offsite",
    ]);
    // --conference gave every created event a Meet link; "Later" lies past the window.
    expect(lines.slice(6)).toEqual([
      expect.stringMatching(/^ {16}Meet: https:\/\/meet\./) as string,
    ]);
    const json = await dwd(
      [
        "agenda",
        "--key",
        bot,
        "--subject",
        "ana@example.com",
        "--from",
        "2026-12-07",
        "--to",
        "2026-12-31",
        "--tz",
        "UTC",
        "--json",
      ],
      env,
    );
    expect((JSON.parse(json.stdout) as Event[]).map((e) => e.summary)).toEqual([
      "Planning",
      "Offsite",
      "Later",
    ]);
    const many = await dwd(
      [
        "agenda",
        "--key",
        bot,
        "--subjects",
        "ana@example.com,bob@example.com",
        "--from",
        "2026-12-20",
        "--to",
        "+1d",
        "--tz",
        "UTC",
      ],
      env,
    );
    expect(many.stderr).toMatch(/^summary: 2 users: 2 ok, 0 failed; /);
    expect(many.code).toBe(0);
    expect(many.stdout).toMatch(
      /^ana@example\.com\nSun 2026-12-20\n {2}09:00–10:00 {3}Later\n {16}Meet: \S+\nbob@example\.com\nNo events\n$/,
    );
  });
});
