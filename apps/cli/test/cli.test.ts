import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pkg from "../package.json" with { type: "json" };
import { cleanEnv, dwd, dwdFirstLine, dwdPath, normalise } from "./helpers.ts";

let server: RunningEmulator;
let keysDir: string;
let botJson: string;
let botP12: string;
let ungrantedJson: string;
let botEmail: string;
let ungrantedClientId: string;
let env: Record<string, string>;

const readonly = "https://www.googleapis.com/auth/calendar.readonly";
const events = "https://www.googleapis.com/auth/calendar.events";
/** Every scope the CLI may request, sorted: what a prefilled Admin-console link must keep. */
const everyCliScope = ["calendar", "calendar.events", "calendar.freebusy", "calendar.readonly"]
  .map((s) => `https://www.googleapis.com/auth/${s}`)
  .join(",");

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), "dwd-cli-test-"));
  server = await startEmulator({ scenario: "demo", port: 0, host: "127.0.0.1", keysDir });
  const bot = server.keyFiles["calendar-bot"];
  const ungranted = server.keyFiles["ungranted-bot"];
  if (!bot || !ungranted) throw new Error("demo scenario without calendar-bot/ungranted-bot");
  botJson = bot.json;
  botP12 = bot.p12;
  ungrantedJson = ungranted.json;
  botEmail = server.emulator.serviceAccount("calendar-bot").email;
  ungrantedClientId = server.emulator.serviceAccount("ungranted-bot").clientId;
  env = cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host });
});

afterAll(async () => {
  await server.close();
  await rm(keysDir, { recursive: true, force: true });
});

const noStack = (text: string): void => expect(text).not.toMatch(/^\s+at /m);

