// Tokens kept between runs: the bundled dwd against the emulator on a real port, with its own cache dir.
import { loadKey } from "@dwd/auth";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_ENTRIES, openTokenFile } from "../src/_internal/token-file.ts";
import { cleanEnv, dwd } from "./helpers.ts";

const auth = "https://www.googleapis.com/auth/";
const users = ["ana@example.com", "bob@example.com", "cy@example.com"];
const scenario = {
  domain: "example.com",
  users: users.map((email) => ({ email })),
  serviceAccounts: [{ name: "calendar-bot" }, { name: "other-bot" }],
  grants: [
    { serviceAccount: "calendar-bot", scopes: [`${auth}calendar`, `${auth}calendar.readonly`] },
    { serviceAccount: "other-bot", scopes: [`${auth}calendar`, `${auth}calendar.readonly`] },
  ],
};

let server: RunningEmulator;
let dir: string;
let bot: string;
let other: string;

const tokenRequests = async (): Promise<number> =>
  ((await (await fetch(`${server.url}/_emulator/stats`)).json()) as { tokenRequests: number })
    .tokenRequests;

/** Runs dwd with the cache on, in `cacheDir`; the run's result and the token exchanges it made. */
async function run(
  args: string[],
  cacheDir: string,
): Promise<{ code: number | null; stdout: string; stderr: string; exchanges: number }> {
  const before = await tokenRequests();
  const env = cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host, DWD_CACHE_DIR: cacheDir });
  delete env["DWD_TOKEN_CACHE"];
  const r = await dwd(args, env);
  return { ...r, exchanges: (await tokenRequests()) - before };
}

const list = (key: string, ...more: string[]): string[] => [
  "calendars",
  "list",
  "--key",
  key,
  "--subjects",
  users.join(","),
  "--json",
  ...more,
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-token-cache-"));
  server = await startEmulator({
    scenario: scenario as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: join(dir, "keys"),
  });
  bot = server.keyFiles["calendar-bot"]?.json ?? "";
  other = server.keyFiles["other-bot"]?.json ?? "";
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("tokens kept between runs", () => {
  it("a second run mints nothing; the file is 0600, sealed, and useless to another key", async () => {
    const cache = join(dir, "c1");
    const first = await run(list(bot), cache);
    expect(first.stderr).toMatch(
      /^summary: 3 users: 3 ok, 0 failed; 1 request, 3 token exchanges, /,
    );
    expect(first.code).toBe(0);
    expect(first.exchanges).toBe(3);
    const second = await run(list(bot), cache);
    expect(second.code).toBe(0);
    expect(second.exchanges).toBe(0);
    expect(second.stderr).toMatch(
      /^summary: 3 users: 3 ok, 0 failed; 1 request, 0 token exchanges, /,
    );
    expect(second.stdout).toBe(first.stdout);

    const files = await readdir(cache);
    expect(files).toEqual([expect.stringMatching(/^tokens-[0-9a-f]{32}\.json$/) as string]);
    const path = join(cache, files[0] ?? "");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(cache)).mode & 0o777).toBe(0o700);
    const token = await run(
      ["token", "--key", bot, "--subject", "ana@example.com", "--scopes", "calendar.readonly"],
      cache,
    );
    expect(token.exchanges).toBe(0);
    const sealed = await readFile(path, "utf8");
    expect(token.stdout.trim().length).toBeGreaterThan(20);
    expect(sealed).not.toContain(token.stdout.trim());
    expect(sealed).not.toContain("ana@example.com");

    // The same file under another service account's key opens nothing: that account mints its own.
    const copy = join(dir, "c1-copy");
    await cp(cache, copy, { recursive: true });
    expect((await run(list(other), copy)).exchanges).toBe(3);
  });

  it("--no-token-cache mints anew and keeps nothing; `dwd token cache clear` empties the cache", async () => {
    const cache = join(dir, "c2");
    expect((await run(list(bot, "--no-token-cache"), cache)).exchanges).toBe(3);
    await expect(readdir(cache)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await run(list(bot), cache)).exchanges).toBe(3);
    expect((await run(list(bot), cache)).exchanges).toBe(0);
    const cleared = await run(["token", "cache", "clear"], cache);
    expect(cleared).toMatchObject({
      code: 0,
      stdout: "",
      stderr: `removed 1 token file from ${cache}\n`,
    });
    expect(await readdir(cache)).toEqual([]);
    expect((await run(list(bot), cache)).exchanges).toBe(3);
  });

  it("the doctor mints anew even when tokens are kept", async () => {
    const cache = join(dir, "c3");
    await run(list(bot), cache);
    const doctor = await run(
      ["doctor", "--key", bot, "--subject", "ana@example.com", "--scopes", "calendar.readonly"],
      cache,
    );
    expect(doctor.code).toBe(0);
    expect(doctor.exchanges).toBeGreaterThan(0);
  });

  it("a damaged file is read as empty, and a cache that cannot be written is a warning, not a failure", async () => {
    const cache = join(dir, "c4");
    await run(list(bot), cache);
    const [name] = await readdir(cache);
    await writeFile(join(cache, name ?? ""), '{"v":1,"iv":"AAAA","data":"not sealed"}');
    const damaged = await run(list(bot), cache);
    expect(damaged.code).toBe(0);
    expect(damaged.stderr).toMatch(/^summary: 3 users: 3 ok, 0 failed; [^\n]*\n$/);
    expect(damaged.exchanges).toBe(3);

    const blocker = join(dir, "a-file");
    await writeFile(blocker, "");
    const unwritable = await run(list(bot), join(blocker, "cache"));
    expect(unwritable.code).toBe(0);
    expect(JSON.parse(unwritable.stdout)).toHaveLength(3);
    expect(unwritable.stderr).toMatch(
      new RegExp(
        `^summary: [^\\n]*\\nwarning: could not keep tokens in ${join(blocker, "cache")}: .*\\n$`,
      ),
    );
  });
});

