// End to end: the bundled dwd against the emulator on a real port, for the Calendar commands.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { cleanEnv, dwd, dwdPath } from "./helpers.ts";

const auth = "https://www.googleapis.com/auth/";
const users = ["ana@example.com", "bob@example.com", "cy@example.com", "dee@example.com"];
const scenario = {
  domain: "example.com",
  users: [...users.map((email) => ({ email })), { email: "former@example.com", suspended: true }],
  serviceAccounts: [
    { name: "calendar-bot" },
    { name: "full-only-bot" },
    { name: "events-only-bot" },
  ],
  grants: [
    {
      serviceAccount: "calendar-bot",
      scopes: [
        `${auth}calendar`,
        `${auth}calendar.readonly`,
        `${auth}calendar.events`,
        `${auth}calendar.freebusy`,
      ],
    },
    { serviceAccount: "full-only-bot", scopes: [`${auth}calendar`] },
    { serviceAccount: "events-only-bot", scopes: [`${auth}calendar.events`] },
  ],
};

let server: RunningEmulator;
let dir: string;
let bot: string;
let fullOnly: string;
let eventsOnly: string;
let scenarioFile: string;
let env: Record<string, string>;

interface Stats {
  apiRequests: number;
  batchRequests: number;
  batchParts: number;
  tokenRequests: number;
}

async function stats(): Promise<Stats> {
  return (await (await fetch(`${server.url}/_emulator/stats`)).json()) as Stats;
}

const lines = (text: string): unknown[] =>
  text
    .trimEnd()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as unknown);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-cal-cli-"));
  server = await startEmulator({
    scenario: scenario as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: dir,
  });
  bot = server.keyFiles["calendar-bot"]?.json ?? "";
  fullOnly = server.keyFiles["full-only-bot"]?.json ?? "";
  eventsOnly = server.keyFiles["events-only-bot"]?.json ?? "";
  scenarioFile = join(dir, "scenario.json");
  await writeFile(scenarioFile, JSON.stringify(scenario));
  env = cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs dwd with stdout and stderr on a terminal (util-linux `script`, 100 columns); the terminal's output. */