describe("dwd calendars", () => {
  it("get with the JSON key and a subject prints the summary", async () => {
    const r = await dwd(
      ["calendars", "get", "info@example.com", "--key", botJson, "--subject", "info@example.com"],
      env,
    );
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });

  it("get with the .p12 key and --key-email prints the summary", async () => {
    const r = await dwd(
      [
        "calendars",
        "get",
        "info@example.com",
        "--key",
        botP12,
        "--key-email",
        botEmail,
        "--subject",
        "info@example.com",
      ],
      env,
    );
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });

  it("get --json prints the entry", async () => {
    const r = await dwd(
      [
        "calendars",
        "get",
        "info@example.com",
        "--key",
        botJson,
        "--subject",
        "info@example.com",
        "--json",
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      kind: "calendar#calendarListEntry",
      id: "info@example.com",
      summary: "info@example.com",
      primary: true,
    });
  });

  it("get honours explicit --token-uri and --api-root without DWD_EMULATOR_HOST", async () => {
    const r = await dwd(
      [
        "calendars",
        "get",
        "primary",
        "--key",
        botJson,
        "--subject",
        "info@example.com",
        "--token-uri",
        `${server.url}/token`,
        "--api-root",
        `${server.url}/calendar/v3`,
      ],
      cleanEnv(),
    );
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });

  it("list prints one line per entry: ID and summary", async () => {
    const r = await dwd(
      ["calendars", "list", "--key", botJson, "--subject", "info@example.com"],
      env,
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines).toContainEqual(expect.stringMatching(/^info@example\.com\s+info@example\.com$/));
    expect(lines).toContainEqual(expect.stringMatching(/\s+Support rota$/));
  });

  it("list --json prints every entry as an array", async () => {
    const r = await dwd(
      ["calendars", "list", "--key", botJson, "--subject", "info@example.com", "--json"],
      env,
    );
    const entries = JSON.parse(r.stdout) as { summary: string }[];
    expect(entries.map((e) => e.summary).sort()).toEqual(["Support rota", "info@example.com"]);
  });

  it("get without --subject exits 1 with the 404 diagnosis and the hint to set the subject", async () => {
    const r = await dwd(["calendars", "get", "info@example.com", "--key", botJson], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([
      `error: Cannot get calendar "info@example.com" from the calendar list of service account "${botEmail}": Google answered 404 Not Found because no subject was set, so the call ran as the service account, whose own calendar list does not contain it`,
      'hint: Set the subject to impersonate the user through domain-wide delegation (CLI: --subject info@example.com; library: subject: "info@example.com"), or, if the calendar is shared with the service account, use calendars.get or events.list, which need no calendar-list entry',
      "",
    ]);
  });

  it("get as ungranted-bot exits 1 with the unauthorized-client diagnosis: client ID, scope and Admin-console link", async () => {
    const r = await dwd(
      [
        "calendars",
        "get",
        "info@example.com",
        "--key",
        ungrantedJson,
        "--subject",
        "info@example.com",
      ],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const [error, hint, ...rest] = r.stderr.split("\n");
    expect(rest).toEqual([""]);
    // No scope calendarList.get accepts is granted: the error names the ones tried and every one the method accepts.
    expect(error).toBe(
      `error: Cannot call calendar.calendarList.get as "info@example.com": client "${ungrantedClientId}" is not authorized for domain-wide delegation of any of "calendar.readonly", "calendar"; or "info@example.com" is not a user of the Workspace domain that granted it; or the entry names another client ID (the method accepts any one of "calendar", "calendar.app.created", "calendar.calendarlist", "calendar.calendarlist.readonly", "calendar.readonly")`,
    );
    expect(hint).toContain(
      "Security → Access and data control → API controls → Domain-wide delegation",
    );
    expect(hint).toContain(
      // The link replaces the client's entry: it lists every scope dwd may request, not only the one tried.
      `https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=${ungrantedClientId}&clientScopeToAdd=${everyCliScope}&overwriteClientId=true`,
    );
    const clientId = (JSON.parse(await readFile(ungrantedJson, "utf8")) as { client_id: string })
      .client_id;
    expect(clientId).toBe(ungrantedClientId);
  });
});

describe("bad local input and usage errors exit 2 without a stack trace", () => {
  const cases = [
    {
      name: "a missing key file",
      args: ["calendars", "get", "x", "--key", "/nonexistent/key.json"],
      error: /^error: Cannot load key "\/nonexistent\/key\.json": .+$/,
    },
    {
      name: "an unknown option",
      args: ["calendars", "get", "x", "--subjet", "a@example.com"],
      error: /^error: Unknown option "--subjet" for dwd calendars get$/,
    },
    {
      name: "an unknown command",
      args: ["calendar", "get", "x"],
      error: /^error: Unknown command "calendar"$/,
    },
    {
      name: "an unknown subcommand",
      args: ["calendars", "frobnicate", "x"],
      error: /^error: Unknown command "dwd calendars frobnicate"$/,
    },
    {
      name: "a missing calendar ID",
      args: ["calendars", "get", "--key", "k.json"],
      error: /^error: Missing required positional argument: CALENDARID$/,
    },
    {
      name: "a flag without its value",
      args: ["calendars", "get", "x", "--key"],
      error: /^error: Missing value for --key$/,
    },
    {
      name: "an extra argument",
      args: ["calendars", "get", "x", "y"],
      error: /^error: Unexpected argument "y" for dwd calendars get$/,
    },
    {
      name: "a missing command",
      args: ["calendars"],
      error:
        /^error: Missing command: dwd calendars needs one of "get", "list", "subscribe", "unsubscribe", "set", "create", "info", "update", "delete", "clear"$/,
    },
    {
      name: "a bad port",
      args: ["emulator", "start", "--port", "http"],
      error: /^error: Invalid --port "http": not a port number$/,
    },
    {
      name: "doctor without --subject",
      args: ["doctor", "--key", "k.json"],
      error: /^error: Missing required option --subject for dwd doctor$/,
    },
    {
      name: "a .p12 key without --key-email",
      args: ["calendars", "get", "x", "--key", "P12"],
      error: /^error: .*(email|e-mail).*$/i,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, async () => {
      const r = await dwd(
        c.args.map((a) => (a === "P12" ? botP12 : a)),
        env,
      );
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines[0]).toMatch(c.error);
      expect(lines[1]).toMatch(/^hint: \S/);
      expect(lines).toHaveLength(2);
      noStack(r.stderr);
    });
  }
});

describe("output that cannot be written", () => {
  it.runIf(existsSync("/dev/full"))(
    "stdout on a full device (ENOSPC) exits 2 with one error line and a hint, no stack",
    () => {
      const full = openSync("/dev/full", "w");
      try {
        const r = spawnSync(process.execPath, [dwdPath, "--help"], {
          stdio: ["ignore", full, "pipe"],
          env,
          encoding: "utf8",
        });
        expect(r.status).toBe(2);
        expect(r.stderr.trimEnd().split("\n")).toEqual([
          "error: Cannot write to standard output: ENOSPC",
          "hint: Check where the output goes (a full disk, a closed or read-only file)",
        ]);
      } finally {
        closeSync(full);
      }
    },
  );
});

/** A local port nothing listens on: one the system just handed out and that was closed again. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

describe("an unreachable endpoint exits 1 with one error line naming it, and a hint", () => {
  const cases = [
    {
      name: "the token endpoint",
      endpoints: (closed: string) => [
        "--token-uri",
        `${closed}/token`,
        "--api-root",
        `${server.url}/calendar/v3`,
      ],
      error: (closed: string) =>
        `error: Cannot get a token for "info@example.com": the token endpoint "${closed}/token" cannot be reached (ECONNREFUSED)`,
    },
    {
      name: "the Calendar API root",
      endpoints: (closed: string) => [
        "--token-uri",
        `${server.url}/token`,
        "--api-root",
        `${closed}/calendar/v3`,
      ],
      // @dwd/calendar writes "<error>: <cause>"; the CLI's transport already puts the cause's text in the error (reported to cal-lib/harden-cli).
      error: (closed: string) =>
        `error: Cannot call calendar.calendarList.get: the Calendar API at "${closed}/calendar/v3" cannot be reached (connect ECONNREFUSED ${closed.slice("http://".length)})`,
    },
  ];
  for (const c of cases) {
    it(`calendars get with ${c.name} on a closed port`, async () => {
      const closed = `http://127.0.0.1:${String(await closedPort())}`;
      const r = await dwd(
        [
          "calendars",
          "get",
          "primary",
          "--key",
          botJson,
          "--subject",
          "info@example.com",
          ...c.endpoints(closed),
        ],
        cleanEnv(),
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      // Each retry of the call is said on a line of its own before the error (the wait is not silent).
      const all = r.stderr.trimEnd().split("\n");
      const lines = all.filter((l) => !l.startsWith("retry "));
      for (const l of all.filter((l) => l.startsWith("retry ")))
        expect(l).toMatch(
          /^retry \d of 5: calendar\.calendarList\.get as "info@example\.com" failed with api_unreachable; trying again in /,
        );
      expect(lines[0]).toBe(c.error(closed));
      expect(lines[1]).toMatch(/^hint: \S/);
      expect(lines).toHaveLength(2);
      noStack(r.stderr);
    });
  }
});

describe("dwd token", () => {
  it("prints only the access token on stdout, and the token works against the Calendar API", async () => {
    const r = await dwd(
      ["token", "--key", botJson, "--subject", "info@example.com", "--scopes", "calendar.readonly"],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^ya29\.emu\.\S+\n$/);
    const response = await fetch(
      `${server.url}/calendar/v3/users/me/calendarList/info%40example.com`,
      { headers: { authorization: `Bearer ${r.stdout.trim()}` } },
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { summary: string }).summary).toBe("info@example.com");
  });

  it("exits 1 and prints no token when the scope is not granted", async () => {
    const r = await dwd(
      ["token", "--key", botJson, "--subject", "info@example.com", "--scopes", events],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(events);
    expect(r.stderr).not.toContain("ya29.");
  });
});

describe("dwd doctor", () => {
  it("passes every step for a correct setup", async () => {
    const r = await dwd(["doctor", "--key", botJson, "--subject", "info@example.com"], env);
    expect(r.code).toBe(0);
    expect(
      normalise(r.stdout, {
        [botJson]: "KEY",
        [botEmail]: "BOT",
        [server.emulator.serviceAccount("calendar-bot").clientId]: "CLIENT",
        [server.emulator.serviceAccount("calendar-bot").keyId]: "KEYID",
      }),
    ).toMatchInlineSnapshot(`
      "dwd doctor: BOT as "info@example.com", scopes https://www.googleapis.com/auth/calendar.readonly
      token endpoint http://127.0.0.1:PORT/token, Calendar API http://127.0.0.1:PORT/calendar/v3

      PASS  key       JSON service-account key for "BOT" (client ID CLIENT, key ID KEYID)
      PASS  clock     Local clock agrees with the token endpoint's Date header (to the second)
      PASS  token     The token endpoint issues "BOT" a token for itself (no subject): the key is valid and the account enabled
      PASS  scope     Delegated token for "info@example.com" with scope "https://www.googleapis.com/auth/calendar.readonly"
      PASS  calendar  calendarList.get("info@example.com") as "info@example.com": "info@example.com" (owner)

      All checks passed
      "
    `);
  });

  it("fails and names the scope that is not granted, with one link for the full set", async () => {
    const r = await dwd(
      [
        "doctor",
        "--key",
        botJson,
        "--subject",
        "info@example.com",
        "--scopes",
        `calendar.readonly,${events}`,
      ],
      env,
    );
    expect(r.code).toBe(1);
    const clientId = server.emulator.serviceAccount("calendar-bot").clientId;
    expect(r.stdout).toMatch(
      new RegExp(`^FAIL  scope {5}.*"${events.replace(/\./g, "\\.")}"`, "m"),
    );
    expect(r.stdout).toMatch(/^PASS {2}scope .*calendar\.readonly/m);
    expect(r.stdout).toContain(`Scopes not granted for "info@example.com": ${events}`);
    const fullSet = `https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=${clientId}&clientScopeToAdd=${everyCliScope}&overwriteClientId=true`; // sorted, as every link dwd prints
    // Both the failing step's fix and the summary link every scope dwd uses and every --scopes scope:
    // the link replaces the entry.
    expect(r.stdout.split(fullSet)).toHaveLength(3);
    expect(r.stdout).not.toContain(`clientScopeToAdd=${events}&`);
    expect(r.stdout).toContain(
      `Grant them all in one step: ${fullSet} (it replaces the entry of client ${clientId} with exactly these scopes: every scope dwd uses and --scopes; add any other scope the entry already holds)`,
    );
    expect(r.stdout).toMatch(/1 check failed\n$/);
  });

  it("--json reports the missing scopes", async () => {
    const r = await dwd(
      [
        "doctor",
        "--key",
        botJson,
        "--subject",
        "info@example.com",
        "--scopes",
        `${readonly} ${events}`,
        "--json",
      ],
      env,
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      missingScopes: string[];
      steps: { id: string; status: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.missingScopes).toEqual([events]);
    expect(report.steps.map((s) => `${s.id}:${s.status}`)).toEqual([
      "key:pass",
      "clock:pass",
      "token:pass",
      "scope:pass",
      "scope:fail",
      "calendar:pass",
    ]);
    expect(r.stdout).not.toContain("ya29.");
  });

  it("fails every delegated step for a client without a grant", async () => {
    const r = await dwd(
      ["doctor", "--key", ungrantedJson, "--subject", "info@example.com", "--json"],
      env,
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      adminConsoleLink: string;
      steps: { id: string; status: string; code?: string }[];
    };
    expect(report.steps.map((s) => `${s.id}:${s.status}`)).toEqual([
      "key:pass",
      "clock:pass",
      "token:pass",
      "scope:fail",
      "calendar:skip",
    ]);
    expect(report.steps[3]?.code).toBe("delegation_not_authorized");
    expect(report.adminConsoleLink).toContain(`clientIdToAdd=${ungrantedClientId}`);
  });

  it("does not call scopes missing when the subject is unknown: it names the user", async () => {
    const r = await dwd(
      ["doctor", "--key", botJson, "--subject", "nobody@example.com", "--json"],
      env,
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      missingScopes: string[];
      adminConsoleLink?: string;
      steps: { id: string; status: string; code?: string }[];
    };
    expect(report.missingScopes).toEqual([]);
    expect(report.adminConsoleLink).toBeUndefined();
    expect(report.steps.filter((s) => s.id === "scope").map((s) => s.code)).toEqual([
      "unknown_subject",
    ]);
    const text = await dwd(["doctor", "--key", botJson, "--subject", "nobody@example.com"], env);
    expect(text.stdout).not.toContain("Scopes not granted");
    expect(text.stdout).toMatch(
      /^FAIL {2}scope .*"nobody@example\.com" is not a user of the Workspace domain/m,
    );
  });

  it("fails the clock step when the token endpoint's clock is 2 minutes ahead", async () => {
    server.emulator.faults.clockOffsetMs = 120_000;
    try {
      const r = await dwd(
        ["doctor", "--key", botJson, "--subject", "info@example.com", "--json"],
        env,
      );
      expect(r.code).toBe(1);
      const report = JSON.parse(r.stdout) as {
        steps: { id: string; status: string; offsetSeconds?: number; code?: string }[];
      };
      expect(report.steps[1]).toMatchObject({ id: "clock", status: "fail", code: "clock_skew" });
      expect(report.steps[1]?.offsetSeconds).toBeGreaterThanOrEqual(119);
      expect(report.steps[1]?.offsetSeconds).toBeLessThanOrEqual(121);
    } finally {
      server.emulator.faults.clockOffsetMs = 0;
    }
  });

  it("exits 2 when the key cannot be loaded", async () => {
    const r = await dwd(
      ["doctor", "--key", "/nonexistent.json", "--subject", "info@example.com"],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^FAIL {2}key /m);
    expect(r.stdout).toMatch(/^SKIP {2}clock /m);
  });
});

describe("dwd emulator start", () => {
  it("prints the base URL on its first line, writes the keys, serves, and closes cleanly on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-cli-emu-"));
    let running: ChildProcess | undefined;
    try {
      const { child, firstLine, exit } = await dwdFirstLine(
        ["emulator", "start", "--port", "0", "--keys-dir", dir],
        cleanEnv(),
      );
      running = child;
      expect(firstLine).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(existsSync(join(dir, "calendar-bot.json"))).toBe(true);
      expect(existsSync(join(dir, "calendar-bot.p12"))).toBe(true);
      const r = await dwd(
        [
          "calendars",
          "get",
          "info@example.com",
          "--key",
          join(dir, "calendar-bot.json"),
          "--subject",
          "info@example.com",
        ],
        cleanEnv({ DWD_EMULATOR_HOST: new URL(firstLine).host }),
      );
      expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
      child.kill("SIGTERM");
      const end = await exit;
      expect(end.code).toBe(0);
      expect(end.stdout).toBe(`${firstLine}\n`);
      expect(end.stderr).toContain(`export DWD_EMULATOR_HOST=${new URL(firstLine).host}`);
    } finally {
      // A failed expectation above must not leave the emulator serving after the run.
      if (running !== undefined && running.exitCode === null && running.signalCode === null)
        running.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 for a scenario file that does not exist", async () => {
    const r = await dwd(
      ["emulator", "start", "--scenario", "/nonexistent/scenario.json"],
      cleanEnv(),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: Cannot read scenario "\/nonexistent\/scenario\.json": no such file\nhint: /,
    );
  });
});

describe("dwd demo", () => {
  it("shows the four results and exits 0, with no key and no network", async () => {
    const r = await dwd(["demo"], cleanEnv());
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const out = normalise(r.stdout).replace(/\d{21}/g, "CLIENTID");
    expect(out.match(/✓ as expected/g)).toHaveLength(4);
    expect(out).toContain("   info@example.com\n   ✓ as expected: the entry's summary");
    expect(out).toContain(
      "--key $KEYS/calendar-bot.p12 --key-email calendar-bot@dwd-emulator.iam.gserviceaccount.com",
    );
    expect(out).toContain(
      'error: Cannot get calendar "info@example.com" from the calendar list of service account',
    );
    expect(out).toContain("hint: Set the subject");
    expect(out).toContain('client "CLIENTID" is not authorized for domain-wide delegation');
    expect(out).toContain(
      "https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=CLIENTID&",
    );
    expect(out).toMatch(/All 4 steps behaved as expected\n$/);
  });
});

describe("help, version and color", () => {
  it("--help lists the commands and exits 0", async () => {
    const r = await dwd(["--help"]);
    expect(r.code).toBe(0);
    for (const name of ["calendars", "token", "doctor", "emulator", "demo"])
      expect(r.stdout).toMatch(new RegExp(`^\\s+${name}\\s`, "m"));
  });

  it("--help works on every command", async () => {
    for (const args of [
      ["calendars", "get"],
      ["calendars", "list"],
      ["token"],
      ["doctor"],
      ["emulator", "start"],
      ["demo"],
      ["calendars"],
    ]) {
      const r = await dwd([...args, "--help"]);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toContain("USAGE");
    }
  });

  it("--version prints the package version", async () => {
    expect(await dwd(["--version"])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it("colors only when asked (FORCE_COLOR) and never with NO_COLOR", async () => {
    const args = ["calendars", "get", "info@example.com", "--key", botJson];
    const forced = await dwd(args, { ...env, FORCE_COLOR: "1" });
    expect(forced.stderr).toContain("\u001B[");
    // NO_COLOR wins even over FORCE_COLOR (Node itself warns about the pair; NODE_NO_WARNINGS hushes that).
    const noColor = await dwd(args, {
      ...env,
      FORCE_COLOR: "1",
      NO_COLOR: "1",
      NODE_NO_WARNINGS: "1",
    });
    expect(noColor.stderr).not.toContain("\u001B[");
    // eslint-disable-next-line no-control-regex
    expect(noColor.stderr).toBe(forced.stderr.replace(/\u001B\[[0-9;]*m/g, ""));
    const help = await dwd(["--help"], cleanEnv({ NO_COLOR: "1" }));
    expect(help.stdout).not.toContain("\u001B[");
    const pipe = await dwd(args, env); // not a TTY
    expect(pipe.stderr).not.toContain("\u001B[");
  });
});
