// Type-checks every TypeScript code block of every README and every `@example` in the libraries'
// sources, then runs the README blocks against the emulator.
//
//   node scripts/check-docs.ts           (after `pnpm build`: snippets import the built packages)
//   node scripts/check-docs.ts --keep    keep the generated files (bench/.doc-check/) to look at them
//
// Each snippet becomes one module in bench/.doc-check/ (bench depends on every package, and on
// google-auth-library and @googleapis/calendar), checked by tsc in strict mode with Node's types.
//
// README blocks (```ts) are complete programs: they import what they use. Each runs with Node in a
// folder that holds the demo scenario's `calendar-bot` JSON key under the names READMEs use
// (sa.json, service-account.json, key.json), with DWD_EMULATOR_HOST pointing at an emulator on a local
// port; it must exit 0. A block whose fence says ```ts no-run is only type-checked (say why next to it).
//
// An `@example` may be a fragment. It sees every export of its package's entry points, and these
// givens, unless it declares them itself: `key` (a ServiceAccountKey), `source` (a TokenSource),
// `emulator` (an Emulator) and `client` (a CalendarClient).
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "bench", ".doc-check");
const keep = process.argv.includes("--keep");

interface Snippet {
  /** Where it came from, e.g. packages/auth/README.md:23. */
  origin: string;
  code: string;
  run: boolean;
  /** For `@example`s: the package whose exports it sees. */
  pkg?: string;
}

const snippets: Snippet[] = [];

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

// README blocks.
const readmes = [
  "README.md",
  ...["packages", "apps"].flatMap((dir) =>
    readdirSync(join(root, dir)).map((name) => join(dir, name, "README.md")),
  ),
].filter((path) => {
  try {
    readFileSync(join(root, path));
    return true;
  } catch {
    return false;
  }
});
for (const path of readmes) {
  const text = readFileSync(join(root, path), "utf8");
  for (const m of text.matchAll(/^```(?:ts|typescript)([^\n]*)\n([\s\S]*?)^```/gm)) {
    const info = m[1] ?? "";
    // ```ts fragment: a piece of a program that uses what the prose introduced (`cal`, `subject`, …):
    // type-checked with its package's exports and the givens below, like an @example; never run.
    const fragment = /\bfragment\b/.test(info);
    const pkgDir = /^packages\/[^/]+\//.test(path) ? join(root, dirname(path)) : undefined;
    const pkg =
      fragment && pkgDir !== undefined
        ? (JSON.parse(readFileSync(join(pkgDir, "deno.json"), "utf8")) as { name: string }).name
        : undefined;
    snippets.push({
      origin: `${path}:${lineOf(text, m.index) + 1}`,
      code: m[2] ?? "",
      run: !fragment && !/\bno-run\b/.test(info),
      ...(pkg !== undefined ? { pkg } : {}),
    });
  }
}