function inTerminal(args: string[], environment: Record<string, string>): Promise<string> {
  const quote = (a: string): string => `'${a.replace(/'/g, "'\\''")}'`;
  const command = `stty cols 100 rows 40; exec ${[process.execPath, dwdPath, ...args].map(quote).join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      env: environment,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.on("error", reject);
    child.on("close", () => resolve(out));
  });
}

const event = (summary: string, start: string, end: string): Record<string, unknown> => ({
  summary,
  start: { dateTime: start },
  end: { dateTime: end },
});

describe("dwd events create --file: exactly once", () => {
  it("creates one event per line, and a second run (after an interruption) creates only the missing ones", async () => {
    const all = [
      event("Stand-up", "2026-12-01T09:00:00Z", "2026-12-01T09:15:00Z"),
      event("Planning", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z"),
      event("Retro", "2026-12-01T15:00:00Z", "2026-12-01T16:00:00Z"),
    ];
    const partial = join(dir, "partial.ndjson");
    const full = join(dir, "full.ndjson");
    // The interrupted run got through the first two lines (reformatted: key order does not change the ID).
    await writeFile(
      partial,
      `${JSON.stringify({ end: all[0]?.["end"], start: all[0]?.["start"], summary: "Stand-up" })}\n${JSON.stringify(all[1])}\n`,
    );
    await writeFile(full, `${all.map((e) => JSON.stringify(e)).join("\n")}\n\n`);

    const first = await dwd(
      [
        "events",
        "create",
        "primary",
        "--key",
        bot,
        "--subject",
        "ana@example.com",
        "--file",
        partial,
      ],
      env,
    );
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const created = lines(first.stdout) as { line: number; status: string; id: string }[];
    expect(created.map((l) => [l.line, l.status]).sort()).toEqual([
      [1, "created"],
      [2, "created"],
    ]);
    for (const l of created) expect(l.id).toMatch(/^[0-9a-v]{32}$/);

    const again = await dwd(
      ["events", "create", "primary", "--key", bot, "--subject", "ana@example.com", "--file", full],
      env,
    );
    expect(again.code).toBe(0);
    const outcomes = (
      lines(again.stdout) as {
        line: number;
        status: string;
        id: string;
        subject: string;
        calendarId: string;
      }[]
    ).sort((a, b) => a.line - b.line);
    expect(outcomes.map((o) => [o.line, o.status])).toEqual([
      [1, "exists"],
      [2, "exists"],
      [3, "created"],
    ]);
    expect(outcomes.slice(0, 2).map((o) => o.id)).toEqual(
      created.sort((a, b) => a.line - b.line).map((c) => c.id),
    );
    expect(outcomes[0]).toMatchObject({ subject: "ana@example.com", calendarId: "primary" });

    const list = await dwd(
      ["events", "list", "primary", "--key", bot, "--subject", "ana@example.com", "--ndjson"],
      env,
    );
    expect(list.code).toBe(0);
    const summaries = (lines(list.stdout) as { summary: string; subject: string }[])
      .map((e) => e.summary)
      .sort();
    expect(summaries).toEqual(["Planning", "Retro", "Stand-up"]);
  });

  it("refuses a bad line before sending anything: one error and one hint, exit 2", async () => {
    const file = join(dir, "bad.ndjson");
    await writeFile(
      file,
      `${JSON.stringify(event("Fine", "2026-12-02T09:00:00Z", "2026-12-02T10:00:00Z"))}\n{"summary": "broken"\n`,
    );
    const before = await stats();
    const r = await dwd(
      ["events", "create", "primary", "--key", bot, "--subject", "bob@example.com", "--file", file],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const [error, hint, ...rest] = r.stderr.split("\n");
    expect(error).toMatch(
      new RegExp(`^error: Invalid event in ".*bad\\.ndjson" line 2: not JSON \\(.+\\)$`),
    );
    expect(hint).toMatch(/^hint: Write one JSON object a line \(NDJSON\)/);
    expect(rest).toEqual([""]);
    expect((await stats()).apiRequests).toBe(before.apiRequests);
  });
});

describe("many users at once", () => {
  it("events list --subjects: NDJSON tagged with the subject, one batch for the users, a failure summary, exit 1", async () => {
    const before = await stats();
    const r = await dwd(
      [
        "events",
        "list",
        "--key",
        bot,
        "--subjects",
        "ana@example.com,bob@example.com,ghost@example.com,cy@example.com",
        "--ndjson",
      ],
      env,
    );
    expect(r.code).toBe(1);
    const items = lines(r.stdout) as { subject: string; summary: string }[];
    expect(items.every((i) => i.subject === "ana@example.com")).toBe(true);
    expect(items).toHaveLength(3);
    const [head, ...detail] = r.stderr.trimEnd().split("\n");
    expect(head).toBe("error: 1 of 4 users failed:");
    expect(detail[0]).toMatch(
      /^ {2}ghost@example\.com: unknown_subject: Cannot get a token for "ghost@example\.com"/,
    );
    expect(detail.at(-2)).toMatch(/^hint: /);
    // A run over many users ends with one line of what it did.
    expect(detail.at(-1)).toMatch(
      /^summary: 4 users: 3 ok, 1 failed; 1 request, 4 token exchanges, 0 retries; \d+\.\d s$/,
    );
    const after = await stats();
    // One batch request carries the three users the token endpoint accepted; no call per user.
    expect(after.batchRequests - before.batchRequests).toBe(1);
    expect(after.batchParts - before.batchParts).toBe(3);
  });

  it("--subjects-file and --all-users --scenario read the users; a table tags rows with SUBJECT", async () => {
    const file = join(dir, "users.txt");
    await writeFile(file, "# the team\nana@example.com\nbob@example.com\n");
    const fromFile = await dwd(["calendars", "list", "--key", bot, "--subjects-file", file], env);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout.trimEnd().split("\n").sort()).toEqual([
      "ana@example.com\tana@example.com\tana@example.com",
      "bob@example.com\tbob@example.com\tbob@example.com",
    ]);
    const all = await dwd(
      ["calendars", "list", "--key", bot, "--all-users", "--scenario", scenarioFile, "--json"],
      env,
    );
    // The suspended former@ is skipped, as Directory's isSuspended=false would, and the run says so.
    expect(all.code).toBe(0);
    const entries = JSON.parse(all.stdout) as { subject: string; id: string }[];
    expect(entries.map((e) => e.subject)).toEqual(users);
    expect(all.stderr).toMatch(
      /^note: skipped 1 suspended user \(former@example\.com\); --include-suspended acts as them too\nsummary: 4 users: 4 ok, 0 failed; /,
    );
    const withSuspended = await dwd(
      [
        "calendars",
        "list",
        "--key",
        bot,
        "--all-users",
        "--include-suspended",
        "--scenario",
        scenarioFile,
        "--json",
      ],
      env,
    );
    expect(withSuspended.code).toBe(1);
    expect(withSuspended.stderr).toMatch(/^error: 1 of 5 users failed:\n {2}former@example\.com: /);
    // Without --scenario the running emulator (DWD_EMULATOR_HOST) says who its users are.
    const asked = await dwd(["calendars", "list", "--key", bot, "--all-users", "--json"], env);
    expect(asked.code).toBe(0);
    expect((JSON.parse(asked.stdout) as { subject: string }[]).map((e) => e.subject)).toEqual(
      users,
    );
  });

  it("conflicting user flags are a usage error, exit 2", async () => {
    const r = await dwd(
      [
        "events",
        "list",
        "--key",
        bot,
        "--subject",
        "ana@example.com",
        "--subjects",
        "bob@example.com",
      ],
      env,
    );
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "error: Conflicting options --subject and --subjects: give one way to name the users\nhint: Use --subject for one user, or one of --subjects, --subjects-file, --all-users (with --ou/--query), --group for many\n",
    });
  });
});

describe("dwd freebusy", () => {
  it("draws the grid with the common free slots (--grid), and prints JSON when piped", async () => {
    const file = join(dir, "bob.ndjson");
    await writeFile(
      file,
      `${JSON.stringify(event("1:1", "2026-12-01T10:30:00Z", "2026-12-01T11:00:00Z"))}\n`,
    );
    expect(
      (
        await dwd(
          [
            "events",
            "create",
            "primary",
            "--key",
            bot,
            "--subject",
            "bob@example.com",
            "--file",
            file,
          ],
          env,
        )
      ).code,
    ).toBe(0);
    const args = [
      "freebusy",
      "--key",
      bot,
      "--subjects",
      "ana@example.com,bob@example.com,cy@example.com",
      "--from",
      "2026-12-01T09:00:00Z",
      "--to",
      "2026-12-01T13:00:00Z",
      "--time-zone",
      "UTC",
    ];
    const grid = await dwd([...args, "--grid"], env);
    expect(grid.stderr).toMatch(/^summary: 3 users: 3 ok, 0 failed; [^\n]+\n$/);
    expect(grid.code).toBe(0);
    expect(grid.stdout.split("\n")).toEqual([
      "                 09:00 10:00 11:00 12:00",
      "ana@example.com  ███···██████············",
      "bob@example.com  ·········███············",
      "cy@example.com   ························",
      "all free            ▲▲▲      ▲▲▲▲▲▲▲▲▲▲▲▲",
      "Everyone is free 09:30–10:00, 11:00–13:00 (UTC)",
      "",
    ]);
    const json = await dwd(args, env);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as {
      users: { subject: string; busy: unknown[] }[];
      commonFree: unknown[];
    };
    expect(doc.users.map((u) => [u.subject, u.busy.length])).toEqual([
      ["ana@example.com", 2],
      ["bob@example.com", 1],
      ["cy@example.com", 0],
    ]);
    expect(doc.commonFree).toEqual([
      { start: "2026-12-01T09:15:00.000Z", end: "2026-12-01T10:00:00.000Z" },
      { start: "2026-12-01T11:00:00.000Z", end: "2026-12-01T13:00:00.000Z" },
    ]);
  });
});

describe("on a terminal", () => {
  it("freebusy draws the grid by itself, and a many-user list draws a progress bar on stderr and a table with a header", async () => {
    const grid = await inTerminal(
      [
        "freebusy",
        "--key",
        bot,
        "--subjects",
        "ana@example.com,cy@example.com",
        "--from",
        "2026-12-01T09:00:00Z",
        "--to",
        "2026-12-01T11:00:00Z",
        "--time-zone",
        "UTC",
      ],
      env,
    );
    expect(grid).toContain("all free");
    expect(grid).toMatch(/Everyone is free [0-9:–, ]+ \(UTC\)/);
    expect(grid).toContain("\u001b[32m▲▲▲");
    const list = await inTerminal(
      [
        "calendars",
        "list",
        "--key",
        bot,
        "--subjects",
        "ana@example.com,bob@example.com,cy@example.com",
      ],
      env,
    );
    expect(list).toContain("\r\u001b[2Kusers 0/3 [");
    expect(list).toContain("users 3/3 [########################] 100%");
    expect(list).toMatch(/SUBJECT +ID +SUMMARY/);
  });
});

describe("--scopes and the default scope", () => {
  it("where only …/auth/calendar is granted, calendars get falls back to it by itself", async () => {
    const r = await dwd(
      ["calendars", "get", "primary", "--key", fullOnly, "--subject", "ana@example.com"],
      env,
    );
    expect(r).toEqual({ code: 0, stdout: "ana@example.com\n", stderr: "" });
  });

  it("a grant without any accepted scope is refused with the scopes the method accepts, exit 1", async () => {
    const r = await dwd(
      ["calendars", "list", "--key", eventsOnly, "--subject", "ana@example.com"],
      env,
    );
    expect(r.code).toBe(1);
    const [error, hint] = r.stderr.split("\n");
    expect(error).toMatch(
      /^error: Cannot call calendar\.calendarList\.list as "ana@example\.com": client "\d+" is not authorized for domain-wide delegation of any of "calendar\.readonly", "calendar"; or "ana@example\.com" is not a user of the Workspace domain that granted it; or the entry names another client ID \(the method accepts any one of .*"calendar\.calendarlist\.readonly".*\)$/,
    );
    expect(hint).toMatch(
      /^hint: calendar\.calendarList\.list accepts any one of .*: grant one, or pass --scopes with one that the grant holds\. /,
    );
  });

  it("--scopes is used as given (calendars get no longer refuses it)", async () => {
    const ok = await dwd(
      [
        "events",
        "list",
        "primary",
        "--key",
        eventsOnly,
        "--subject",
        "cy@example.com",
        "--scopes",
        "calendar.events",
        "--json",
      ],
      env,
    );
    expect(ok).toMatchObject({ code: 0, stdout: "[]\n" });
    const refused = await dwd(
      [
        "calendars",
        "get",
        "primary",
        "--key",
        eventsOnly,
        "--subject",
        "cy@example.com",
        "--scopes",
        "calendar.readonly",
      ],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: Cannot call calendar\.calendarList\.get as "cy@example\.com": client "\d+" is not authorized for domain-wide delegation of --scopes "calendar\.readonly"; or "cy@example\.com" is not a user of the Workspace domain that granted it; or the entry names another client ID \(the method accepts any one of /,
    );
  });
});

describe("dwd events sync", () => {
  it("lists everything first, then only what changed (cancelled events included)", async () => {
    const state = join(dir, "sync.json");
    const file = join(dir, "dee.ndjson");
    await writeFile(
      file,
      `${JSON.stringify(event("A", "2026-12-03T09:00:00Z", "2026-12-03T10:00:00Z"))}\n${JSON.stringify(event("B", "2026-12-03T11:00:00Z", "2026-12-03T12:00:00Z"))}\n`,
    );
    const created = lines(
      (
        await dwd(
          [
            "events",
            "create",
            "primary",
            "--key",
            bot,
            "--subject",
            "dee@example.com",
            "--file",
            file,
          ],
          env,
        )
      ).stdout,
    ) as { id: string; line: number }[];
    const sync = [
      "events",
      "sync",
      "primary",
      "--key",
      bot,
      "--subjects",
      "dee@example.com,cy@example.com",
      "--state",
      state,
      "--ndjson",
    ];
    const first = await dwd(sync, env);
    expect(first.code).toBe(0);
    expect((lines(first.stdout) as { summary: string }[]).map((e) => e.summary).sort()).toEqual([
      "A",
      "B",
    ]);
    expect(first.stderr).toMatch(
      /^synced 2 users: 2 changed events, 2 full syncs\nsummary: 2 users: 2 ok, 0 failed; 2 requests, 2 token exchanges, 0 retries; \d+\.\d s\n$/,
    );
    expect(Object.keys(JSON.parse(await readFile(state, "utf8")) as object).sort()).toEqual([
      "cy@example.com|primary",
      "dee@example.com|primary",
    ]);

    const idOfB = created.find((c) => c.line === 2)?.id ?? "";
    expect(
      (
        await dwd(
          ["events", "delete", "primary", idOfB, "--key", bot, "--subject", "dee@example.com"],
          env,
        )
      ).code,
    ).toBe(0);
    const second = await dwd(sync, env);
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([
      expect.objectContaining({ subject: "dee@example.com", id: idOfB, status: "cancelled" }),
    ]);
    expect(second.stderr).toMatch(
      /^synced 2 users: 1 changed event, 0 full syncs\nsummary: 2 users: 2 ok, 0 failed; 2 requests, 2 token exchanges, 0 retries; \d+\.\d s\n$/,
    );
  });
});

describe("single-event commands, acl, calendars, settings, colors", () => {
  it("get, patch, quick-add, move and delete", async () => {
    const file = join(dir, "cy.ndjson");
    await writeFile(
      file,
      `${JSON.stringify(event("Draft", "2026-12-04T09:00:00Z", "2026-12-04T10:00:00Z"))}\n`,
    );
    const [made] = lines(
      (
        await dwd(
          [
            "events",
            "create",
            "primary",
            "--key",
            bot,
            "--subject",
            "cy@example.com",
            "--file",
            file,
          ],
          env,
        )
      ).stdout,
    ) as { id: string }[];
    const id = made?.id ?? "";
    const base = ["--key", bot, "--subject", "cy@example.com"];
    const patched = await dwd(
      ["events", "patch", "primary", id, ...base, "--body", '{"summary":"Final"}', "--json"],
      env,
    );
    expect(patched.code).toBe(0);
    expect(JSON.parse(patched.stdout)).toMatchObject({ id, summary: "Final" });
    const got = await dwd(["events", "get", "primary", id, ...base], env);
    expect(got).toEqual({
      code: 0,
      stdout: `${id}  2026-12-04T09:00:00Z → 2026-12-04T10:00:00Z  Final\n`,
      stderr: "",
    });
    const quick = await dwd(
      ["events", "quick-add", "primary", "Lunch with Bo tomorrow 1pm", ...base, "--json"],
      env,
    );
    expect(quick.code).toBe(0);
    expect((JSON.parse(quick.stdout) as { summary: string }).summary).toMatch(/Lunch/);
    const cal = await dwd(
      ["calendars", "create", "--summary", "Side project", ...base, "--json"],
      env,
    );
    expect(cal.code).toBe(0);
    const calId = (JSON.parse(cal.stdout) as { id: string }).id;
    const moved = await dwd(
      ["events", "move", "primary", id, "--destination", calId, ...base, "--json"],
      env,
    );
    expect(moved.code).toBe(0);
    const there = await dwd(["events", "get", calId, id, ...base], env);
    expect(there).toEqual({
      code: 0,
      stdout: `${id}  2026-12-04T09:00:00Z → 2026-12-04T10:00:00Z  Final\n`,
      stderr: "",
    });
    const deleted = await dwd(["events", "delete", calId, id, ...base], env);
    expect(deleted).toEqual({
      code: 0,
      stdout: "",
      stderr: `deleted event "${id}" from "${calId}"\n`,
    });
    const info = await dwd(["calendars", "info", calId, ...base], env);
    expect(info).toEqual({ code: 0, stdout: `${calId}  Side project\n`, stderr: "" });
    expect((await dwd(["calendars", "delete", calId, ...base], env)).code).toBe(0);
  });

  it("acl add, list and remove", async () => {
    const base = ["--key", bot, "--subject", "ana@example.com"];
    const added = await dwd(
      ["acl", "add", "primary", "--role", "reader", "--user", "bob@example.com", ...base],
      env,
    );
    expect(added).toEqual({ code: 0, stdout: "user:bob@example.com  reader\n", stderr: "" });
    const list = await dwd(["acl", "list", "primary", ...base], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("reader\tuser:bob@example.com\tuser:bob@example.com");
    expect(
      (await dwd(["acl", "remove", "primary", "user:bob@example.com", ...base], env)).code,
    ).toBe(0);
    expect((await dwd(["acl", "list", "primary", ...base], env)).stdout).not.toContain(
      "bob@example.com",
    );
    const bad = await dwd(["acl", "add", "primary", "--role", "reader", ...base], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "error: Missing or conflicting grantee: give exactly one of --user, --group, --domain, --default\nhint: E.g. --user bo@example.com, --group team@example.com, --domain example.com, or --default (everyone)\n",
    );
  });

  it("settings (many users) and colors", async () => {
    const settings = await dwd(
      [
        "settings",
        "timezone",
        "--key",
        bot,
        "--subjects",
        "ana@example.com,bob@example.com",
        "--ndjson",
      ],
      env,
    );
    expect(settings.code).toBe(0);
    expect(
      (lines(settings.stdout) as { subject: string; id: string }[]).map((s) => [s.subject, s.id]),
    ).toEqual([
      ["ana@example.com", "timezone"],
      ["bob@example.com", "timezone"],
    ]);
    const colors = await dwd(["colors", "--key", bot, "--subject", "ana@example.com"], env);
    expect(colors.code).toBe(0);
    expect(colors.stdout.split("\n")[0]).toMatch(/^calendar\t1\t#[0-9a-f]{6}\t#[0-9a-f]{6}$/);
  });
});

describe("relative times", () => {
  it("--from now --to +1d lists what lies ahead, --from +1d what lies beyond, and --tz is checked", async () => {
    const base = ["--key", bot, "--subject", "cy@example.com"];
    const cal = await dwd(["calendars", "create", "--summary", "Relative", ...base, "--json"], env);
    expect(cal.code).toBe(0);
    const calId = (JSON.parse(cal.stdout) as { id: string }).id;
    // Hours away from now, so the run's own duration cannot move an event across a bound.
    const at = (hours: number): string => new Date(Date.now() + hours * 3_600_000).toISOString();
    const file = join(dir, "relative.ndjson");
    await writeFile(
      file,
      [event("soon", at(3), at(4)), event("later", at(30), at(31)), event("past", at(-5), at(-4))]
        .map((e) => JSON.stringify(e))
        .join("\n"),
    );
    expect((await dwd(["events", "create", calId, ...base, "--file", file], env)).code).toBe(0);
    const summaries = async (...range: string[]): Promise<string[]> => {
      const r = await dwd(["events", "list", calId, ...base, ...range, "--ndjson"], env);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return (lines(r.stdout) as { summary: string }[]).map((e) => e.summary).sort();
    };
    expect(await summaries("--from", "now", "--to", "+1d")).toEqual(["soon"]);
    expect(await summaries("--from", "+1d", "--to", "+1d", "--tz", "Asia/Tokyo")).toEqual([
      "later",
    ]);
    expect(await summaries("--from", "-12h", "--to", "now")).toEqual(["past"]);
    expect(await dwd(["events", "list", calId, ...base, "--from", "someday"], env)).toEqual({
      code: 2,
      stdout: "",
      stderr: expect.stringMatching(
        /^error: Invalid --from "someday": not a time dwd knows\nhint: Give RFC 3339 /,
      ) as string,
    });
    const zone = await dwd(
      ["events", "list", calId, ...base, "--from", "today", "--tz", "Mars/Base"],
      env,
    );
    expect(zone.code).toBe(2);
    expect(zone.stderr).toBe(
      'error: Invalid --tz "Mars/Base": not an IANA time zone\nhint: Give e.g. --tz Europe/Berlin or --tz UTC\n',
    );
  });
});
