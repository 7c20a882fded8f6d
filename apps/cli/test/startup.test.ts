// What each run of the bundle loads (issue 16: commands load their code when they run): `dwd --help` the
// entry alone, a command the entry and the commands chunk, never the emulator or node-forge unless it needs
// them, and no TLS for an http: emulator; and Node's compile cache, kept in the user's cache directory when
// it can be, without a word when it cannot. Each test spawns dist/dwd.js with a probe (`--import`) that
// records the files and built-ins the run loaded.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd } from "./helpers.ts";
import type { Result } from "./helpers.ts";

let dir: string;
let probe: string;
let server: RunningEmulator;
let bot: string;
let botP12: string;
let botEmail: string;

interface Loaded {
  /** Files of dist/ the run loaded, relative to dist/. */
  files: string[];
  /** Node built-ins of interest the run loaded. */
  builtins: string[];
  /** module.getCompileCacheDir() at exit. */
  compileCacheDir: string | null;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-startup-"));
  probe = join(dir, "probe.mjs");
  await writeFile(
    probe,
    `import { getCompileCacheDir, registerHooks } from "node:module";
import { writeSync } from "node:fs";
const files = [];
registerHooks({
  load(url, context, next) {
    const at = url.indexOf("/dist/");
    if (url.startsWith("file:") && at >= 0) files.push(url.slice(at + "/dist/".length));
    return next(url, context);
  },
});
// A script chunk (src/_internal/script-chunk.ts) is run through node:vm, which the hook above does not
// see: its vm.Script is recorded too, without loading node:vm before dwd does.
const getBuiltin = process.getBuiltinModule;
process.getBuiltinModule = function (id) {
  const m = getBuiltin.call(this, id);
  if ((id === "node:vm" || id === "vm") && !m.Script.probed) {
    const Script = m.Script;
    m.Script = class extends Script {
      static probed = true;
      constructor(source, options) {
        const at = String(options?.filename).indexOf("/dist/");
        if (at >= 0) files.push(String(options.filename).slice(at + "/dist/".length));
        super(source, options);
      }
    };
  }
  return m;
};
process.on("exit", () => {
  const builtins = process.moduleLoadList
    .map((m) => m.replace(/^NativeModule /, ""))
    .filter((m) => /^(vm|crypto|http|https|tls|http2|zlib|fs[/]promises)$/.test(m));
  writeSync(2, "\\nLOADED " + JSON.stringify({ files, builtins, compileCacheDir: getCompileCacheDir() ?? null }) + "\\n");
});
`,
  );
  server = await startEmulator({ port: 0, host: "127.0.0.1", keysDir: dir });
  bot = server.keyFiles["calendar-bot"]?.json ?? "";
  botP12 = server.keyFiles["calendar-bot"]?.p12 ?? "";
  botEmail = server.emulator.serviceAccount("calendar-bot").email;
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs dwd with the probe; its result without the probe's line, and what the run loaded. */
async function probed(
  args: string[],
  extra: Record<string, string> = {},
): Promise<Result & { loaded: Loaded }> {
  const r = await dwd(
    args,
    cleanEnv({
      DWD_EMULATOR_HOST: new URL(server.url).host,
      NODE_OPTIONS: `--import ${probe}`,
      ...extra,
    }),
  );
  const at = r.stderr.lastIndexOf("\nLOADED ");
  expect(at).toBeGreaterThanOrEqual(0);
  return {
    ...r,
    stderr: r.stderr.slice(0, at),
    loaded: JSON.parse(r.stderr.slice(at + "\nLOADED ".length)) as Loaded,
  };
}

const seed = (): string[] => [
  "calendars",
  "get",
  "info@example.com",
  "--key",
  bot,
  "--subject",
  "info@example.com",
];

describe("what a run loads", () => {
  it("dwd --help loads the entry and main.js alone: no command chunk, no network built-ins", async () => {
    const r = await probed(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("calendars");
    expect(r.loaded).toEqual({
      files: ["dwd.js", "chunks/main.js"],
      builtins: ["vm"],
      compileCacheDir: null,
    });
  });

  it("a usage error loads the entry and main.js alone, and is one line and a hint, exit 2", async () => {
    const r = await probed(["calendrs"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: Unknown command "calendrs"\nhint: Did you mean "dwd calendars"? Run "dwd --help" to see the commands\n',
    );
    expect(r.loaded.files).toEqual(["dwd.js", "chunks/main.js"]);
  });

  it("dwd calendars get (the seed call) loads the entry, main.js (with the profile's code) and its own chunk: not the other commands, not the emulator, not node-forge, no TLS for an http: emulator, no node:crypto (it signs with WebCrypto), no node:fs/promises (it reads the key and the configuration with node:fs)", async () => {
    const r = await probed(seed());
    expect(r).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
    expect(r.loaded.files).toEqual(["dwd.js", "chunks/main.js", "chunks/seed.js"]);
    expect(r.loaded.builtins.sort()).toEqual(["http", "vm"]);
  });

  it("dwd calendars get with a flag before get (dwd calendars --json get …) runs from the commands chunk, with the same answer", async () => {
    const [calendars, get, ...rest] = seed();
    const r = await probed([calendars ?? "", "--json", get ?? "", ...rest]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(r.stdout)).toMatchObject({
      id: "info@example.com",
      summary: "info@example.com",
    });
    expect(r.loaded.files).toEqual(["dwd.js", "chunks/main.js", "chunks/commands.js"]);
  });

  it("another calendars command (list) loads the commands chunk, not the seed call's", async () => {
    const r = await probed(["calendars", "list", ...seed().slice(3)]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain("info@example.com");
    expect(r.loaded.files).toEqual(["dwd.js", "chunks/main.js", "chunks/commands.js"]);
  });

  it("a run over many users that keeps its tokens reads its subjects file and writes and reads the kept tokens without node:fs/promises", async () => {
    const users = join(dir, "users.txt");
    await writeFile(users, "info@example.com\nana@example.com\n");
    const args = ["events", "list", "--key", bot, "--subjects-file", users, "--json"];
    const env = { DWD_TOKEN_CACHE: "", DWD_CACHE_DIR: join(dir, "many-cache") };
    const cold = await probed(args, env);
    expect(cold.code).toBe(0);
    expect(cold.stderr).toMatch(/2 users: 2 ok, 0 failed; 1 request, 2 token exchanges/);
    const kept = await readdir(join(dir, "many-cache"));
    expect(kept.filter((n) => /^tokens-[0-9a-f]{32}\.json$/.test(n))).toHaveLength(1);
    const second = await probed(args, env);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/2 users: 2 ok, 0 failed; 1 request, 0 token exchanges/);
    expect(second.stdout).toBe(cold.stdout);
    for (const run of [cold, second]) expect(run.loaded.builtins).not.toContain("fs/promises");
  });

  it("a .p12 key loads node-forge's chunk, and works", async () => {
    const r = await probed([
      ...seed().slice(0, 3),
      "--key",
      botP12,
      "--key-email",
      botEmail,
      "--subject",
      "info@example.com",
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
    expect(r.loaded.files).toEqual([
      "dwd.js",
      "chunks/main.js",
      "chunks/seed.js",
      "chunks/node-forge.js",
    ]);
  });

  it("an https: API root loads TLS when it is used: the request opens with a TLS handshake", async () => {
    const firstBytes: number[] = [];
    const sockets: Socket[] = [];
    const tlsServer = createServer((socket) => {
      sockets.push(socket);
      socket.once("data", (data) => {
        firstBytes.push(data[0] ?? -1);
        socket.destroy();
      });
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    const { port } = tlsServer.address() as { port: number };
    try {
      const r = await probed([
        ...seed(),
        "--api-root",
        `https://127.0.0.1:${port}`,
        "--retries",
        "0",
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^error: Cannot call calendar\\.calendarList\\.get: the Calendar API at "https://127\\.0\\.0\\.1:${port}" cannot be reached \\(.+\\)\\nhint: Check the network, or the API root`,
        ),
      );
      expect(firstBytes[0]).toBe(0x16); // a TLS handshake record: node:https's agent and request ran
      expect(r.loaded.builtins).toEqual(expect.arrayContaining(["https", "tls"]));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  });
});

describe("Node's compile cache", () => {
  it("is kept in <cache dir>/node-compile-cache and used by the next run, with the same output", async () => {
    const cacheDir = await mkdtemp(join(dir, "cache-"));
    const env = { DWD_COMPILE_CACHE: "", DWD_CACHE_DIR: cacheDir };
    const first = await probed(seed(), env);
    expect(first).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
    expect(first.loaded.compileCacheDir).toMatch(
      new RegExp(`^${cacheDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/node-compile-cache/v`),
    );
    const kept = await readdir(first.loaded.compileCacheDir ?? "");
    expect(kept.length).toBeGreaterThan(0);
    const second = await probed(seed(), env);
    expect(second).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
    expect(second.loaded.compileCacheDir).toBe(first.loaded.compileCacheDir);
  });

  it("main.js and the seed call's chunk keep V8's code of the run (dwd-main.js-<hash>.v8, dwd-seed.js-<hash>.v8) after a run that succeeded, and the next run uses it as it is", async () => {
    const cacheDir = await mkdtemp(join(dir, "cache-"));
    const env = { DWD_COMPILE_CACHE: "", DWD_CACHE_DIR: cacheDir };
    // A run that fails keeps nothing: its code would lack the successful path.
    const failed = await probed([...seed().slice(0, 5), "--subject", "nobody@example.com"], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error: Cannot get a token for "nobody@example\.com"/);
    const dirOf = failed.loaded.compileCacheDir ?? "";
    expect((await readdir(dirOf)).filter((f) => f.startsWith("dwd-"))).toEqual([]);

    const first = await probed(seed(), env);
    expect(first).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
    const kept = (await readdir(first.loaded.compileCacheDir ?? "")).filter((f) =>
      f.startsWith("dwd-"),
    );
    expect(kept.sort()).toEqual([
      expect.stringMatching(/^dwd-main\.js-[0-9a-f]{8}\.v8$/),
      expect.stringMatching(/^dwd-seed\.js-[0-9a-f]{8}\.v8$/),
    ]);
    const files = kept.map((f) => join(first.loaded.compileCacheDir ?? "", f));
    const written = await Promise.all(files.map((f) => stat(f)));
    for (const w of written) {
      expect(w.size).toBeGreaterThan(0);
      expect(w.mode & 0o777).toBe(0o600);
    }
    const second = await probed(seed(), env);
    expect(second).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
    // Accepted by V8: not written again.
    expect((await Promise.all(files.map((f) => stat(f)))).map((w) => w.mtimeMs)).toEqual(
      written.map((w) => w.mtimeMs),
    );
    const file = files[1] ?? "";

    // A cache V8 rejects (here: not a cache at all) is ignored, and replaced after the run.
    await writeFile(file, "not a V8 code cache");
    const third = await probed(seed(), env);
    expect(third).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
    expect((await readFile(file)).toString("latin1")).not.toBe("not a V8 code cache");
    expect((await stat(file)).size).toBeGreaterThan(1000);
  });

  it("the commands chunk keeps V8's code of the run too (dwd-commands.js-<hash>.v8), runs through node:vm, and the next run uses it with the same output", async () => {
    const cacheDir = await mkdtemp(join(dir, "cache-"));
    const env = { DWD_COMPILE_CACHE: "", DWD_CACHE_DIR: cacheDir };
    const list = ["calendars", "list", ...seed().slice(3), "--json"];
    const first = await probed(list, env);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.loaded.files).toEqual(["dwd.js", "chunks/main.js", "chunks/commands.js"]);
    expect(first.loaded.builtins).toContain("vm");
    const kept = (await readdir(first.loaded.compileCacheDir ?? "")).filter((f) =>
      f.startsWith("dwd-"),
    );
    expect(kept.sort()).toEqual([
      expect.stringMatching(/^dwd-commands\.js-[0-9a-f]{8}\.v8$/),
      expect.stringMatching(/^dwd-main\.js-[0-9a-f]{8}\.v8$/),
    ]);
    const file = join(first.loaded.compileCacheDir ?? "", kept[0] ?? "");
    const written = await stat(file);
    expect(written.size).toBeGreaterThan(1000);
    expect(written.mode & 0o777).toBe(0o600);
    const second = await probed(list, env);
    expect(second).toMatchObject({ code: 0, stdout: first.stdout, stderr: "" });
    // Accepted by V8: not written again.
    expect((await stat(file)).mtimeMs).toBe(written.mtimeMs);
  });

  it("a cache directory that cannot be made leaves it off, silently: same output, exit 0", async () => {
    const notADir = join(dir, "a-file");
    await writeFile(notADir, "");
    const r = await probed(seed(), { DWD_COMPILE_CACHE: "", DWD_CACHE_DIR: notADir });
    expect(r).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
    expect(r.loaded.compileCacheDir).toBeNull();
  });

  it("DWD_COMPILE_CACHE=off and NODE_DISABLE_COMPILE_CACHE=1 turn it off", async () => {
    const cacheDir = await mkdtemp(join(dir, "cache-"));
    const offs: Record<string, string>[] = [
      { DWD_COMPILE_CACHE: "off" },
      { NODE_DISABLE_COMPILE_CACHE: "1" },
    ];
    for (const off of offs) {
      const r = await probed(seed(), { DWD_CACHE_DIR: cacheDir, DWD_COMPILE_CACHE: "", ...off });
      expect(r).toMatchObject({ code: 0, stdout: "info@example.com\n", stderr: "" });
      expect(r.loaded.compileCacheDir).toBeNull();
    }
    expect(await readdir(cacheDir)).toEqual([]);
  });
});
