import { describe, expect, it } from "vitest";
import { patchApplies } from "../src/_internal/bulk-write.ts";
import { csvRecord, fieldText } from "../src/_internal/csv.ts";
import { parseCsvEvents, parseCsvRecords } from "../src/_internal/csv-in.ts";
import { UsageError } from "../src/_internal/usage-error.ts";

describe("parseCsvRecords()", () => {
  it("reads RFC 4180: quotes, doubled quotes, line breaks in quotes, CRLF, a BOM; lines of each record", () => {
    expect(parseCsvRecords('\ufeffa,b\r\n"x, ""y""","two\nlines"\r\n\r\nlast,\n', "f.csv")).toEqual(
      [
        { line: 1, fields: ["a", "b"] },
        { line: 2, fields: ['x, "y"', "two\nlines"] },
        { line: 5, fields: ["last", ""] },
      ],
    );
  });
  it("refuses a quote left open, naming the line it began on", () => {
    const run = (): unknown => parseCsvRecords('a\n"open\nstill', "f.csv");
    expect(run).toThrow(UsageError);
    expect(run).toThrow('Invalid CSV in "f.csv" line 2: a quoted field is never closed');
  });
});

describe("parseCsvEvents()", () => {
  it("is the inverse of --csv output for the event fields it writes", () => {
    const event = {
      summary: "Plan, =review",
      start: { dateTime: "2027-01-01T09:00:00Z", timeZone: "UTC" },
      end: { dateTime: "2027-01-01T10:00:00Z" },
      attendees: [
        { email: "a@example.com", responseStatus: "accepted" },
        { email: "b@example.com", responseStatus: "needsAction" },
      ],
      recurrence: ["RRULE:FREQ=WEEKLY;COUNT=3"],
    };
    const columns = [
      "summary",
      "start.dateTime",
      "start.timeZone",
      "end.dateTime",
      "attendees.email",
      "attendees.responseStatus",
      "recurrence",
    ];
    const text = `${csvRecord(columns)}\n${csvRecord(columns.map((c) => fieldText(event, c)))}\n`;
    const [row] = parseCsvEvents(text, "f.csv");
    expect(row?.event).toEqual(event);
    expect(row?.subject).toBeUndefined();
  });
  const bad = [
    {
      name: "an unknown column",
      text: "subject,summary,colour\n",
      message: 'Invalid CSV in "f.csv" line 1: unknown column "colour"',
    },
    {
      name: "a column twice",
      text: "summary,summary\nA,B\n",
      message: 'Invalid CSV in "f.csv" line 1: column "summary" appears twice',
    },
    {
      name: "a row with too few fields",
      text: "subject,summary\nana@example.com,A\nbob@example.com\n",
      message: 'Invalid CSV in "f.csv" line 3: 1 fields, the header has 2',
    },
    {
      name: "a subject that is not an address",
      text: "subject,summary\nana,A\n",
      message: 'Invalid CSV in "f.csv" line 2: subject "ana" is not an email address',
    },
    {
      name: "a row without a subject among rows with one",
      text: "subject,summary\nana@example.com,A\n,B\n",
      message: 'Invalid CSV in "f.csv" line 3: no subject (other rows have one)',
    },
    {
      name: "a boolean that is not true or false",
      text: "summary,guestsCanModify\nA,yes\n",
      message: 'Invalid CSV in "f.csv" line 2: guestsCanModify "yes" is not true or false',
    },
    { name: "no rows", text: "summary\n", message: 'No events in "f.csv"' },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} (usage error)`, () => {
      const run = (): unknown => parseCsvEvents(c.text, "f.csv");
      expect(run).toThrow(UsageError);
      expect(run).toThrow(c.message);
    });
  }
});

describe("patchApplies()", () => {
  const event = { summary: "A", location: "Room 4", start: { dateTime: "x", timeZone: "UTC" } };
  it("is true when every field of the patch is already there (nested fields compared one by one)", () => {
    expect(patchApplies(event, { location: "Room 4" })).toBe(true);
    expect(patchApplies(event, { start: { dateTime: "x" } })).toBe(true);
    expect(patchApplies(event, { description: null })).toBe(true);
  });
  it("is false when any field differs or is missing", () => {
    expect(patchApplies(event, { location: "Room 5" })).toBe(false);
    expect(patchApplies(event, { start: { dateTime: "y" } })).toBe(false);
    expect(patchApplies(event, { attendees: [{ email: "a@example.com" }] })).toBe(false);
  });
});
