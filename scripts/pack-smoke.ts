// What a team gets from npm, tried before anything is published: packs every public package with
// `pnpm pack`, checks what each tarball holds, installs the tarballs with plain npm into an empty folder
// outside the workspace, then runs `dwd --help` and `dwd-server --help` (and its `--version` on Deno),
// type-checks a consumer script in a strict TypeScript project, and runs the seed flow (emulator on a
// port, the JSON key it writes, a token source, a calendar client, calendarList.get) from the installed
// packages on Node and on Deno.
//
//   node scripts/pack-smoke.ts            (after `pnpm build`; needs npm and the npm registry or its cache)
//   node scripts/pack-smoke.ts --keep     keep the temp folder and print where it is
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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

const work = mkdtempSync(join(tmpdir(), "dwd-pack-smoke-"));
const tarballs = join(work, "tarballs");
const app = join(work, "app");
mkdirSync(tarballs);
mkdirSync(app);

try {
  // 1. Pack, then look inside each tarball.
  for (const dir of packages) {
    run("pnpm", ["pack", "--pack-destination", tarballs], { cwd: join(root, dir) });
  }
  const files = readdirSync(tarballs).filter((f) => f.endsWith(".tgz"));
  for (const file of files) {
    const tgz = join(tarballs, file);
    const entries = run("tar", ["tzf", tgz]).trim().split("\n");
    const stray = entries.filter(
      (e) =>
        !/^package\/(package\.json|README\.md|LICENSE|dist\/.+\.(js|d\.ts))$/.test(e) &&
        !(file.startsWith("dwd-server-") && e === "package/dwd-server.schema.json"),
    );
    if (file.startsWith("dwd-server-") && !entries.includes("package/dwd-server.schema.json"))
      problems.push(`${file}: package/dwd-server.schema.json is missing`);
    if (stray.length > 0) problems.push(`${file}: unexpected files ${stray.join(", ")}`);
    for (const needed of ["package/package.json", "package/README.md", "package/LICENSE"]) {
      if (!entries.includes(needed)) problems.push(`${file}: ${needed} is missing`);
    }
    const manifest = JSON.parse(run("tar", ["xzf", tgz, "-O", "package/package.json"])) as {
      name: string;
      private?: boolean;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const text = run("tar", ["xzf", tgz, "-O", "--wildcards", "package/*"]);
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
    problems.push(`expected ${packages.length} tarballs, got ${files.length}`);

  // 2. Install them with plain npm, outside the workspace (no lockfile, no pnpm).
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      "@types/node@24",
      "typescript@~6.0.3",
      ...files.map((f) => join(tarballs, f)),
    ],
    { cwd: app },
  );

  // 3. The CLI's bin.
  const help = run(join(app, "node_modules/.bin/dwd"), ["--help"], { cwd: app });
  if (!help.includes("calendars")) problems.push(`dwd --help printed no command list:\n${help}`);

  // The server's bin, on Node and on Deno (no workspace warning, no other stderr), and its schema.
  const serverHelp = run(join(app, "node_modules/.bin/dwd-server"), ["--help"], { cwd: app });
  if (!serverHelp.includes("--config"))
    problems.push(`dwd-server --help printed no usage:\n${serverHelp}`);
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
    problems.push(
      `dwd-server --version on Deno: exit ${serverOnDeno.status}, stderr ${JSON.stringify(serverOnDeno.stderr)}`,
    );
  const schema = JSON.parse(
    readFileSync(join(app, "node_modules/@dwd/server/dwd-server.schema.json"), "utf8"),
  ) as { title?: string };
  if (schema.title !== "dwd-server configuration")
    problems.push(`dwd-server.schema.json has the title ${JSON.stringify(schema.title)}`);

  // 4. The seed flow, as a user writes it.
  writeFileSync(
    join(app, "seed.ts"),
    `import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTokenSource, loadKey } from "@dwd/auth";
import { createCalendarClient } from "@dwd/calendar";
import { startEmulator } from "@dwd/emulator/node";

const keysDir = mkdtempSync(join(tmpdir(), "dwd-keys-"));
const emulator = await startEmulator({ port: 0, keysDir });
try {
  const keyFile = emulator.keyFiles["calendar-bot"]?.json;
  if (keyFile === undefined) throw new Error("the emulator wrote no key for calendar-bot");
  const tokenSource = createTokenSource(await loadKey(keyFile));
  const calendar = createCalendarClient({
    tokenSource,
    subject: "info@example.com",
    rootUrl: \`\${emulator.url}/calendar/v3\`,
  });
  const entry = await calendar.calendarList.get("info@example.com");
  console.log(\`summary: \${entry.summary ?? "(none)"}\`);
} finally {
  await emulator.close();
}
`,
  );
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "es2023",
        module: "nodenext",
        moduleResolution: "nodenext",
        lib: ["es2023", "dom"],
        types: ["node"],
        noEmit: true,
        allowImportingTsExtensions: true,
        skipLibCheck: false,
      },
      files: ["seed.ts"],
    }),
  );
  run(process.execPath, [join(app, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
    cwd: app,
  });
  const onNode = run(process.execPath, ["seed.ts"], { cwd: app });
  if (onNode.trim() !== "summary: info@example.com")
    problems.push(`seed flow on Node printed ${JSON.stringify(onNode)}`);
  const deno = join(root, "node_modules/.bin/deno");
  const onDeno = run(
    deno,
    ["run", "--quiet", "--allow-all", "--node-modules-dir=manual", "seed.ts"],
    {
      cwd: app,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    },
  );
  if (onDeno.trim() !== "summary: info@example.com")
    problems.push(`seed flow on Deno printed ${JSON.stringify(onDeno)}`);
} catch (error) {
  problems.push(error instanceof Error ? error.message : String(error));
} finally {
  if (keep) console.log(`pack-smoke: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`pack-smoke: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `pack-smoke: ${packages.length} tarballs hold only dist, README, LICENSE and package.json (and dwd-server's schema); installed with npm outside the workspace: dwd --help, dwd-server --help (Node, Deno), strict tsc, seed flow on Node and on Deno all pass`,
);
