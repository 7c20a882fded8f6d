// Configuration profiles: the bundled dwd against the emulator on a real port, with its own config dir.
import type { RunningEmulator } from "@dwd/emulator/node";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd, startTestEmulator } from "./helpers.ts";
import type { TestEmulator } from "./helpers.ts";

let t: TestEmulator;
let server: RunningEmulator;
let dir: string;
let bot: string;

beforeAll(async () => {
  t = await startTestEmulator("config");
  ({ server, dir, bot } = t);
});

afterAll(async () => {
  await t.close();
});

const envFor = (configDir: string, extra: Record<string, string> = {}): Record<string, string> =>
  cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host, DWD_CONFIG_DIR: configDir, ...extra });

describe("dwd config", () => {
  it("a profile's values are the flags not typed; a typed flag wins; --profile and DWD_PROFILE pick one", async () => {
    const cfg = join(dir, "c1");
    const env = envFor(cfg);
    expect(await dwd(["config", "set", "key", bot], env)).toEqual({
      code: 0,
      stdout: "",
      stderr: `set key in profile "default" (${join(cfg, "config.json")})\n`,
    });
    expect((await dwd(["config", "set", "subject", "ana@example.com"], env)).code).toBe(0);
    expect((await stat(join(cfg, "config.json"))).mode & 0o777).toBe(0o600);

    // `calendars get` with neither --key nor --subject: both come from the profile.
    expect(await dwd(["calendars", "get", "ana@example.com"], env)).toMatchObject({
      code: 0,
      stdout: "ana@example.com\n",
    });
    // A typed --subject wins over the profile's.
    expect(
      (await dwd(["calendars", "get", "bob@example.com", "--subject", "bob@example.com"], env))
        .stdout,
    ).toBe("bob@example.com\n");
    // --subjects chooses the users another way: the profile's subject is not added beside it.
    const many = await dwd(
      ["calendars", "list", "--subjects", "ana@example.com,bob@example.com", "--json"],
      env,
    );
    expect(many.code).toBe(0);
    expect((JSON.parse(many.stdout) as { subject: string }[]).map((e) => e.subject)).toEqual([
      "ana@example.com",
      "bob@example.com",
    ]);

    // A new, empty profile: the same command now lacks a key.
    expect(await dwd(["config", "use", "empty"], env)).toMatchObject({
      code: 0,
      stderr: 'created and activated profile "empty"\n',
    });
    expect((await dwd(["calendars", "get", "ana@example.com"], env)).code).not.toBe(0);
    expect(await dwd(["config", "profiles"], env)).toMatchObject({
      stdout: "  default\n* empty\n",
    });
    // --profile and DWD_PROFILE choose for one run.
    expect(
      (await dwd(["--profile", "default", "calendars", "get", "ana@example.com"], env)).stdout,
    ).toBe("ana@example.com\n");
    expect(
      (await dwd(["calendars", "get", "ana@example.com"], envFor(cfg, { DWD_PROFILE: "default" })))
        .stdout,
    ).toBe("ana@example.com\n");
    expect(await dwd(["config", "get", "subject", "--profile", "default"], env)).toMatchObject({
      code: 0,
      stdout: "ana@example.com\n",
    });
    expect(await dwd(["--profile", "nope", "calendars", "get", "x@example.com"], env)).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'error: No configuration profile "nope"\nhint: Create it with "dwd config use nope", or list them with "dwd config profiles"\n',
    });
    const stored = JSON.parse(await readFile(join(cfg, "config.json"), "utf8")) as unknown;
    expect(stored).toEqual({
      active: "empty",
      profiles: { default: { key: bot, subject: "ana@example.com" }, empty: {} },
    });
  });

  it("bad keys, values and files are usage errors with the fix", async () => {
    const cfg = join(dir, "c2");
    const env = envFor(cfg);
    expect(await dwd(["config", "set", "sbject", "a@example.com"], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^error: Unknown configuration key "sbject"\nhint: Did you mean "subject"\? Keys: key, /,
      ) as string,
    });
    expect(await dwd(["config", "set", "concurrency", "ten"], env)).toEqual({
      code: 2,
      stdout: "",
      stderr: 'error: Invalid value "ten" for concurrency: not a number\nhint: Give e.g. 10\n',
    });
    expect(await dwd(["config", "use", "../etc"], env)).toMatchObject({ code: 2 });
    expect(await dwd(["--profile"], env)).toMatchObject({
      code: 2,
      stderr: "error: Missing value for --profile\nhint: Give it as --profile <name>\n",
    });
    await dwd(["config", "set", "tz", "UTC"], env);
    await writeFile(
      join(cfg, "config.json"),
      '{"active":"default","profiles":{"default":{"evil":"x"}}}',
    );
    expect(await dwd(["calendars", "get", "ana@example.com", "--key", bot], env)).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: Invalid configuration "${join(cfg, "config.json")}": profile "default" sets unknown key "evil"\nhint: Fix or remove the file (dwd config set writes it), or set DWD_CONFIG_DIR to another directory\n`,
    });
    await writeFile(join(cfg, "config.json"), '{"active":"default","profiles":{"__proto__":{}}}');
    expect((await dwd(["config", "profiles"], env)).code).toBe(2);
    // The emulator and the demo never read the configuration.
    expect((await dwd(["emulator", "--help"], env)).code).toBe(0);
  });
});
