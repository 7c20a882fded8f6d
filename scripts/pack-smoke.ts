// What a team gets before anything is published, tried the way the README says: packs every public
// package with the README's `pnpm -r … pack`, checks what each tarball holds, then
//   - installs the packed CLI globally (into a private npm prefix) and runs that `dwd`, and checks that
//     the built apps/cli/dist/dwd.js is an executable program;
//   - installs the tarballs with plain npm into an empty project outside the workspace, with the newest
//     TypeScript and the oldest one dwd supports, and type-checks realistic programs (key loading, a
//     token source, a calendar client with pages, batch and sync, the emulator in-process and on a port)
//     in the strictest setup a user has: strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes,
//     verbatimModuleSyntax, no skipLibCheck, `lib: ["es2023"]` (no DOM) and `types: ["node"]`;
//   - runs those programs on Node, and the `npm:` route on Deno (a program importing `npm:@dwd/…`, and
//     `deno run npm:@dwd/cli`) against the same installed tarballs.
//
//   node scripts/pack-smoke.ts            (after `pnpm build`; needs npm and the npm registry or its cache)
//   node scripts/pack-smoke.ts --keep     keep the temp folder and print where it is
import { execFile, spawnSync, type SpawnSyncOptions } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** The newest TypeScript on the npm registry, and the oldest dwd supports: @types/node 24's own floor. */
const TYPESCRIPT = { newest: "7.0.2", oldest: "5.6.3" } as const;

const root = fileURLToPath(new URL("..", import.meta.url));
const packages = [
  "packages/auth",
  "packages/calendar",
  "packages/emulator",
  "apps/cli",
  "apps/server",
];
const keep = process.argv.includes("--keep");
const problems: string[] = [];
const passed: string[] = [];

function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(command, args, {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    ...options,
  });
  const output = `${String(r.stdout ?? "")}${String(r.stderr ?? "")}`;
  if (r.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(" ")}\` failed (exit ${r.status}, ${r.error?.message ?? "no error"}):\n${output.slice(-4000)}`,
    );
  }
  return String(r.stdout ?? "");
}