// `@example`s of each library (entry points from deno.json; internal helpers are not documented API).
const entryNames = new Map<string, string[]>();
for (const dir of readdirSync(join(root, "packages"))) {
  const pkgDir = join(root, "packages", dir);
  const deno = JSON.parse(readFileSync(join(pkgDir, "deno.json"), "utf8")) as {
    name: string;
    exports: Record<string, string>;
  };
  const names: string[] = [];
  for (const [key, file] of Object.entries(deno.exports)) {
    const specifier = key === "." ? deno.name : `${deno.name}/${key.slice(2)}`;
    for (const name of exportedValueNames(join(pkgDir, file))) names.push(`${specifier}\0${name}`);
  }
  entryNames.set(deno.name, names);
  for (const file of listTs(join(pkgDir, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const comment of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
      const body = (comment[1] ?? "").split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
      for (let i = 0; i < body.length; i++) {
        if (!/^@example\b/.test(body[i] ?? "")) continue;
        const lines: string[] = [];
        for (let j = i + 1; j < body.length && !/^@\w/.test(body[j] ?? ""); j++)
          lines.push(body[j] ?? "");
        const section = lines.join("\n");
        const fenced = [...section.matchAll(/```(?:ts|typescript)?[^\n]*\n([\s\S]*?)```/g)].map(
          (f) => f[1] ?? "",
        );
        const blocks = fenced.length > 0 ? fenced : [section];
        const origin = `${relative(root, file)}:${lineOf(text, comment.index) + i}`;
        for (const code of blocks)
          if (code.trim() !== "") snippets.push({ origin, code, run: false, pkg: deno.name });
      }
    }
  }
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory())
      return e.name === "_generated" || e.name === "_internal" ? [] : listTs(path);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The names an entry module re-exports (`export { a, b as c } from`, `export type { … }`). */
function exportedValueNames(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const names: string[] = [];
  for (const m of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const part of (m[2] ?? "").split(",")) {
      const typeOnly = m[1] !== undefined || /^\s*type\s/.test(part);
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()
        ?.replace(/^type\s+/, "")
        .trim();
      if (name) names.push(typeOnly ? `type ${name}` : name);
    }
  }
  for (const m of text.matchAll(
    /export\s+(?:async\s+)?(function|const|class|interface|type)\s+(\w+)/g,
  )) {
    if (m[2]) names.push(m[1] === "interface" || m[1] === "type" ? `type ${m[2]}` : m[2]);
  }
  return names;
}

// The names an example may use without declaring them, each with its type: what the surrounding prose
// already introduced (a key, a token source, a calendar client `cal`, a user, IDs, a time range ...).
const givens: Record<string, string> = {
  key: 'import("@dwd/auth").ServiceAccountKey',
  source: 'import("@dwd/auth").TokenSource',
  tokenSource: 'import("@dwd/auth").TokenSource',
  emulator: 'import("@dwd/emulator").Emulator',
  client: 'import("@dwd/calendar").CalendarClient',
  cal: 'import("@dwd/calendar").CalendarClient',
  held: 'import("@dwd/calendar").Event',
  start: 'import("@dwd/calendar").EventDateTime',
  end: 'import("@dwd/calendar").EventDateTime',
  subject: "string",
  scopes: "string[]",
  users: "string[]",
  id: "string",
  eventId: "string",
  recurringId: "string",
  channelId: "string",
  resourceId: "string",
  timeMin: "string",
  timeMax: "string",
  redisStore: 'import("@dwd/auth").SharedTokenStore',
  redis:
    "{ get(key: string): Promise<string | null>; set(key: string, value: string): Promise<unknown>; del(key: string): Promise<unknown> }",
};

function declares(code: string, name: string): boolean {
  const declared = new RegExp(`\\b(?:const|let|var|function|class|type|interface)\\s+${name}\\b`);
  const imported = new RegExp(`import\\s+(?:type\\s+)?\\{[^}]*\\b${name}\\b[^}]*\\}\\s+from`);
  const destructured = new RegExp(`\\b(?:const|let|var)\\s+\\{[^}]*\\b${name}\\b[^}]*\\}\\s*=`);
  return declared.test(code) || imported.test(code) || destructured.test(code);
}

function prelude(snippet: Snippet): string {
  if (snippet.pkg === undefined) return "";
  const uses = (name: string): boolean =>
    new RegExp(`\\b${name}\\b`).test(snippet.code) && !declares(snippet.code, name);
  const bySpecifier = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const entry of entryNames.get(snippet.pkg) ?? []) {
    const [specifier = "", spelled = ""] = entry.split("\0");
    const name = spelled.replace(/^type /, "");
    if (seen.has(name) || !uses(name)) continue;
    seen.add(name);
    bySpecifier.set(specifier, (bySpecifier.get(specifier) ?? new Set()).add(spelled));
  }
  const lines = [...bySpecifier].map(
    ([specifier, names]) => `import { ${[...names].join(", ")} } from "${specifier}";`,
  );
  for (const [name, type] of Object.entries(givens)) {
    if (uses(name) && !seen.has(name)) lines.push(`declare const ${name}: ${type};`);
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

// Write the modules and one tsconfig for them.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const files = snippets.map((snippet, i) => {
  const name = `${String(i).padStart(3, "0")}-${snippet.origin.replace(/[^\w]+/g, "-")}.ts`;
  writeFileSync(
    join(outDir, name),
    `// ${snippet.origin}\n${prelude(snippet)}${snippet.code}\nexport {};\n`,
  );
  return { ...snippet, name };
});
writeFileSync(
  join(outDir, "tsconfig.json"),
  JSON.stringify({
    extends: "../../tsconfig.base.json",
    compilerOptions: {
      noEmit: true,
      types: ["node"],
      allowImportingTsExtensions: true,
      isolatedDeclarations: false,
      declaration: false,
      declarationMap: false,
      noUnusedLocals: false,
    },
    include: ["*.ts"],
  }),
);

