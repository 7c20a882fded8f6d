import { describe, expect, it } from "vitest";
import { aclScope } from "../src/commands/acl.ts";
import { colorRows } from "../src/commands/colors.ts";
import { parseEventLines } from "../src/commands/events.ts";
import { commonFree, userFreeBusy } from "../src/commands/freebusy.ts";
import { timeArg, timeRange } from "../src/_internal/time-args.ts";
import { UsageError } from "../src/_internal/usage-error.ts";

describe("parseEventLines()", () => {
  it("reads one event per non-blank line, with its line number", () => {
    expect(
      parseEventLines('{"summary":"a"}\n\n{"summary":"b","id":"abcde0"}\r\n', "e.ndjson"),
    ).toEqual([
      { line: 1, event: { summary: "a" } },
      { line: 3, event: { summary: "b", id: "abcde0" } },
    ]);
  });
  const bad = [
    {
      text: '{"summary":"a"}\n[1,2]\n',
      message: 'Invalid event in "e.ndjson" line 2: not a JSON object',
    },
    {
      text: '{"id":"UPPER-case"}\n',
      message: 'Invalid event in "e.ndjson" line 1: id "UPPER-case" is not base32hex',
    },
    { text: "\n\n", message: 'No events in "e.ndjson"' },
  ];
  for (const c of bad) {
    it(`refuses: ${c.message}`, () => {
      expect(() => parseEventLines(c.text, "e.ndjson")).toThrow(UsageError);
      expect(() => parseEventLines(c.text, "e.ndjson")).toThrow(c.message);
    });
  }
});

describe("freebusy answers", () => {
  const from = Date.parse("2026-12-01T09:00:00Z");
  const to = Date.parse("2026-12-01T12:00:00Z");
  it("reads the busy list of the calendar asked about, and Google's per-calendar errors", () => {
    const response = {
      calendars: {
        "ana@example.com": {
          busy: [{ start: "2026-12-01T09:30:00Z", end: "2026-12-01T10:00:00Z" }],
        },
        "x@example.com": { errors: [{ domain: "global", reason: "notFound" }] },
      },
    };
    expect(userFreeBusy("ana@example.com", "ana@example.com", response)).toEqual({
      subject: "ana@example.com",
      calendar: "ana@example.com",
      busy: [{ start: "2026-12-01T09:30:00Z", end: "2026-12-01T10:00:00Z" }],
    });
    expect(userFreeBusy("x@example.com", "x@example.com", response).errors).toEqual(["notFound"]);
    expect(userFreeBusy("y@example.com", "y@example.com", response).errors).toEqual(["notFound"]);
  });
  it("merges everyone's busy times into the exact free ranges, clipped to the window", () => {
    const users = [
      {
        subject: "a",
        calendar: "a",
        busy: [
          { start: "2026-12-01T08:00:00Z", end: "2026-12-01T09:30:00Z" },
          { start: "2026-12-01T10:00:00Z", end: "2026-12-01T10:45:00Z" },
        ],
      },
      {
        subject: "b",
        calendar: "b",
        busy: [{ start: "2026-12-01T10:30:00Z", end: "2026-12-01T11:00:00Z" }],
      },
    ];
    expect(commonFree(users, from, to)).toEqual([
      { start: "2026-12-01T09:30:00.000Z", end: "2026-12-01T10:00:00.000Z" },
      { start: "2026-12-01T11:00:00.000Z", end: "2026-12-01T12:00:00.000Z" },
    ]);
    // A user whose free/busy is unknown is left out: the others' common free time stands.
    expect(
      commonFree(
        [...users, { subject: "c", calendar: "c", busy: [], errors: ["notFound"] }],
        from,
        to,
      ),
    ).toEqual(commonFree(users, from, to));
    expect(
      commonFree([{ subject: "c", calendar: "c", busy: [], errors: ["notFound"] }], from, to),
    ).toEqual([]);
  });
});

describe("acl and colors", () => {
  it("takes exactly one grantee", () => {
    expect(aclScope({ user: "bo@example.com" })).toEqual({ type: "user", value: "bo@example.com" });
    expect(aclScope({ default: true })).toEqual({ type: "default" });
    expect(() => aclScope({ user: "a@x.com", domain: "x.com" })).toThrow(
      "Missing or conflicting grantee: give exactly one of --user, --group, --domain, --default",
    );
  });
  it("lists calendar colors then event colors by numeric ID", () => {
    const rows = colorRows({
      calendar: {
        "10": { background: "#b", foreground: "#f" },
        "2": { background: "#a", foreground: "#f" },
      },
      event: { "1": { background: "#c", foreground: "#f" } },
    });
    expect(rows.map((r) => `${r.kind}:${r.id}`)).toEqual(["calendar:2", "calendar:10", "event:1"]);
  });
});

