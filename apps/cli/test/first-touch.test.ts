// Where users first touch dwd (issue 13): diagnoses that name every cause, retries that are visible and
// bounded, one failed user that never spoils a result, hints that are right, and hostile input that is
// exit 2, never a stack trace. Each test spawns the bundled dist/dwd.js against the emulator on a port.
import { demoScenario } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd, normalise } from "./helpers.ts";

const ana = "ana@example.com";
const auth = "https://www.googleapis.com/auth/";
let server: RunningEmulator;
let dir: string;
let env: Record<string, string>;
let clientId: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-first-touch-"));
  server = await startEmulator({
    scenario: demoScenario,
    port: 0,
    host: "127.0.0.1",
    keysDir: dir,
  });
  const bot = server.keyFiles["calendar-bot"];
  if (bot === undefined) throw new Error("no calendar-bot");
  clientId = (JSON.parse(await readFile(bot.json, "utf8")) as { client_id: string }).client_id;
  env = cleanEnv({
    DWD_EMULATOR_HOST: new URL(server.url).host,
    GOOGLE_APPLICATION_CREDENTIALS: bot.json,
  });
});

afterEach(() => {
  server.emulator.faults.errorRates = {};
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const noStack = (text: string): void => expect(text).not.toMatch(/^\s+at /m);

/** Serves `handler` on a free loopback port. */
async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const s = createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(() => resolve()));
    },
  };
}

describe("item 8: the unauthorized_client diagnosis names every cause", () => {
  it("a gmail.com subject is called a consumer account, in one token exchange, with no Admin-console link", async () => {
    const r = await dwd(
      ["events", "list", "primary", "--subject", "x@gmail.com", "--verbose"],
      env,
    );
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("http: --> POST"))).toHaveLength(1);
    expect(lines.slice(-2)).toEqual([
      `error: Cannot get a token for "x@gmail.com": "x@gmail.com" is a consumer Google account (gmail.com), not a user of a Workspace domain: domain-wide delegation acts only for users of the domain that granted client "${clientId}"`,
      "hint: Impersonate a user of the Workspace domain where the delegation is set up (its primary email); a consumer account can only be reached with its own OAuth consent, not through a service account",
    ]);
  });

  it("a user of another domain hears all three causes, and the link lists every scope dwd uses", async () => {
    const r = await dwd(["token", "--subject", "bo@other.org"], env);
    expect(r.code).toBe(1);
    const [error, hint] = r.stderr.trimEnd().split("\n");
    expect(error).toBe(
      `error: Cannot get a token for "bo@other.org": Google refused client "${clientId}" for scope "${auth}calendar.readonly" (unauthorized_client), for one of three reasons: the domain-wide delegation entry lacks that scope, "bo@other.org" is not a user of the Workspace domain that granted the client, or the entry names another client ID`,
    );
    // The link replaces the client's whole entry: it keeps every scope the CLI may request.
    const scopes = ["calendar", "calendar.events", "calendar.freebusy", "calendar.readonly"]
      .map((s) => `${auth}${s}`)
      .join(",");
    expect(hint).toContain("hint: Check all three. The user: impersonate a user of the domain");
    expect(hint).toContain(
      `https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=${clientId}&clientScopeToAdd=${scopes}&overwriteClientId=true`,
    );
  });

  it("the scope fallback's message keeps the other causes (calendars list as a user of another domain)", async () => {
    const r = await dwd(["calendars", "list", "--subject", "bo@other.org"], env);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toBe(
      `error: Cannot call calendar.calendarList.list as "bo@other.org": client "${clientId}" is not authorized for domain-wide delegation of any of "calendar.readonly", "calendar"; or "bo@other.org" is not a user of the Workspace domain that granted it; or the entry names another client ID (the method accepts any one of "calendar", "calendar.calendarlist", "calendar.calendarlist.readonly", "calendar.readonly")`,
    );
  });
});

