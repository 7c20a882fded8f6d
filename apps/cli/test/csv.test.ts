// --csv: the field writer (unit) and the bundled dwd against the emulator on a real port (end to end).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvField, csvRecord, fieldsArg, fieldText } from "../src/_internal/csv.ts";
import { dwd, startTestEmulator } from "./helpers.ts";
import type { TestEmulator } from "./helpers.ts";

describe("csvField() / csvRecord()", () => {
  const cases: { value: string; want: string }[] = [
    { value: "plain", want: "plain" },
    { value: "", want: "" },
    { value: "a,b", want: '"a,b"' },
    { value: 'say "hi"', want: '"say ""hi"""' },
    { value: " padded", want: '" padded"' },
    { value: "line\nbreak", want: '"line\nbreak"' },
    { value: "=HYPERLINK(1)", want: `"'=HYPERLINK(1)"` },
    { value: "@SUM(A1)", want: `"'@SUM(A1)"` },
    { value: "+1 555", want: `"'+1 555"` },
    { value: "-5", want: "-5" },
    { value: "2026-12-01T09:00:00Z", want: "2026-12-01T09:00:00Z" },
  ];
  for (const c of cases)
    it(`writes ${JSON.stringify(c.value)} as ${c.want}`, () => {
      expect(csvField(c.value)).toBe(c.want);
    });
  it("joins fields with commas", () => {
    expect(csvRecord(["a", "b,c", ""])).toBe('a,"b,c",');
  });
});

describe("fieldText()", () => {
  const event = {
    id: "e1",
    start: { dateTime: "2026-12-01T09:00:00+01:00", timeZone: "Europe/Berlin" },
    attendees: [
      { email: "ana@example.com", responseStatus: "accepted" },
      { email: "bob@example.com", responseStatus: "needsAction", optional: true },
    ],
    recurrence: ["RRULE:FREQ=WEEKLY", "EXDATE:20261208T090000Z"],
    reminders: { useDefault: false },
    guestsCanModify: false,
  };
  const cases: { path: string; want: string }[] = [
    { path: "id", want: "e1" },
    { path: "start.dateTime", want: "2026-12-01T09:00:00+01:00" },
    { path: "start.date", want: "" },
    { path: "attendees.email", want: "ana@example.com bob@example.com" },
    { path: "attendees.optional", want: "true" },
    { path: "recurrence", want: "RRULE:FREQ=WEEKLY EXDATE:20261208T090000Z" },
    { path: "reminders", want: '{"useDefault":false}' },
    { path: "guestsCanModify", want: "false" },
    { path: "constructor", want: "" },
    { path: "nothing.here", want: "" },
  ];
  for (const c of cases)
    it(`reads ${c.path}`, () => {
      expect(fieldText(event, c.path)).toBe(c.want);
    });
  it("refuses a malformed --fields and --fields without --csv", () => {
    expect(fieldsArg({ csv: true, fields: "id, start.dateTime" })).toEqual([
      "id",
      "start.dateTime",
    ]);
    expect(() => fieldsArg({ csv: true, fields: "id,a..b" })).toThrow(
      'Invalid --fields "id,a..b": "a..b" is not a field path',
    );
    expect(() => fieldsArg({ csv: true, fields: " , " })).toThrow(
      'Invalid --fields " , ": no field',
    );
    expect(() => fieldsArg({ fields: "id" })).toThrow("--fields needs --csv");
  });
});

let t: TestEmulator;
let dir: string;
let bot: string;
let env: Record<string, string>;

beforeAll(async () => {
  t = await startTestEmulator("csv");
  ({ dir, bot, env } = t);
  const file = join(dir, "events.ndjson");
  await writeFile(
    file,
    [
      {
        summary: 'Plan, "Q1"',
        start: { dateTime: "2026-12-01T09:00:00Z" },
        end: { dateTime: "2026-12-01T10:00:00Z" },
      },
      { summary: "=cmd", start: { date: "2026-12-02" }, end: { date: "2026-12-03" } },
    ]
      .map((e) => JSON.stringify(e))
      .join("\n"),
  );
  for (const subject of ["ana@example.com", "bob@example.com"]) {
    const r = await dwd(
      ["events", "create", "primary", "--key", bot, "--subject", subject, "--file", file],
      env,
    );
    expect(r.code).toBe(0);
  }
});

afterAll(async () => {
  await t.close();
});

describe("dwd … --csv", () => {
  const list = (): string[] => [
    "events",
    "list",
    "primary",
    "--key",
    bot,
    "--order-by",
    "startTime",
  ];

  it("events list: a header row, then one record a line, for one user and for many", async () => {
    const one = await dwd(
      [
        ...list(),
        "--subject",
        "ana@example.com",
        "--single-events",
        "--csv",
        "--fields",
        "summary,start.dateTime,start.date,organizer.email",
      ],
      env,
    );
    expect(one.stderr).toBe("");
    expect(one.code).toBe(0);
    expect(one.stdout).toBe(
      [
        "summary,start.dateTime,start.date,organizer.email",
        '"Plan, ""Q1""",2026-12-01T09:00:00Z,,ana@example.com',
        `"'=cmd",,2026-12-02,ana@example.com`,
        "",
      ].join("\n"),
    );
    const many = await dwd(
      [...list(), "--subjects", "ana@example.com,bob@example.com", "--single-events", "--csv"],
      env,
    );
    expect(many.code).toBe(0);
    const rows = many.stdout.trimEnd().split("\n");
    expect(rows[0]).toBe(
      "subject,id,status,summary,start.dateTime,start.date,start.timeZone,end.dateTime,end.date,end.timeZone,location,organizer.email,attendees.email,attendees.responseStatus,recurringEventId,recurrence,transparency,visibility,hangoutLink,htmlLink,created,updated",
    );
    expect(
      rows
        .slice(1)
        .map((r) => r.split(",")[0])
        .sort(),
    ).toEqual(["ana@example.com", "ana@example.com", "bob@example.com", "bob@example.com"]);
  });

  it("calendars list and freebusy print CSV; --csv with --json, or --fields alone, is a usage error", async () => {
    const cals = await dwd(
      [
        "calendars",
        "list",
        "--key",
        bot,
        "--subject",
        "ana@example.com",
        "--csv",
        "--fields",
        "id,accessRole,primary",
      ],
      env,
    );
    expect(cals).toEqual({
      code: 0,
      stdout: "id,accessRole,primary\nana@example.com,owner,true\n",
      stderr: "",
    });
    const busy = await dwd(
      [
        "freebusy",
        "--key",
        bot,
        "--subjects",
        "ana@example.com,nobody@example.com",
        "--from",
        "2026-12-01T00:00:00Z",
        "--to",
        "2026-12-01T23:00:00Z",
        "--csv",
      ],
      env,
    );
    expect(busy.stdout.split("\n").slice(0, 2)).toEqual([
      "subject,calendar,start,end,errors",
      "ana@example.com,ana@example.com,2026-12-01T09:00:00Z,2026-12-01T10:00:00Z,",
    ]);
    expect(busy.stdout).toMatch(/\nnobody@example\.com,nobody@example\.com,,,\S+\n$/);
    const both = await dwd([...list(), "--subject", "ana@example.com", "--csv", "--json"], env);
    expect(both).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "error: Conflicting options --json and --csv: give one output format\nhint: Use --json for one document, --ndjson for one object a line, --csv for a spreadsheet\n",
    });
    const alone = await dwd([...list(), "--subject", "ana@example.com", "--fields", "id"], env);
    expect(alone).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: --fields needs --csv\nhint: Add --csv, or drop --fields\n",
    });
  });
});
