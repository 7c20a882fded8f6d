// End to end: the bundled dwd selects users from the emulator's Directory (users.list, members.list) as an
// admin, on a real port; Directory requests are counted at the emulator.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd } from "./helpers.ts";

const auth = "https://www.googleapis.com/auth/";
const calendarScopes = [
  "calendar",
  "calendar.readonly",
  "calendar.events",
  "calendar.freebusy",
].map((s) => auth + s);
const directoryScopes = [
  `${auth}admin.directory.user.readonly`,
  `${auth}admin.directory.group.member.readonly`,
];
// 1,000 users in /Sales (and below it), one of them suspended; a few elsewhere.
const salesUsers = Array.from({ length: 1000 }, (_, i) => ({
  email: `s${String(i + 1).padStart(4, "0")}@example.com`,
  orgUnitPath: i < 900 ? "/Sales" : "/Sales/EMEA",
  ...(i === 1 ? { suspended: true } : {}),
}));
const scenario = {
  domain: "example.com",
  users: [
    { email: "admin@example.com", name: "Ada Admin", isAdmin: true },
    { email: "ana@example.com", name: "Ana Lima", orgUnitPath: "/Engineering" },
    { email: "bo@example.com", name: "Bo Berg", orgUnitPath: "/Engineering" },
    { email: "cy@example.com", name: "Cy Cole", orgUnitPath: "/Engineering", suspended: true },
    ...salesUsers,
  ],
  serviceAccounts: [
    { name: "directory-bot" },
    { name: "calendar-only-bot" },
    { name: "group-readonly-bot" },
  ],
  grants: [
    {
      serviceAccount: "group-readonly-bot",
      scopes: [
        ...calendarScopes,
        `${auth}admin.directory.user.readonly`,
        `${auth}admin.directory.group.readonly`,
      ],
    },
    { serviceAccount: "directory-bot", scopes: [...calendarScopes, ...directoryScopes] },
    { serviceAccount: "calendar-only-bot", scopes: calendarScopes },
  ],
  groups: [
    // nested: eng → leads → eng (a cycle); leads also holds a suspended user and a Sales user.
    { email: "eng@example.com", members: ["ana@example.com", "leads@example.com"] },
    {
      email: "leads@example.com",
      members: ["bo@example.com", "cy@example.com", "s0001@example.com", "eng@example.com"],
    },
  ],
};

let server: RunningEmulator;
let dir: string;
let bot: string;
let calendarOnly: string;
let env: Record<string, string>;