describe("openTokenFile()", () => {
  it(`keeps at most ${MAX_ENTRIES} tokens, the longest-lived, and drops those within the refresh margin`, async () => {
    const key = await loadKey(bot);
    const cache = join(dir, "c5");
    let now = Date.now();
    const file = await openTokenFile({ key, tokenUri: "http://t/", dir: cache, now: () => now });
    for (let i = 0; i < MAX_ENTRIES + 10; i++)
      file.put({
        accessToken: `t${i}`,
        expiresAt: now + 3_600_000 - i * 100,
        subject: `u${i}@example.com`,
        scopes: [`${auth}calendar`],
      });
    file.put({ accessToken: "short", expiresAt: now + 60_000, subject: "s@x", scopes: ["a"] });
    await file.flush();
    const again = await openTokenFile({ key, tokenUri: "http://t/", dir: cache, now: () => now });
    expect(again.loaded).toBe(MAX_ENTRIES);
    expect(again.get({ subject: "u0@example.com", scopes: [`${auth}calendar`] })?.accessToken).toBe(
      "t0",
    );
    expect(
      again.get({ subject: `u${MAX_ENTRIES + 5}@example.com`, scopes: [`${auth}calendar`] }),
    ).toBe(undefined);
    expect(again.get({ subject: "s@x", scopes: ["a"] })).toBe(undefined);
    // Another token endpoint is another file: nothing carries over.
    const elsewhere = await openTokenFile({
      key,
      tokenUri: "http://u/",
      dir: cache,
      now: () => now,
    });
    expect(elsewhere.loaded).toBe(0);
    // An hour on, every token is within the margin: none is handed out.
    now += 3_600_000;
    const later = await openTokenFile({ key, tokenUri: "http://t/", dir: cache, now: () => now });
    expect(later.loaded).toBe(0);
  });
});