describe("item 9: retries are visible and bounded", () => {
  it("--timeout bounds a whole call with its retries: under a 503 fault it ends at the deadline, each retry said", async () => {
    server.emulator.faults.errorRates = { "503": 1 };
    // Ten retries wait ~30 s on average: without the bound the call outlives the deadline many times over.
    const r = await dwd(
      ["events", "list", "primary", "--subject", ana, "--timeout", "3s", "--retries", "10"],
      env,
    );
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^retry 1 of 10: calendar\.events\.list as "ana@example\.com" failed with 503 backend_error; trying again in \d+(\.\d)? m?s$/,
    );
    expect(lines.slice(-2)).toEqual([
      "error: Cannot call calendar.events.list: no answer within 3000 ms",
      "hint: The API or the network is slow, hung or failing (retries count against the deadline too); raise the timeout (timeoutMs; CLI: --timeout), or try again later",
    ]);
    expect(lines.slice(0, -2).every((l) => l.startsWith("retry "))).toBe(true);
  });

  it("--verbose prints each exchange and retry, redacted; --retries 1 sends the call twice", async () => {
    server.emulator.faults.errorRates = { "503": 1 };
    const r = await dwd(
      ["events", "list", "primary", "--subject", ana, "--retries", "1", "--verbose"],
      env,
    );
    expect(r.code).toBe(1);
    const shown = normalise(r.stderr)
      .replace(/ in \d+(\.\d)? m?s/g, " in T")
      .split("\n");
    const events = "http://127.0.0.1:PORT/calendar/v3/calendars/primary/events?maxResults=2500";
    expect(shown.slice(0, 8)).toEqual([
      "http: --> POST http://127.0.0.1:PORT/token  grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=[redacted]",
      "http: <-- 200 POST http://127.0.0.1:PORT/token in T",
      `http: --> GET ${events}`,
      `http: <-- 503 GET ${events} in T`,
      'retry 1 of 1: calendar.events.list as "ana@example.com" failed with 503 backend_error; trying again in T',
      `http: --> GET ${events}`,
      `http: <-- 503 GET ${events} in T`,
      "error: Cannot call calendar.events.list: the Calendar API failed with HTTP 503 backendError: The service is currently unavailable.",
    ]);
    expect(r.stderr).not.toMatch(/eyJ|ya29\.|Bearer/);
  });

  it("DWD_LOG=http logs too; a run over many users ends with one summary line on a pipe", async () => {
    const r = await dwd(["events", "list", "primary", "--subjects", `${ana},former@example.com`], {
      ...env,
      DWD_LOG: "http",
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.some((l) => l.startsWith("http: --> POST http://127.0.0.1:"))).toBe(true);
    expect(lines.at(-1)).toMatch(
      /^summary: 2 users: 1 ok, 1 failed; 1 request, 2 token exchanges, 0 retries; \d+\.\d s$/,
    );
    const quiet = await dwd(
      ["events", "list", "primary", "--subjects", `${ana},bob@example.com`],
      env,
    );
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toMatch(
      /^summary: 2 users: 2 ok, 0 failed; 1 request, 2 token exchanges, 0 retries; \d+\.\d s\n$/,
    );
  });

  it("--retries outside 0–10 is a usage error", async () => {
    const r = await dwd(["events", "list", "primary", "--subject", ana, "--retries", "11"], env);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'error: Invalid --retries "11": not a number from 0 to 10\nhint: Give how many times a failed call is sent again, e.g. --retries 3 (0: never)\n',
    });
  });
});

