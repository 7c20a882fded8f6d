import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, mirrorSubjects, parseConfig } from "../src/config.ts";
import { parseMirrorFile } from "../src/mirror-file.ts";
import { UsageError } from "../src/_internal/usage-error.ts";
import { runServer } from "./spawn.ts";

const valid = {
  delegation: { keyFile: "key.json", checkSubject: "info@example.com" },
  callers: [
    {
      name: "booking-app",
      tokenSha256: "a".repeat(64),
      subjects: ["*@example.com"],
      operations: ["freebusy"],
      scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
    },
  ],
  subjectLists: { sales: ["Ana@example.com", "bob@example.com"] },
};

function refusal(json: unknown): ConfigError {
  try {
    parseConfig(json, "dwd-server.json");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("parseConfig accepted it");
}

describe("the mirror section", () => {
  it("is off when absent", () => {
    const config = parseConfig(valid, "dwd-server.json");
    expect(config.mirror).toBeUndefined();
    expect(mirrorSubjects(config)).toStrictEqual([]);
  });

  it("fills the defaults and resolves list:NAME into lower-cased emails, each once", () => {
    const config = parseConfig(
      {
        ...valid,
        mirror: {
          users: ["list:sales", "carol@example.com", "BOB@example.com"],
          pushUrl: "https://dwd.example.com/v1/push",
        },
      },
      "dwd-server.json",
    );
    expect(config.mirror).toStrictEqual({
      users: ["list:sales", "carol@example.com", "BOB@example.com"],
      pushUrl: "https://dwd.example.com/v1/push",
      horizonDays: 90,
      channelTtlHours: 168,
      reconcileMinutes: 15,
      callsPerSecond: 10,
    });
    expect(mirrorSubjects(config)).toStrictEqual([
      "ana@example.com",
      "bob@example.com",
      "carol@example.com",
    ]);
  });

  it("takes a reconcile interval in fractions of a minute", () => {
    const config = parseConfig(
      {
        ...valid,
        mirror: {
          users: ["a@example.com"],
          pushUrl: "https://d.example.com/v1/push",
          reconcileMinutes: 0.5,
        },
      },
      "x",
    );
    expect(config.mirror?.reconcileMinutes).toBe(0.5);
  });

  it("takes http on a loopback address (the emulator) and a path before /v1/push (a proxy)", () => {
    for (const pushUrl of [
      "http://127.0.0.1:8080/v1/push",
      "http://localhost:9/v1/push",
      "http://[::1]:8080/v1/push",
      "https://gw.example.com/dwd/v1/push",
    ])
      expect(
        parseConfig({ ...valid, mirror: { users: ["a@example.com"], pushUrl } }, "x").mirror
          ?.pushUrl,
      ).toBe(pushUrl);
  });

  const cases: { name: string; mirror: unknown; field: string; problem: string; hint: RegExp }[] = [
    {
      name: "an unknown list",
      mirror: { users: ["list:nope"], pushUrl: "https://dwd.example.com/v1/push" },
      field: "mirror.users[0]",
      problem: 'names the list "nope", which "subjectLists" does not define',
      hint: /^Write an email \("ana@example\.com"\) or a named list/,
    },
    {
      name: "plain http to another machine",
      mirror: { users: ["a@example.com"], pushUrl: "http://dwd.example.com/v1/push" },
      field: "mirror.pushUrl",
      problem:
        'must be an https:// URL (Google posts notifications only over HTTPS; http is allowed on a loopback address), got "http://dwd.example.com/v1/push"',
      hint: /^Write the public HTTPS address of this server's \/v1\/push/,
    },
    {
      name: "an address that is not /v1/push",
      mirror: { users: ["a@example.com"], pushUrl: "https://dwd.example.com/hooks" },
      field: "mirror.pushUrl",
      problem: `must be this server's /v1/push (its path ends in /v1/push), got the path "/hooks"`,
      hint: /https:\/\/dwd\.example\.com\/v1\/push/,
    },
    {
      name: "not a URL",
      mirror: { users: ["a@example.com"], pushUrl: "dwd.example.com/v1/push" },
      field: "mirror.pushUrl",
      problem: 'must be a URL, got "dwd.example.com/v1/push"',
      hint: /HTTPS/,
    },
    {
      name: "a horizon over a year",
      mirror: {
        users: ["a@example.com"],
        pushUrl: "https://d.example.com/v1/push",
        horizonDays: 400,
      },
      field: "mirror.horizonDays",
      problem: "must be at most 365, got 400",
      hint: /^Set "mirror\.horizonDays" to days ahead kept in the mirror/,
    },
    {
      name: "a reconcile interval under 6 seconds",
      mirror: {
        users: ["a@example.com"],
        pushUrl: "https://d.example.com/v1/push",
        reconcileMinutes: 0.05,
      },
      field: "mirror.reconcileMinutes",
      problem: "must be at least 0.1, got 0.05",
      hint: /reconcile/,
    },
    {
      name: "a wildcard user",
      mirror: { users: ["*@example.com"], pushUrl: "https://d.example.com/v1/push" },
      field: "mirror.users[0]",
      problem: "must match",
      hint: /named list/,
    },
    {
      name: "no pushUrl",
      mirror: { users: ["a@example.com"] },
      field: "mirror.pushUrl",
      problem: "is required",
      hint: /^Write the public HTTPS address/,
    },
  ];
  for (const c of cases)
    it(`refuses ${c.name} with the field, the problem and the fix`, () => {
      const error = refusal({ ...valid, mirror: c.mirror });
      expect(error.code).toBe("invalid_config");
      expect(error.issues[0]!.field).toBe(c.field);
      expect(error.issues[0]!.problem.startsWith(c.problem)).toBe(true);
      expect(
        error.message.startsWith(
          `Cannot use the configuration "dwd-server.json": "${c.field}" ${c.problem}`,
        ),
      ).toBe(true);
      expect(error.hint).toMatch(c.hint);
    });
});

describe("the --mirror file", () => {
  it("reads one email a line, skipping blank lines and # comments", () => {
    expect(
      parseMirrorFile(
        "# sales\nAna@example.com\n\n  bob@example.com  # the boss\r\nana@example.com\n",
        "u.txt",
      ),
    ).toStrictEqual(["ana@example.com", "bob@example.com"]);
  });

  it("names the bad line, with a hint", () => {
    const bad = (): string[] => parseMirrorFile("ana@example.com\n\nnot an email\n", "u.txt");
    expect(bad).toThrow(UsageError);
    expect(bad).toThrow('--mirror "u.txt" line 3: "not an email" is not an email');
    try {
      bad();
    } catch (error) {
      expect((error as UsageError).hint).toBe(
        "Write one email a line (ana@example.com); blank lines and # comments are ignored",
      );
    }
    expect(() => parseMirrorFile("# nobody\n", "u.txt")).toThrow('--mirror "u.txt" names no user');
  });
});

describe("dwd-server --mirror (bundled)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "dwd-mirror-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("refuses a bad line of the file: one error line with its number, a hint, exit 2", async () => {
    const file = join(tmp, "users.txt");
    writeFileSync(file, "ana@example.com\n# ok\nbob at example.com\n");
    const r = await runServer("node", ["--emulator", "--port", "0", "--mirror", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: --mirror "${file}" line 3: "bob at example.com" is not an email\n` +
        "hint: Write one email a line (ana@example.com); blank lines and # comments are ignored\n",
    );
  });

  it("refuses a missing file and --mirror with --config, exit 2", async () => {
    const missing = await runServer("node", [
      "--emulator",
      "--port",
      "0",
      "--mirror",
      join(tmp, "none.txt"),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `error: Cannot read the --mirror file "${join(tmp, "none.txt")}": no such file\n` +
        "hint: Check the path given to --mirror (a file with one email a line)\n",
    );
    const r = await runServer("node", ["--config", "x.json", "--mirror", "u.txt"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: --mirror is for the demo modes (--emulator, --emulator-url)\n" +
        'hint: Add a "mirror" section to the configuration file instead (users, pushUrl)\n',
    );
  });

  it("refuses a configuration whose mirror names an unknown list, exit 2", async () => {
    const file = join(tmp, "bad-mirror.json");
    writeFileSync(
      file,
      JSON.stringify({
        ...valid,
        mirror: { users: ["list:nope"], pushUrl: "https://d.example.com/v1/push" },
      }),
    );
    const r = await runServer("node", ["--config", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: Cannot use the configuration "${file}": "mirror.users[0]" names the list "nope", which "subjectLists" does not define\n` +
        'hint: Write an email ("ana@example.com") or a named list ("list:sales") defined in "subjectLists"\n',
    );
  });
});