describe("the scope the grant holds, remembered between runs", () => {
  // A grant of only …/auth/calendar. A second run over other users (no kept token helps them) asks for
  // calendar straight away.
  let full: RunningEmulator;
  let fullOnly: string;
  const more = ["dee@example.com", "eve@example.com", "fay@example.com"];
  const exchangesOf = async (): Promise<number> =>
    ((await (await fetch(`${full.url}/_emulator/stats`)).json()) as { tokenRequests: number })
      .tokenRequests;
  const runFull = async (
    subjects: string[],
    cacheDir: string,
  ): Promise<{ code: number | null; stdout: string; exchanges: number }> => {
    const before = await exchangesOf();
    const env = cleanEnv({ DWD_EMULATOR_HOST: new URL(full.url).host, DWD_CACHE_DIR: cacheDir });
    delete env["DWD_TOKEN_CACHE"];
    const args = [
      "calendars",
      "list",
      "--key",
      fullOnly,
      "--subjects",
      subjects.join(","),
      "--json",
    ];
    const r = await dwd(args, env);
    return { code: r.code, stdout: r.stdout, exchanges: (await exchangesOf()) - before };
  };
  beforeAll(async () => {
    full = await startEmulator({
      scenario: {
        ...scenario,
        users: [...users, ...more].map((email) => ({ email })),
        serviceAccounts: [{ name: "full-only" }],
        grants: [{ serviceAccount: "full-only", scopes: [`${auth}calendar`] }],
      } as never,
      port: 0,
      host: "127.0.0.1",
      keysDir: join(dir, "keys-full"),
    });
    fullOnly = full.keyFiles["full-only"]?.json ?? "";
  });
  afterAll(async () => {
    await full.close();
  });

  it("a later run over other users asks for calendar straight away; clearing the cache forgets it", async () => {
    const cache = join(dir, "c-grants");
    const first = await runFull(users, cache);
    expect(first.code).toBe(0);
    // The first user: readonly refused, calendar granted; the other two asked for readonly with it
    // (refused), then for calendar.
    expect(first.exchanges).toBe(2 + 2 * (users.length - 1));
    const second = await runFull(more, cache);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("dee@example.com");
    expect(second.exchanges).toBe(more.length); // no refused calendar.readonly
    const cleared = await runShortClear(cache);
    expect(cleared).toBe(0);
    const third = await runFull(more, cache);
    expect(third.exchanges).toBe(first.exchanges);
  });
  const runShortClear = async (cacheDir: string): Promise<number | null> => {
    const env = cleanEnv({ DWD_CACHE_DIR: cacheDir });
    delete env["DWD_TOKEN_CACHE"];
    return (await dwd(["token", "cache", "clear"], env)).code;
  };
});

describe("openTokenFile() grants", () => {
  it("remembers a ladder's scopes for a week from when they were learnt, in the sealed file", async () => {
    const key = await loadKey(bot);
    const cache = join(dir, "c-grant-file");
    let now = Date.now();
    const open = (): ReturnType<typeof openTokenFile> =>
      openTokenFile({ key, tokenUri: "http://t/", dir: cache, now: () => now });
    const ladder = `${auth}calendar.readonly ${auth}calendar`;
    const file = await open();
    expect(file.grants.get(ladder)).toBe(undefined);
    file.grants.set(ladder, [`${auth}calendar`]);
    await file.flush();
    const text = await readFile(file.path, "utf8");
    expect(text).not.toContain("calendar"); // sealed
    // An hour on, the tokens are gone, the grant is not; set again with the same scopes, it keeps its date.
    now += 3_600_000;
    const later = await open();
    expect(later.grants.get(ladder)).toEqual([`${auth}calendar`]);
    later.grants.set(ladder, [`${auth}calendar`]);
    await later.flush();
    // A week after it was learnt, it is looked at anew.
    now += 7 * 24 * 3_600_000 - 3_600_000;
    const weekLater = await open();
    expect(weekLater.grants.get(ladder)).toBe(undefined);
  });
});