describe("item 10: one failed user never spoils a result", () => {
  const window = ["--from", "2026-04-08T12:00:00Z", "--to", "2026-04-08T20:00:00Z"];
  const grid = ["freebusy", "--all-users", "--grid", ...window, "--time-zone", "UTC"];

  it("--all-users skips suspended users and says so; the grid finds everyone's free time", async () => {
    const r = await dwd(grid, env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("former@example.com");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(
      "Everyone is free 12:00–13:00, 14:00–20:00 (UTC)",
    );
    expect(r.stderr.split("\n")[0]).toBe(
      "note: skipped 1 suspended user (former@example.com); --include-suspended acts as them too",
    );
  });

  it("with --include-suspended the failed row is marked and the common slots are those of who answered", async () => {
    const r = await dwd([...grid, "--include-suspended"], env);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.find((l) => l.startsWith("former@example.com"))).toMatch(
      /^former@example\.com {2}\?+ {2}failed: user_suspended$/,
    );
    expect(lines.at(-2)).toMatch(/^free \(answered\) {5}▲+ +▲+$/);
    expect(lines.at(-1)).toBe(
      "The 3 users who answered are all free 12:00–13:00, 14:00–20:00 (UTC); 1 user failed and is left out",
    );
  });

  it("JSON: commonFree is over the users who answered and names who it leaves out", async () => {
    const r = await dwd(
      ["freebusy", "--all-users", "--include-suspended", "--json", ...window, "--time-zone", "UTC"],
      env,
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { commonFree: unknown[]; commonFreeLeavesOut: string[] };
    expect(doc.commonFree).toEqual([
      { start: "2026-04-08T12:00:00.000Z", end: "2026-04-08T13:00:00.000Z" },
      { start: "2026-04-08T14:00:00.000Z", end: "2026-04-08T20:00:00.000Z" },
    ]);
    expect(doc.commonFreeLeavesOut).toEqual(["former@example.com"]);
  });
});

describe("item 11: what text output and hints say", () => {
  it("an unknown command suggests the nearest; --version works after a command too", async () => {
    expect(await dwd(["event"], env)).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'error: Unknown command "event"\nhint: Did you mean "dwd events"? Run "dwd --help" to see the commands\n',
    });
    const sub = await dwd(["calendars", "lst"], env);
    expect(sub.stderr).toBe(
      'error: Unknown command "dwd calendars lst"\nhint: Did you mean "dwd calendars list"? Run "dwd calendars --help" to see the commands\n',
    );
    expect((await dwd(["xyzzy"], env)).stderr).toBe(
      'error: Unknown command "xyzzy"\nhint: Run "dwd --help" to see the commands\n',
    );
    const { version } = (await import("../package.json", { with: { type: "json" } })).default;
    expect(await dwd(["events", "--version"], env)).toEqual({
      code: 0,
      stdout: `${version}\n`,
      stderr: "",
    });
  });

  it("a cancelled event reads as cancelled", async () => {
    const body = JSON.stringify({
      id: "cancelled0first0touch",
      summary: "Retro",
      start: { dateTime: "2026-04-09T10:00:00Z" },
      end: { dateTime: "2026-04-09T11:00:00Z" },
    });
    const as = ["--subject", "bob@example.com"];
    expect((await dwd(["events", "create", "primary", "--body", body, ...as], env)).code).toBe(0);
    expect(
      (await dwd(["events", "delete", "primary", "cancelled0first0touch", ...as], env)).code,
    ).toBe(0);
    const got = await dwd(["events", "get", "primary", "cancelled0first0touch", ...as], env);
    expect(got.stdout).toBe(
      "cancelled0first0touch  2026-04-09T10:00:00Z → 2026-04-09T11:00:00Z  [cancelled] Retro\n",
    );
  });

  it("calendars subscribe on an entry that exists says it is in the list, not events.update", async () => {
    const r = await dwd(["calendars", "subscribe", ana, "--subject", ana], env);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[1]).toBe(
      `hint: The calendar is already in "${ana}"'s calendar list: nothing to add; change the entry with calendarList.patch (color, hidden, notifications)`,
    );
  });

  it("settings with an unknown name points at the setting, not at primary", async () => {
    const r = await dwd(["settings", "bogus", "--subject", ana], env);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[1]).toBe(
      "hint: Check the setting's name (e.g. timezone, weekStart, format24HourTime); settings.list shows every setting the user has",
    );
  });

  it("a line Google refuses as written is not told to run the same command again", async () => {
    const file = join(dir, "refused.ndjson");
    // An event without start and end: refused as written (400), every time.
    await writeFile(file, `${JSON.stringify({ summary: "no times" })}\n`);
    const r = await dwd(["events", "create", "primary", "--file", file, "--subject", ana], env);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain("Run the same command again");
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(
      "hint: Fix line 1 (refused as written; running again sends the same), then run the command again: events already created are skipped (same IDs)",
    );
  });
});