describe("--from / --to / --tz", () => {
  it("reads RFC 3339 times, and dates at midnight in --tz", () => {
    expect(timeArg({ from: "2026-12-01", tz: "UTC" }, "from")).toBe(
      Date.parse("2026-12-01T00:00:00Z"),
    );
    expect(timeArg({ from: "2026-12-01", tz: "Europe/Berlin" }, "from")).toBe(
      Date.parse("2026-11-30T23:00:00Z"),
    );
    expect(timeArg({ from: "2026-12-01T10:00:00+01:00", tz: "Asia/Tokyo" }, "from")).toBe(
      Date.parse("2026-12-01T09:00:00Z"),
    );
  });

  // Saturday 2026-03-28, 13:00 in Berlin; Berlin moves to summer time in the night to Sunday.
  const now = Date.parse("2026-03-28T12:00:00Z");
  const cases: { text: string; tz: string; want: string }[] = [
    { text: "now", tz: "Europe/Berlin", want: "2026-03-28T12:00:00Z" },
    { text: "today", tz: "Europe/Berlin", want: "2026-03-27T23:00:00Z" },
    { text: "Today", tz: "UTC", want: "2026-03-28T00:00:00Z" },
    { text: "tomorrow", tz: "Europe/Berlin", want: "2026-03-28T23:00:00Z" },
    { text: "yesterday", tz: "America/New_York", want: "2026-03-27T04:00:00Z" },
    { text: "saturday", tz: "Europe/Berlin", want: "2026-03-27T23:00:00Z" },
    { text: "monday", tz: "Europe/Berlin", want: "2026-03-29T22:00:00Z" },
    { text: "fri", tz: "UTC", want: "2026-04-03T00:00:00Z" },
    { text: "+1d", tz: "Europe/Berlin", want: "2026-03-29T11:00:00Z" },
    { text: "+1d", tz: "UTC", want: "2026-03-29T12:00:00Z" },
    { text: "+2w", tz: "Europe/Berlin", want: "2026-04-11T11:00:00Z" },
    { text: "-2h", tz: "Europe/Berlin", want: "2026-03-28T10:00:00Z" },
    { text: "+30m", tz: "UTC", want: "2026-03-28T12:30:00Z" },
    { text: "2026-12-01T09:00", tz: "America/New_York", want: "2026-12-01T14:00:00Z" },
  ];
  for (const c of cases)
    it(`reads "${c.text}" in ${c.tz}`, () => {
      expect(timeArg({ from: c.text, tz: c.tz }, "from", now)).toBe(Date.parse(c.want));
    });

  it("counts an offset in --to from --from, and from now without it", () => {
    expect(timeRange({ from: "monday", to: "+7d", tz: "Europe/Berlin" }, now)).toEqual({
      from: Date.parse("2026-03-29T22:00:00Z"),
      to: Date.parse("2026-04-05T22:00:00Z"),
    });
    expect(timeRange({ to: "+2h", tz: "UTC" }, now)).toEqual({
      from: undefined,
      to: Date.parse("2026-03-28T14:00:00Z"),
    });
  });

  it("takes --time-zone as the spelling of --tz", () => {
    expect(timeArg({ from: "today", "time-zone": "Asia/Tokyo" }, "from", now)).toBe(
      Date.parse("2026-03-27T15:00:00Z"),
    );
  });

  it("refuses other forms, impossible dates, unknown zones and a range that ends before it starts", () => {
    for (const text of ["someday", "+7x", "7d", "2026-02-30", "2026-12-01T24:00", "mo"])
      expect(() => timeArg({ from: text, tz: "UTC" }, "from", now)).toThrow(
        `Invalid --from "${text}": not a time dwd knows`,
      );
    expect(() => timeArg({ from: "today", tz: "Mars/Olympus" }, "from", now)).toThrow(
      'Invalid --tz "Mars/Olympus": not an IANA time zone',
    );
    expect(() => timeRange({ from: "2026-12-02", to: "2026-12-01", tz: "UTC" })).toThrow(
      'Invalid time range: --to "2026-12-01" is not after --from "2026-12-02"',
    );
    expect(() => timeRange({ from: "today", to: "-1d", tz: "UTC" }, now)).toThrow(
      'Invalid time range: --to "-1d" is not after --from "today"',
    );
  });
});