let failed = 0;
try {
  const tsc = spawnSync(
    process.execPath,
    [join(root, "node_modules/typescript/bin/tsc"), "-p", join(outDir, "tsconfig.json")],
    {
      encoding: "utf8",
      cwd: root,
    },
  );
  if (tsc.status !== 0) {
    // Name each error by the README line or source line the snippet came from.
    const output = `${tsc.stdout}${tsc.stderr}`.replace(
      /bench\/\.doc-check\/(\d{3})-[\w-]+\.ts\((\d+),(\d+)\)/g,
      (_all, n: string, line: string) => {
        const file = files[Number(n)];
        const skipped = 1 + (file === undefined ? 0 : prelude(file).split("\n").length - 1);
        return `${file?.origin ?? "?"} (snippet line ${Number(line) - skipped})`;
      },
    );
    console.error(output.trim());
    failed += output.split("\n").filter((l) => l.includes("error TS")).length;
  }

  // Run the README blocks against the emulator.
  const runnable = files.filter((f) => f.run);
  if (runnable.length > 0 && failed === 0) {
    const { startEmulator } = (await import(
      join(root, "packages/emulator/dist/node.js")
    )) as typeof import("../packages/emulator/src/node.ts");
    const keysDir = mkdtempSync(join(tmpdir(), "dwd-doc-keys-"));
    const cwd = mkdtempSync(join(tmpdir(), "dwd-doc-run-"));
    const running = await startEmulator({ port: 0, keysDir });
    try {
      const json = running.keyFiles["calendar-bot"]?.json;
      if (json === undefined) throw new Error("the emulator wrote no key for calendar-bot");
      for (const name of ["sa.json", "service-account.json", "key.json"])
        copyFileSync(json, join(cwd, name));
      const host = new URL(running.url).host;
      for (const file of runnable) {
        // Asynchronously: the emulator answers from this process's event loop.
        try {
          await promisify(execFile)(process.execPath, [join(outDir, file.name)], {
            cwd,
            encoding: "utf8",
            timeout: 60_000,
            env: {
              ...process.env,
              DWD_EMULATOR_HOST: host,
              GOOGLE_APPLICATION_CREDENTIALS: join(cwd, "sa.json"),
            },
          });
        } catch (error) {
          failed++;
          const e = error as { code?: number; signal?: string; stdout?: string; stderr?: string };
          console.error(
            `${file.origin}: the snippet exited ${e.code ?? e.signal} against the emulator:\n${e.stdout ?? ""}${e.stderr ?? ""}`,
          );
        }
      }
    } finally {
      await running.close();
      rmSync(keysDir, { recursive: true, force: true });
      rmSync(cwd, { recursive: true, force: true });
    }
  }
} finally {
  if (!keep) rmSync(outDir, { recursive: true, force: true });
}

const ran = files.filter((f) => f.run).length;
if (failed > 0) {
  console.error(`check-docs: ${failed} problem(s) in ${snippets.length} snippets`);
  process.exit(1);
}
console.log(
  `check-docs: ${snippets.length} snippets type-check (${files.length - ran} @example/no-run, ${ran} README blocks also ran against the emulator)`,
);