describe("hostile input is exit 2 (or an answer), never a stack trace", () => {
  it("an NDJSON line nested 5,000 deep", async () => {
    const file = join(dir, "deep.ndjson");
    await writeFile(file, `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}\n`);
    const r = await dwd(["events", "create", "primary", "--file", file, "--subject", ana], env);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: Invalid event in "${file}" line 1: it nests deeper than 100 levels\nhint: An event nests a few levels at most (e.g. extendedProperties.private.key): fix the line\n`,
    });
  });

  it("--body nested 5,000 deep", async () => {
    const body = `{"a":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const r = await dwd(
      ["events", "update", "primary", "x1234", "--subject", ana, "--body", body],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      "error: Invalid event in --body: it nests deeper than 100 levels",
    );
  });

  it("a control character in a --subjects-file line and in --subjects", async () => {
    const file = join(dir, "users.txt");
    await writeFile(file, `${ana}\nbo\u0001b@example.com\n`);
    const r = await dwd(["events", "list", "primary", "--subjects-file", file], env);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: Invalid user "bo\\u0001b@example.com" in "${file}" line 2: it holds a control character\nhint: Give users as plain emails, e.g. ana@example.com (check the file's encoding and line endings)\n`,
    });
    const list = await dwd(
      ["events", "list", "primary", "--subjects", `${ana},b\u007fob@example.com`],
      env,
    );
    expect(list.code).toBe(2);
    expect(list.stderr.split("\n")[0]).toBe(
      'error: Invalid user "b\\u007fob@example.com" in --subjects: it holds a control character',
    );
  });

  it("a 12 MB event summary of base64-like text is printed redacted, not a stack overflow", async () => {
    const summary = "Ab".repeat(6_000_000);
    const api = await listen((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          items: [
            { id: "big1", summary, start: { date: "2026-04-08" }, end: { date: "2026-04-09" } },
          ],
        }),
      );
    });
    try {
      const r = await dwd(
        ["events", "list", "primary", "--subject", ana, "--api-root", `${api.url}/calendar/v3`],
        env,
      );
      noStack(r.stderr);
      expect(r).toEqual({
        code: 0,
        stdout: "2026-04-08\t2026-04-09\t[redacted]\tbig1\n",
        stderr: "",
      });
    } finally {
      await api.close();
    }
  });

  it("an answer past the 64 MiB cap SECURITY.md states is refused (exit 1), naming the cap", async () => {
    const api = await listen((_req, res) => {
      res.setHeader("content-type", "application/json");
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const more = (): void => {
        while (sent <= 64 && res.write(chunk)) sent++;
        if (sent <= 64) res.once("drain", more);
        else res.end();
      };
      more();
    });
    try {
      const r = await dwd(
        [
          "events",
          "list",
          "primary",
          "--subject",
          ana,
          "--retries",
          "0",
          "--api-root",
          `${api.url}/calendar/v3`,
        ],
        env,
      );
      expect(r.code).toBe(1);
      noStack(r.stderr);
      expect(r.stderr.split("\n")[0]).toContain(
        `the answer is larger than ${64 * 1024 * 1024} bytes`,
      );
    } finally {
      await api.close();
    }
  });
});