interface Stats {
  byEndpoint: Record<string, number>;
  tokenRequests: number;
}
async function stats(): Promise<Stats> {
  return (await (await fetch(`${server.url}/_emulator/stats`)).json()) as Stats;
}
/** Directory calls by method made while `run` ran. */
async function counting<T>(run: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const before = (await stats()).byEndpoint;
  const result = await run();
  const after = (await stats()).byEndpoint;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after))
    if (k.startsWith("directory.") && v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return [result, out];
}
const subjectsOf = (stdout: string): string[] =>
  (JSON.parse(stdout) as { subject: string }[]).map((e) => e.subject);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-directory-"));
  server = await startEmulator({
    scenario: scenario as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: dir,
  });
  bot = server.keyFiles["directory-bot"]?.json ?? "";
  calendarOnly = server.keyFiles["calendar-only-bot"]?.json ?? "";
  env = cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host, DWD_CONFIG_DIR: join(dir, "cfg") });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("selecting users from Directory", () => {
  it("--ou /Sales: 1,000 users in ⌈1000 / 500⌉ = 2 users.list requests, the suspended one left out", async () => {
    const [r, calls] = await counting(() =>
      dwd(
        [
          "calendars",
          "list",
          "--key",
          bot,
          "--ou",
          "/Sales",
          "--admin",
          "admin@example.com",
          "--json",
        ],
        env,
      ),
    );
    expect(r.code).toBe(0);
    const subjects = subjectsOf(r.stdout);
    expect(subjects).toHaveLength(999);
    expect(new Set(subjects).size).toBe(999);
    expect(subjects).not.toContain("s0002@example.com");
    expect(subjects).toContain("s1000@example.com"); // /Sales/EMEA is below /Sales
    expect(calls).toEqual({ "directory.users.list": 2 });
    expect(r.stderr).toMatch(
      /^note: skipped 1 suspended user; --include-suspended acts as them too\nsummary: 999 users: 999 ok, 0 failed; /,
    );
  }, 120_000);

  it("--all-users --admin lists the whole domain from Directory; --include-suspended keeps suspended users", async () => {
    const [r, calls] = await counting(() =>
      dwd(
        [
          "calendars",
          "list",
          "--key",
          bot,
          "--all-users",
          "--admin",
          "admin@example.com",
          "--query",
          "orgUnitPath='/Engineering'",
          "--json",
        ],
        env,
      ),
    );
    expect(r.code).toBe(0);
    expect(subjectsOf(r.stdout)).toEqual(["ana@example.com", "bo@example.com"]);
    expect(calls).toEqual({ "directory.users.list": 1 });
    const all = await dwd(
      [
        "calendars",
        "list",
        "--key",
        bot,
        "--query",
        "orgUnitPath='/Engineering'",
        "--include-suspended",
        "--admin",
        "admin@example.com",
        "--json",
      ],
      env,
    );
    // cy@ is suspended: Directory names it, the token endpoint refuses to act as it (that user's failure).
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/^error: 1 of 3 users failed:\n {2}cy@example\.com: /);
  });

  it("--query with Directory's search syntax", async () => {
    const r = await dwd(
      [
        "calendars",
        "list",
        "--key",
        bot,
        "--query",
        "name:'Ana Lima'",
        "--admin",
        "admin@example.com",
        "--json",
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(subjectsOf(r.stdout)).toEqual(["ana@example.com"]);
  });

  it("--all-users --admin asks Directory; without --admin the emulator's scenario still answers", async () => {
    const [withAdmin, calls] = await counting(() =>
      dwd(
        [
          "freebusy",
          "--key",
          bot,
          "--all-users",
          "--admin",
          "admin@example.com",
          "--from",
          "2026-12-01T09:00:00Z",
          "--to",
          "2026-12-01T10:00:00Z",
          "--json",
        ],
        env,
      ),
    );
    expect(calls).toEqual({ "directory.users.list": 3 }); // 1,003 active users, 500 a page
    expect(withAdmin.stderr).toMatch(/^note: skipped 2 suspended users; /);
    const [scenarioRoute, none] = await counting(() =>
      dwd(
        [
          "freebusy",
          "--key",
          bot,
          "--all-users",
          "--from",
          "2026-12-01T09:00:00Z",
          "--to",
          "2026-12-01T10:00:00Z",
          "--json",
        ],
        env,
      ),
    );
    expect(none).toEqual({});
    expect(scenarioRoute.stderr).toMatch(
      /^note: skipped 2 suspended users \(cy@example\.com, s0002@example\.com\)/,
    );
  }, 120_000);

  it("--group flattens nested groups (a cycle ends), each user once, suspended left out", async () => {
    const [r, calls] = await counting(() =>
      dwd(
        [
          "calendars",
          "list",
          "--key",
          bot,
          "--group",
          "eng@example.com",
          "--admin",
          "admin@example.com",
          "--json",
        ],
        env,
      ),
    );
    expect(r.code).toBe(0);
    expect(subjectsOf(r.stdout)).toEqual([
      "ana@example.com",
      "bo@example.com",
      "s0001@example.com",
    ]);
    // eng, then leads; leads names eng again, which is not listed twice.
    expect(calls).toEqual({ "directory.members.list": 2 });
    expect(r.stderr).toMatch(/^note: skipped 1 suspended user; /);
  });

  it("--group works with a grant of admin.directory.group.readonly instead of the member scope", async () => {
    const key = server.keyFiles["group-readonly-bot"]?.json ?? "";
    const r = await dwd(
      [
        "calendars",
        "list",
        "--key",
        key,
        "--group",
        "leads@example.com",
        "--admin",
        "admin@example.com",
        "--json",
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(subjectsOf(r.stdout)).toEqual([
      "bo@example.com",
      "s0001@example.com",
      "ana@example.com",
    ]);
  });

  it("an unknown group is Google's 404, said in one line with a hint (exit 1)", async () => {
    const r = await dwd(
      [
        "calendars",
        "list",
        "--key",
        bot,
        "--group",
        "nope@example.com",
        "--admin",
        "admin@example.com",
      ],
      env,
    );
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "error: No group members.list of \"nope@example.com\" in Directory (404 Resource Not Found: groupKey)\nhint: Check the group's email address (or its ID); the group must belong to the admin's Workspace\n",
    });
  });

  it("a subject that is not an admin is diagnosed (403 Not Authorized), exit 1", async () => {
    const r = await dwd(
      ["calendars", "list", "--key", bot, "--all-users", "--admin", "ana@example.com"],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const [error, hint, ...rest] = r.stderr.split("\n");
    expect(rest).toEqual([""]);
    expect(error).toBe(
      "error: Directory refused ana@example.com for users.list: 403 Not Authorized to access this resource/api",
    );
    expect(hint).toMatch(
      /^hint: --admin must name a Workspace admin allowed to read users and groups/,
    );
  });

  it("a grant without the Directory scopes is diagnosed with the Admin-console link listing every scope", async () => {
    const r = await dwd(
      [
        "calendars",
        "list",
        "--key",
        calendarOnly,
        "--ou",
        "/Sales",
        "--admin",
        "admin@example.com",
      ],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const [error, hint] = r.stderr.split("\n");
    const clientId = server.emulator.serviceAccount("calendar-only-bot").clientId;
    // The token exchange for the admin with Directory's scope is refused: diagnosed before any Directory call.
    expect(error).toBe(
      `error: Cannot get a token for "admin@example.com": Google refused client "${clientId}" for scope "https://www.googleapis.com/auth/admin.directory.user.readonly" (unauthorized_client), for one of three reasons: the domain-wide delegation entry lacks that scope, "admin@example.com" is not a user of the Workspace domain that granted the client, or the entry names another client ID`,
    );
    const every = [...calendarScopes, ...directoryScopes].sort().join(",");
    expect(hint).toContain(
      `https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=${clientId}&clientScopeToAdd=${every}&overwriteClientId=true`,
    );
  });

  it("the profile's admin key is the admin; its subject is not added beside --ou", async () => {
    const set = async (key: string, value: string): Promise<void> => {
      expect((await dwd(["config", "set", key, value], env)).code).toBe(0);
    };
    await set("admin", "admin@example.com");
    await set("subject", "ana@example.com");
    try {
      const r = await dwd(
        ["calendars", "list", "--key", bot, "--ou", "/Engineering", "--json"],
        env,
      );
      expect(r.code).toBe(0);
      expect(subjectsOf(r.stdout)).toEqual(["ana@example.com", "bo@example.com"]);
      // With --subject, the profile's admin is not used: no Directory call.
      const [one, calls] = await counting(() =>
        dwd(["calendars", "list", "--key", bot, "--subject", "bo@example.com", "--json"], env),
      );
      expect(one.code).toBe(0);
      expect(calls).toEqual({});
    } finally {
      await rm(join(dir, "cfg"), { recursive: true, force: true });
    }
  });

  const usage = [
    {
      args: ["--ou", "/Sales"],
      stderr:
        "error: Option --ou needs an admin to read Directory as: no --admin given\nhint: Give --admin admin@your-domain (a Workspace admin), or keep one in the profile: dwd config set admin admin@your-domain\n",
    },
    {
      args: ["--ou", "Sales", "--admin", "admin@example.com"],
      stderr:
        'error: Invalid --ou "Sales": not an org unit path\nhint: Give the org unit\'s full path from the root, e.g. --ou /Sales or --ou /Sales/EMEA\n',
    },
    {
      args: ["--group", "eng@example.com", "--ou", "/Sales", "--admin", "admin@example.com"],
      stderr:
        "error: Conflicting options --ou and --group: give one way to name the users\nhint: Use --subject for one user, or one of --subjects, --subjects-file, --all-users (with --ou/--query), --group for many\n",
    },
  ];
  for (const c of usage)
    it(`${c.args.join(" ")} is a usage error, exit 2`, async () => {
      const r = await dwd(["calendars", "list", "--key", bot, ...c.args], env);
      expect(r).toEqual({ code: 2, stdout: "", stderr: c.stderr });
    });
});