/** Runs one check; a failure is recorded and the next check still runs. */
function check(name: string, body: () => void): void {
  const started = performance.now();
  try {
    body();
    passed.push(`${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const work = mkdtempSync(join(tmpdir(), "dwd-pack-smoke-"));
const tarballs = join(work, "tarballs");
const app = join(work, "app");
const globalPrefix = join(work, "global");
mkdirSync(app);

// The consumer programs. Each reads its settings the way applications do (`string | undefined` from the
// environment or a config object) and passes them on as they are: with exactOptionalPropertyTypes that
// compiles only where every optional option also accepts `undefined`.
const programs: Record<string, string> = {
  "config.ts": `// Settings as an application holds them: each may be missing.
export interface Config {
  subject: string | undefined;
  scopes: string[] | undefined;
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
  pageToken: string | undefined;
  password: string | undefined;
}
export const config: Config = {
  subject: process.env["DWD_SUBJECT"],
  scopes: process.env["DWD_SCOPES"]?.split(","),
  timeoutMs: process.env["DWD_TIMEOUT_MS"] === undefined ? undefined : Number(process.env["DWD_TIMEOUT_MS"]),
  signal: undefined,
  pageToken: process.env["DWD_PAGE_TOKEN"],
  password: process.env["DWD_P12_PASSWORD"],
};
`,
  "keys.ts": `// Key loading: JSON and .p12 files the emulator wrote, the key's Web Crypto handle, a KeyError's hint.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { KeyError, loadKey, type LoadKeyOptions, type ServiceAccountKey, type WebCryptoKey } from "@dwd/auth";
import { config } from "./config.ts";

export async function loadKeys(dir: string): Promise<ServiceAccountKey[]> {
  const json = await loadKey(join(dir, "calendar-bot.json"));
  const options: LoadKeyOptions = {
    email: json.clientEmail,
    password: config.password,
    clientId: json.clientId,
    tokenUri: json.tokenUri,
  };
  const p12 = await loadKey(await readFile(join(dir, "calendar-bot.p12")), options);
  // The key's handle is the runtime's own CryptoKey type, here without the DOM library.
  const handle: WebCryptoKey = p12.privateKey;
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", handle, new TextEncoder().encode("x"));
  if (signature.byteLength !== 256) throw new Error("a .p12 key that does not sign RS256");
  try {
    await loadKey({ type: "authorized_user" });
    throw new Error("an authorized_user file loaded as a key");
  } catch (error) {
    if (!(error instanceof KeyError)) throw error;
    const hint: string = error.hint; // every KeyError has one
    console.log(\`keys: \${json.kind} \${p12.kind}; refused \${error.code} (hint: \${hint.length > 0})\`);
  }
  return [json, p12];
}
`,
  "tokens.ts": `// A token source: options passed as the application holds them, a DelegationError narrowed by code.
import { createTokenSource, DelegationError, type ServiceAccountKey, type TokenSource } from "@dwd/auth";
import type { Emulator } from "@dwd/emulator";
import { config } from "./config.ts";

export async function tokens(key: ServiceAccountKey, ungranted: ServiceAccountKey, emulator: Emulator): Promise<TokenSource> {
  const source = createTokenSource(key, { fetch: emulator.fetch, timeoutMs: config.timeoutMs, tokenUri: undefined });
  const token = await source.getToken({
    subject: config.subject ?? "info@example.com",
    scopes: config.scopes ?? ["https://www.googleapis.com/auth/calendar"],
    signal: config.signal,
  });
  const refusing = createTokenSource(ungranted, { fetch: emulator.fetch });
  try {
    await refusing.getToken({ subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] });
    throw new Error("ungranted-bot got a token");
  } catch (error) {
    if (!(error instanceof DelegationError)) throw error;
    switch (error.code) {
      case "delegation_not_authorized":
      case "scope_not_granted": {
        const hint: string = error.hint;
        console.log(\`tokens: \${token.accessToken.slice(0, 9)}…; ungranted-bot refused \${error.code} (hint: \${hint.length > 0})\`);
        break;
      }
      default:
        throw error;
    }
  }
  return source;
}
`,
  "calendar.ts": `// A calendar client on the emulator in-process: pages by hand and by iterator, a batch as many users,
// an incremental sync.
import type { TokenSource } from "@dwd/auth";
import { createCalendarClient, createEventSync, createMemorySyncStore, type Event } from "@dwd/calendar";
import type { Emulator } from "@dwd/emulator";
import { config } from "./config.ts";

export async function calendar(tokenSource: TokenSource, emulator: Emulator): Promise<void> {
  const cal = createCalendarClient({
    tokenSource,
    subject: config.subject ?? "ana@example.com",
    fetch: emulator.fetch,
    rootUrl: \`\${emulator.baseUrl}/calendar/v3\`,
    timeoutMs: config.timeoutMs,
    retry: undefined,
  });
  for (const summary of ["a", "b", "c"]) {
    const body: Event = { summary, start: { dateTime: "2026-12-02T10:00:00Z" }, end: { dateTime: "2026-12-02T10:30:00Z" } };
    await cal.events.insert("primary", body, { sendUpdates: undefined });
  }
  const byHand: string[] = [];
  let pageToken = config.pageToken;
  do {
    const page = await cal.events.list("primary", { maxResults: 2, pageToken, signal: config.signal });
    for (const event of page.items ?? []) byHand.push(event.summary ?? "");
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken !== undefined);
  let iterated = 0;
  for await (const event of cal.events.all("primary", { maxResults: 2, q: undefined })) {
    if (event.id !== undefined) iterated++;
  }
  const users = ["ana@example.com", "bob@example.com", "info@example.com"];
  const results = await cal.batch((b) => users.map((u) => b.as(u).calendarList.get("primary")), {
    chunkSize: undefined,
    signal: config.signal,
  });
  const first = results[0];
  const ok = results.filter((r) => r.ok).length;
  const sync = createEventSync({ client: cal, store: createMemorySyncStore(), calendarId: "primary", subject: undefined, params: { maxResults: undefined } });
  const full = await sync.run();
  const again = await sync.run();
  console.log(
    \`calendar: \${byHand.length} by page token, \${iterated} iterated; batch \${ok}/\${users.length} ok\${first?.ok === true ? \` (\${first.value.id ?? ""})\` : ""}; sync \${full.events.length} then \${again.events.length}\`,
  );
}
`,
  "in-process.ts": `// The emulator in-process: keys written to a folder, then keys, tokens and a calendar client.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadKey } from "@dwd/auth";
import { createEmulator, type EmulatorOptions } from "@dwd/emulator";
import { calendar } from "./calendar.ts";
import { loadKeys } from "./keys.ts";
import { tokens } from "./tokens.ts";

const options: EmulatorOptions = { scenario: undefined, baseUrl: process.env["DWD_BASE_URL"], faults: { latencyMs: undefined } };
const emulator = await createEmulator(options);
const dir = await mkdtemp(join(tmpdir(), "dwd-keys-"));
try {
  await writeFile(join(dir, "calendar-bot.json"), JSON.stringify(await emulator.serviceAccountKeyJson("calendar-bot")));
  await writeFile(join(dir, "calendar-bot.p12"), await emulator.serviceAccountKeyP12("calendar-bot"));
  const [key] = await loadKeys(dir);
  if (key === undefined) throw new Error("no key");
  const ungranted = await loadKey(await emulator.serviceAccountKeyJson("ungranted-bot"));
  await calendar(await tokens(key, ungranted, emulator), emulator);
} finally {
  await rm(dir, { recursive: true, force: true });
}
`,
  "over-a-port.ts": `// The emulator on a port, as a test suite or a container runs it; the client over Node's HTTP, the token
// source's default fetch, the endpoints inferred from the key's token_uri, a file sync store.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokenSource, loadKey } from "@dwd/auth";
import { createCalendarClient, createEventSync } from "@dwd/calendar";
import { createFileSyncStore, createNodeFetch } from "@dwd/calendar/node";
import { startEmulator } from "@dwd/emulator/node";
import { config } from "./config.ts";

const dir = await mkdtemp(join(tmpdir(), "dwd-port-"));
const running = await startEmulator({ port: 0, host: undefined, keysDir: join(dir, "keys") });
try {
  const keyFile = running.keyFiles["calendar-bot"]?.json;
  if (keyFile === undefined) throw new Error("the emulator wrote no key for calendar-bot");
  const tokenSource = createTokenSource(await loadKey(keyFile), { timeoutMs: config.timeoutMs });
  const cal = createCalendarClient({
    tokenSource,
    subject: config.subject ?? "info@example.com",
    fetch: createNodeFetch({ timeoutMs: config.timeoutMs }),
  });
  const entry = await cal.calendarList.get("primary", { fields: undefined });
  const sync = createEventSync({ client: cal, store: createFileSyncStore(join(dir, "sync.json")), calendarId: "primary" });
  const { fullSync } = await sync.run();
  console.log(\`over a port: \${entry.id ?? "(none)"} at \${new URL(running.url).hostname}; full sync \${fullSync}\`);
} finally {
  await running.close();
  await rm(dir, { recursive: true, force: true });
}
`,
};

// The same seed flow for Deno, through the documented `npm:` route.
const denoProgram = `import { createTokenSource, loadKey } from "npm:@dwd/auth";
import { createCalendarClient } from "npm:@dwd/calendar";
import { createEmulator } from "npm:@dwd/emulator";

const emulator = await createEmulator();
const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
const cal = createCalendarClient({
  tokenSource: createTokenSource(key, { fetch: emulator.fetch }),
  subject: "info@example.com",
  fetch: emulator.fetch,
});
const entry = await cal.calendarList.get("primary");
console.log(\`deno: \${entry.id ?? "(none)"}\`);
`;

let compiled: Promise<void>[] = [];

const expected: Record<string, string> = {
  "in-process.ts": [
    "keys: json p12; refused wrong_credential_type (hint: true)",
    "tokens: ya29.emu.…; ungranted-bot refused delegation_not_authorized (hint: true)",
    // ana's four events in the demo, and the copy of the review she is invited to (attendee copies).
    "calendar: 5 by page token, 5 iterated; batch 3/3 ok (ana@example.com); sync 5 then 0",
  ].join("\n"),
  "over-a-port.ts": "over a port: info@example.com at 127.0.0.1; full sync true",
};

try {
  // 1. Pack, as the README says, then look inside each tarball.
  run(
    "pnpm",
    [
      "-r",
      "--filter",
      "./packages/*",
      "--filter",
      "./apps/cli",
      "--filter",
      "./apps/server",
      "pack",
      "--pack-destination",
      tarballs,
    ],
    { cwd: root },
  );
  const files = readdirSync(tarballs).filter((f) => f.endsWith(".tgz"));
  const tgz = (name: string): string => {
    const file = files.find((f) => f.startsWith(`dwd-${name}-`));
    if (file === undefined) throw new Error(`no tarball for @dwd/${name}`);
    return join(tarballs, file);
  };
  check("tarball contents", () => {
    for (const file of files) {
      const path = join(tarballs, file);
      const entries = run("tar", ["tzf", path]).trim().split("\n");
      const stray = entries.filter(
        (e) =>
          !/^package\/(package\.json|README\.md|LICENSE|dist\/.+\.(js|d\.ts))$/.test(e) &&
          !(file.startsWith("dwd-server-") && e === "package/dwd-server.schema.json"),
      );
      if (file.startsWith("dwd-server-") && !entries.includes("package/dwd-server.schema.json"))
        problems.push(`${file}: package/dwd-server.schema.json is missing`);
      if (stray.length > 0) problems.push(`${file}: unexpected files ${stray.join(", ")}`);
      // The CLI is its entry and the chunks it imports when a command runs: all of them, or a command fails.
      if (file.startsWith("dwd-cli-")) {
        const built = readdirSync(join(root, "apps/cli/dist"), {
          recursive: true,
          withFileTypes: true,
        })
          .filter((e) => e.isFile())
          .map(
            (e) => `package/${join(e.parentPath, e.name).slice(join(root, "apps/cli").length + 1)}`,
          );
        const missing = built.filter((f) => !entries.includes(f));
        if (missing.length > 0) problems.push(`${file}: ${missing.join(", ")} missing`);
        if (!built.includes("package/dist/chunks/commands.js"))
          problems.push(`${file}: apps/cli/dist/chunks/commands.js was not built`);
      }
      for (const needed of ["package/package.json", "package/README.md", "package/LICENSE"]) {
        if (!entries.includes(needed)) problems.push(`${file}: ${needed} is missing`);
      }
      const manifest = JSON.parse(run("tar", ["xzf", path, "-O", "package/package.json"])) as {
        name: string;
        private?: boolean;
        dependencies?: Record<string, string>;
        peerDependencies?: Record<string, string>;
      };
      const text = run("tar", ["xzf", path, "-O", "--wildcards", "package/*"]);
      if (text.includes("workspace:")) problems.push(`${file}: a "workspace:" range is left`);
      // The maintainers' notes (a folder beside the clone), their wire reference, unconfirmed facts.
      for (const internal of [/\.\.\/shared\b/, /google-wire/, /UNCONFIRMED/, /sourceMappingURL/]) {
        if (internal.test(text))
          problems.push(`${file}: contains internal material ${String(internal)}`);
      }
      if (manifest.private) problems.push(`${file}: package.json says private`);
      if (manifest.name === "@dwd/cli" || manifest.name === "@dwd/server") {
        const deps = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies });
        if (deps.length > 0)
          problems.push(`${file}: ${manifest.name} has runtime dependencies ${deps.join(", ")}`);
      }
    }
    if (files.length !== packages.length)
      throw new Error(`expected ${packages.length} tarballs, got ${files.length}`);
  });

  // 2. The CLI from a clone: the built file is a program, and the packed CLI installs globally.
  check("apps/cli/dist/dwd.js is executable", () => {
    const bin = join(root, "apps/cli/dist/dwd.js");
    const mode = statSync(bin).mode & 0o777;
    if (mode !== 0o755) throw new Error(`mode ${mode.toString(8)}, not 755`);
    const version = run(bin, ["--version"]).trim();
    if (!/^\d+\.\d+\.\d+/.test(version))
      throw new Error(`--version printed ${JSON.stringify(version)}`);
  });
  check("npm install -g of the packed CLI", () => {
    run(
      "npm",
      [
        "install",
        "--global",
        "--prefix",
        globalPrefix,
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        tgz("cli"),
      ],
      { cwd: work },
    );
    const help = run(join(globalPrefix, "bin", "dwd"), ["--help"], { cwd: work });
    if (!help.includes("calendars"))
      throw new Error(`dwd --help printed no command list:\n${help}`);
    // A command: the entry imports the commands chunk from the installed package.
    const completion = run(join(globalPrefix, "bin", "dwd"), ["completion", "bash"], { cwd: work });
    if (!completion.includes("complete -o default -F _dwd dwd"))
      throw new Error(`dwd completion bash printed no completion script:\n${completion}`);
  });

  // 3. A project outside the workspace: the library tarballs and both TypeScripts, with plain npm.
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  const installStarted = performance.now();
  run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      "@types/node@24",
      `typescript@${TYPESCRIPT.newest}`,
      `typescript-oldest@npm:typescript@${TYPESCRIPT.oldest}`,
      tgz("auth"),
      tgz("calendar"),
      tgz("emulator"),
      tgz("cli"),
      tgz("server"),
    ],
    { cwd: app },
  );
  passed.push(`npm install (${((performance.now() - installStarted) / 1000).toFixed(1)} s)`);
  for (const [name, text] of Object.entries(programs)) writeFileSync(join(app, name), text);
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        verbatimModuleSyntax: true,
        skipLibCheck: false,
        lib: ["es2023"],
        types: ["node"],
        target: "es2022",
        module: "nodenext",
        moduleResolution: "nodenext",
        noEmit: true,
        allowImportingTsExtensions: true,
      },
      files: Object.keys(programs),
    }),
  );
  // Both compilers at once, and the programs run meanwhile: the JavaScript tsc alone takes ~15 s.
  compiled = Object.entries({
    [TYPESCRIPT.newest]: "typescript",
    [TYPESCRIPT.oldest]: "typescript-oldest",
  }).map(async ([version, dir]) => {
    const name = `strict tsc, TypeScript ${version}`;
    const started = performance.now();
    const bin = join(app, "node_modules", dir, "bin", "tsc");
    try {
      const { stdout } = await execFileAsync(process.execPath, [bin, "--version"], { cwd: app });
      if (!stdout.includes(version)) throw new Error(`${dir} is ${stdout.trim()}`);
      await execFileAsync(process.execPath, [bin, "-p", "tsconfig.json"], { cwd: app });
      passed.push(`${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      const e = error as { stdout?: string; message?: string };
      problems.push(`${name}: ${e.stdout?.trim() || e.message || String(error)}`);
    }
  });

  // The server's bin, on Node and on Deno (no workspace warning, no other stderr), and its schema.
  check("dwd-server --help (Node), --version (Deno), schema", () => {
    const serverHelp = run(join(app, "node_modules/.bin/dwd-server"), ["--help"], { cwd: app });
    if (!serverHelp.includes("--config"))
      throw new Error(`dwd-server --help printed no usage:\n${serverHelp}`);
    const serverOnDeno = spawnSync(
      join(root, "node_modules/.bin/deno"),
      ["run", "--allow-all", "node_modules/@dwd/server/dist/dwd-server.js", "--version"],
      {
        cwd: app,
        encoding: "utf8",
        env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      },
    );
    if (serverOnDeno.status !== 0 || serverOnDeno.stderr !== "")
      throw new Error(
        `dwd-server --version on Deno: exit ${serverOnDeno.status}, stderr ${JSON.stringify(serverOnDeno.stderr)}`,
      );
    const schema = JSON.parse(
      readFileSync(join(app, "node_modules/@dwd/server/dwd-server.schema.json"), "utf8"),
    ) as { title?: string };
    if (schema.title !== "dwd-server configuration")
      throw new Error(`dwd-server.schema.json has the title ${JSON.stringify(schema.title)}`);
  });

  // 4. The programs run on Node.
  for (const [program, output] of Object.entries(expected)) {
    check(`${program} on Node`, () => {
      const { DWD_EMULATOR_HOST: _ignored, ...env } = process.env;
      const printed = run(process.execPath, [program], { cwd: app, env }).trim();
      if (printed !== output) throw new Error(`printed\n${printed}\ninstead of\n${output}`);
    });
  }

  // 5. Deno: `npm:` specifiers resolved from the project's node_modules (the tarballs npm installed).
  const deno = join(root, "node_modules/.bin/deno");
  const denoEnv = { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
  writeFileSync(join(app, "deno-main.ts"), denoProgram);
  check("the npm: route on Deno", () => {
    const printed = run(
      deno,
      ["run", "--quiet", "--check", "--allow-all", "--node-modules-dir=manual", "deno-main.ts"],
      { cwd: app, env: denoEnv },
    ).trim();
    if (printed !== "deno: info@example.com") throw new Error(`printed ${JSON.stringify(printed)}`);
    const help = run(
      deno,
      ["run", "--quiet", "--allow-all", "--node-modules-dir=manual", "npm:@dwd/cli", "--help"],
      { cwd: app, env: denoEnv },
    );
    if (!help.includes("calendars"))
      throw new Error(`deno run npm:@dwd/cli --help printed:\n${help}`);
  });
} catch (error) {
  problems.push(error instanceof Error ? error.message : String(error));
} finally {
  await Promise.all(compiled); // each records its own outcome; none rejects
  if (keep) console.log(`pack-smoke: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`pack-smoke: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`pack-smoke: ${passed.length} checks passed: ${passed.join("; ")}`);
