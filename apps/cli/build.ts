// Bundles the CLI into dist/: the entry dwd.js (the bin) and chunks in dist/chunks/ that it runs or
// imports (Node ≥ 22, no runtime dependencies). The package ships all of dist/.
//
// Start-up is the reason for the shape. Node compiles every byte of a module it loads, even code in
// functions that never run, and pays for each file it loads as an ES module (resolve, read, compile, link).
//   - dist/dwd.js: the bin, an ES module of ~3 KB: turns Node's compile cache on and runs chunks/main.js.
//   - chunks/main.js: src/main.ts, with argument parsing, the command list, help, the error handler and
//     the configuration profile's flags (src/_internal/apply-profile.ts, which every command runs)
//     (~40 KB). `dwd --help` and a usage error run this and nothing else. A script chunk (see seed.js):
//     every run compiled this code afresh as an ES module, the functions a command calls (dispatch, citty's
//     parsing) included; from V8's code cache it compiles none of them (measured: `dwd calendars get`
//     ~3 ms of CPU less per run, `dwd --help` no slower).
//   - chunks/commands.js: every command, with @dwd/auth and @dwd/calendar (~250 KB), run by main.ts when
//     a command runs. A script chunk too (see seed.js): as an ES module a warm `dwd events list` over 200
//     users compiled its functions again on every run (measured, 20 alternating runs: CPU median 230 ->
//     220 ms).
//   - chunks/seed.js: `dwd calendars get` alone (src/commands/calendars-get.ts: the session, @dwd/auth,
//     @dwd/calendar, ~125 KB), imported instead of commands.js when `get` follows `calendars` (main.ts's
//     `alone`). Its modules are bundled from the same sources as commands.js's, so both run the same code
//     and give the same diagnoses; errors are reported by main.js, classified by name (report-error.ts).
//     A script chunk, not an ES module: run through node:vm with V8's code cache made after a run
//     (src/_internal/script-chunk.ts), which holds the functions the run compiled; Node's compile cache
//     holds only what a module compiles when it loads (measured: ~10 ms of CPU less per run).
//     `dwd calendars get` loads dwd.js, main.js and seed.js, nothing else. (The profile's code was a
//     chunk of its own, 4 KB: importing it cost the seed call ~2 ms, more than its compiling costs
//     `dwd --help`.)
//   - chunks/emulator.js: @dwd/emulator with hono, for `dwd emulator`, `dwd demo` and --all-users on the
//     emulator; chunks/node-forge.js: for .p12 keys only (and the emulator's .p12 files).
// The chunks are compiled through Node's compile cache when it can keep one (src/_internal/compile-cache.ts).
// Why not a chunk per command (esbuild's `splitting`): every import() and every set of commands sharing a
// module becomes a file of its own; `dwd calendars get` then loaded 26 files for 200 KB, and was slower
// (median of alternating runs) than one 250 KB chunk read through the compile cache.
//
// The modules of main.js are not bundled again into the other chunks: main.js publishes them (see
// sharedKey), so there is one set of registered secrets for redaction, one list of exit tasks, one
// UsageError class for `instanceof`.
//
// What else `dwd --help` does not pay for: node:util (citty imports parseArgs; see lazyBuiltins), and the
// process.stdout stream (io.ts writes with writeSync; the stream loads node:net for a pipe, ~5 ms).
import type { BuildResult, Metafile, Plugin } from "esbuild";
import { build } from "esbuild";
import { chmod, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";

const outdir = "dist";
const commandNames = [
  "calendars",
  "events",
  "agenda",
  "freebusy",
  "acl",
  "settings",
  "colors",
  "token",
  "doctor",
  "channels",
  "config",
  "completion",
  "emulator",
  "demo",
];
const authEntry = createRequire(import.meta.url).resolve("@dwd/auth");
const outfile = join(outdir, "dwd.js");

// Node built-ins are fetched (process.getBuiltinModule) where they are first needed (inside the lazy
// module initializers), not imported at the top of a module, so `dwd --help` does not load node:http,
// http2, zlib or stream.
// An ES module that imports a built-in by name (citty: `import { parseArgs } from "node:util"`) would get
// esbuild's __toESM wrapper, which loads the built-in at start-up and copies every export: for node:util
// ~3 ms, as it loads node:stream and creates process.stderr. Such imports get functions that require the
// built-in on their first call instead; a name missing from `lazyFunctions` is a build error
// (esbuild's import-is-undefined, raised to an error below).
const lazyFunctions: Record<string, string[]> = {
  "node:util": ["parseArgs"],
  "node:fs": [
    "fstatSync",
    "mkdirSync",
    "readdirSync",
    "readFileSync",
    "renameSync",
    "rmSync",
    "statSync",
    "writeFileSync",
    "writeSync",
  ],
  // node:fs/promises is a module of its own (readline, the REPL's history, file watchers: ~1.2 ms, ~3 ms
  // with its first read): the seed call and runs over many users (their subjects file, the kept tokens)
  // read and write their files with node:fs and do not load it.
  "node:fs/promises": [
    "chmod",
    "mkdir",
    "readdir",
    "readFile",
    "rename",
    "rm",
    "stat",
    "writeFile",
  ],
  "node:tty": ["isatty"],
  // The cache directory (compile-cache.ts): `dwd --help` does not load node:os (~1 ms).
  "node:os": ["homedir"],
  // Event IDs (events create): the seed call signs with WebCrypto and does not load node:crypto.
  "node:crypto": ["createHash"],
  // @dwd/calendar's transport: TLS (~7 ms) only for an https: request, not for the emulator over http.
  "node:https": ["Agent", "request"],
};
const lazyBuiltins: Plugin = {
  name: "lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.namespace === "lazy-builtin" || args.namespace === "lazy-builtin-esm")
        return { path: args.path, external: true };
      const esm = args.kind === "import-statement" && Object.hasOwn(lazyFunctions, args.path);
      return { path: args.path, namespace: esm ? "lazy-builtin-esm" : "lazy-builtin" };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin-esm" }, (args) => ({
      contents: (lazyFunctions[args.path] ?? [])
        .map(
          (name) =>
            `export function ${name}(...args) { const f = process.getBuiltinModule(${JSON.stringify(args.path)}).${name}; return new.target ? Reflect.construct(f, args) : f(...args); }`,
        )
        .join("\n"),
      loader: "js",
    }));
  },
};

// main.ts imports ../package.json for `--version`: bundle the version only, not the scripts and the
// workspace's devDependencies.
const versionOnly: Plugin = {
  name: "package-json-version-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]cli[\\/]package\.json$/ }, async (args) => ({
      contents: JSON.stringify({
        version: (JSON.parse(await readFile(args.path, "utf8")) as { version: string }).version,
      }),
      loader: "json",
    }));
  },
};

const common = {
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22",
  minify: process.env["DWD_BUILD_NO_MINIFY"] === undefined,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  logOverride: { "import-is-undefined": "error" },
} as const;
// ESM has no `require`; node-forge's CommonJS needs one (require("crypto")). getBuiltinModule, not
// `import … from "node:module"`: an ES import of a built-in builds its facade. Only node-forge's chunk:
// node:module (and its source-map support) is not loaded for `dwd --help`.
const requireBanner = {
  js: 'const require=process.getBuiltinModule("node:module").createRequire(import.meta.url);',
};

/**
 * Script chunks: main.ts's `import("./commands/x.ts")` of one of these runs the chunk as a classic script
 * through node:vm with a V8 code cache made after the run (src/_internal/script-chunk.ts: Node's compile
 * cache would keep only the code compiled at load, not the functions the run compiles). Its exports
 * (filled in when the chunk is built) are the stand-in's.
 */
const scriptChunks: Record<string, { file: string; exports: string[] }> = {
  "./commands/calendars-get.ts": { file: "seed.js", exports: [] },
  // Every other command: `import("./commands/x.ts")` of any of them runs chunks/commands.js once.
  commands: { file: "commands.js", exports: [] },
};
/**
 * The chunks a script chunk may import (its `import("./x.js")`), through the importer dwd.js hands
 * main.js (main.js hands it on to the script chunks it runs).
 */
const scriptImports = ["node-forge.js", "emulator.js"];
const importerName = "__dwdImport";
/** A script chunk's own URL (its `import.meta.url`), the second argument of its function. */
const urlName = "__dwdUrl";
// main.js: main.ts and what it imports, one script. `import("./commands/x.ts")` stays a dynamic import,
// of the chunk that holds every command (a sibling of main.js in dist/chunks/).
const toChunks: Plugin = {
  name: "commands-to-chunk",
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[\w-]+\.ts$/ }, (args) =>
      Object.hasOwn(scriptChunks, args.path)
        ? { path: args.path, namespace: "script-chunk" }
        : { path: "commands", namespace: "script-chunk" },
    );
    // A script chunk's stand-in, in main.js: runs the chunk (src/_internal/script-chunk.ts) when it is
    // first imported, and hands it the chunks it may import (through main.js's own importer).
    b.onLoad({ filter: /.*/, namespace: "script-chunk" }, (args) => {
      const { file, exports } = scriptChunks[args.path] ?? { file: "", exports: [] };
      return {
        contents: [
          `import { runScriptChunk } from ${JSON.stringify(resolve("src/_internal/script-chunk.ts"))};`,
          `const chunk = runScriptChunk(new URL(${JSON.stringify(`./${file}`)}, ${urlName}), {`,
          ...scriptImports.map(
            (c) =>
              `  ${JSON.stringify(`./${c}`)}: () => ${importerName}(${JSON.stringify(`./${c}`)}),`,
          ),
          "});",
          ...exports.map((name) => `export const ${name} = chunk[${JSON.stringify(name)}];`),
        ].join("\n"),
        resolveDir: process.cwd(),
        loader: "js",
      };
    });
  },
};
// The modules of main.js (the "entry modules": it was the entry) are the chunks' modules too, not copies:
// main.js publishes a namespace object of each one the other chunks import, under `sharedKey`, before
// main.ts runs; in a chunk, an import of one of them is a CommonJS stand-in that returns that object.
const sharedKey = "dwd.entry-modules";
/** The entry-modules plugin: publishes the namespaces of `shared` before main.ts runs. */
const entryModules = (shared: string[]): Plugin => ({
  name: "entry-modules",
  setup(b) {
    b.onResolve({ filter: /^dwd:entry-modules$/ }, () => ({
      path: "entry-modules",
      namespace: "entry-modules",
    }));
    b.onLoad({ filter: /.*/, namespace: "entry-modules" }, () => ({
      contents: [
        ...shared.map((path, i) => `import * as m${i} from ${JSON.stringify(resolve(path))};`),
        `globalThis[Symbol.for(${JSON.stringify(sharedKey)})] = { ${shared.map((path, i) => `${JSON.stringify(path)}: m${i}`).join(", ")} };`,
      ].join("\n"),
      resolveDir: process.cwd(),
      loader: "js",
    }));
  },
});
const mainFile = join(outdir, "chunks", "main.js");
// The namespaces are published before main.ts's module runs (esbuild orders a bundle's modules as they
// are imported).
const mainBuild = (shared: string[]): Promise<BuildResult<{ metafile: true }>> =>
  scriptChunkBuild(
    "main.js",
    'import "dwd:entry-modules";\nexport { main } from "./src/main.ts";',
    [entryModules(shared), toChunks, versionOnly],
  );
// First pass: which modules end up in main.js (those with code in it, not re-export-only indexes).
await rm(outdir, { recursive: true, force: true });
const firstPass = await mainBuild([]);
const shared = Object.entries(firstPass.metafile.outputs[mainFile]?.inputs ?? {})
  .filter(
    ([path, input]) =>
      input.bytesInOutput > 0 &&
      !path.includes(":") &&
      !["main.js.ts", "src/main.ts"].includes(path),
  )
  .map(([path]) => path)
  .sort();
const sharedSet = new Set(shared.map((path) => resolve(path)));
/** main.js's modules the other chunks import: main.js publishes these (all their exports). */
const published = new Set<string>();
const fromEntry: Plugin = {
  name: "modules-from-entry",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === "from-entry" || args.namespace !== "file") return undefined;
      if (args.kind === "entry-point") return undefined;
      const found = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: "from-entry",
      });
      if (found.errors.length > 0 || !sharedSet.has(found.path)) return undefined;
      // "#entry": a path ending in .mjs would make the stand-in an ES module, without `module`.
      return { path: `${relative(process.cwd(), found.path)}#entry`, namespace: "from-entry" };
    });
    b.onLoad({ filter: /.*/, namespace: "from-entry" }, (args) => {
      const path = args.path.slice(0, -"#entry".length);
      published.add(path);
      return {
        contents: `module.exports = globalThis[Symbol.for(${JSON.stringify(sharedKey)})][${JSON.stringify(path)}];`,
        loader: "js",
      };
    });
  },
};

/** Resolves `filter` to the chunk `file` (a sibling in dist/chunks/), imported when it is first needed. */
function chunk(filter: RegExp, file: string): Plugin {
  return {
    name: `chunk-${file}`,
    setup(b) {
      b.onResolve({ filter }, () => ({ path: `./${file}`, external: true }));
    },
  };
}
const forgeChunk = chunk(/^node-forge$/, "node-forge.js");
const chunkBuild = (
  file: string,
  contents: string,
  plugins: Plugin[],
  resolveDir = process.cwd(),
  banner?: { js: string },
): Promise<BuildResult<{ metafile: true }>> =>
  build({
    ...common,
    ...(banner !== undefined ? { banner } : {}),
    stdin: { contents, resolveDir, loader: "ts", sourcefile: `${file}.ts` },
    outfile: join(outdir, "chunks", file),
    plugins: [...plugins, lazyBuiltins],
  });

/**
 * Builds `contents` (the source of a module) as a script chunk: an IIFE, wrapped in a function of the
 * importer it is handed (`import("./x.js")` of a chunk becomes a call of it) and of its own URL, that
 * returns the module's exports.
 */
async function scriptChunkBuild(
  file: string,
  contents: string,
  plugins: Plugin[],
): Promise<BuildResult<{ metafile: true }>> {
  const globalName = "dwdChunk";
  const result = await build({
    ...common,
    format: "iife",
    globalName,
    // "use strict": the code is that of ES modules (strict), as in the chunks that are ES modules.
    banner: { js: `(function(${importerName},${urlName}){"use strict";` },
    footer: { js: `return ${globalName};})` },
    stdin: { contents, resolveDir: process.cwd(), loader: "ts", sourcefile: `${file}.ts` },
    outfile: join(outdir, "chunks", file),
    plugins: [...plugins, lazyBuiltins],
  });
  const path = join(outdir, "chunks", file);
  const required = Object.values(result.metafile.outputs)
    .flatMap((o) => o.imports)
    .filter((i) => i.kind === "require-call");
  if (required.length > 0)
    throw new Error(
      `${path} calls require() at run time: ${required.map((i) => i.path).join(", ")}`,
    );
  const text = (await readFile(path, "utf8"))
    .replace(/(?<![.\w$])import\("\.\/([\w-]+\.js)"\)/g, (call: string, chunk: string) => {
      if (!scriptImports.includes(chunk))
        throw new Error(`${path} imports ./${chunk}, which is not in scriptImports`);
      return `${importerName}("./${chunk}")`;
    })
    // A built-in imported when it is needed (`await import("node:fs/promises")`): its exports, as
    // `import()` would resolve them (a script has no module loader of its own).
    .replace(
      /(?<![.\w$])import\(("node:[\w/]+")\)/g,
      (call: string, builtin: string) =>
        `Promise.resolve().then(()=>process.getBuiltinModule(${builtin}))`,
    );
  if (/(?<![.\w$])import\(|import\.meta/.test(text))
    throw new Error(`${path} is a script chunk: it cannot use import() or import.meta`);
  await writeFile(path, text);
  const entry = Object.values(scriptChunks).find((c) => c.file === file);
  if (entry !== undefined) {
    // The names a command's chunk exports (for its stand-in in main.js), as an ES module build sees
    // them (an IIFE's metafile lists none).
    const esm = await build({
      ...common,
      stdin: { contents, resolveDir: process.cwd(), loader: "ts" },
      outfile: path,
      write: false,
      plugins: [...plugins, lazyBuiltins],
    });
    entry.exports = [...(Object.values(esm.metafile.outputs)[0]?.exports ?? [])].sort();
    if (entry.exports.length === 0) throw new Error(`${file} exports nothing`);
  }
  return result;
}

const chunks = [
  // Every command: main.ts imports it for any command but `--help`.
  await scriptChunkBuild(
    "commands.js",
    commandNames.map((c) => `export * from "./src/commands/${c}.ts";`).join("\n"),
    // fromEntry first: main.js's modules must not be bundled again.
    [fromEntry, forgeChunk, chunk(/^@dwd\/emulator(\/node)?$/, "emulator.js")],
  ),
  // The seed call, `dwd calendars get`, alone: its modules only (main.ts imports it for that command).
  await scriptChunkBuild("seed.js", 'export * from "./src/commands/calendars-get.ts";', [
    fromEntry,
    forgeChunk,
  ]),
  // The emulator (hono, the Node adapter), for `dwd emulator`, `dwd demo` and --all-users on the emulator.
  await chunkBuild(
    "emulator.js",
    'export * from "@dwd/emulator";\nexport { startEmulator } from "@dwd/emulator/node";',
    [forgeChunk],
  ),
  // node-forge, for .p12 keys only; resolved as @dwd/auth resolves it (the emulator uses the same version).
  await chunkBuild(
    "node-forge.js",
    'export { default } from "node-forge";',
    [],
    dirname(authEntry),
    requireBanner,
  ),
];
chunks.push(await mainBuild([...published].sort()));
// The bin: Node's compile cache on (it holds the script chunks' V8 code too), then main.js run with the
// chunks it may import (resolved next to this file).
const entry = await build({
  ...common,
  stdin: {
    contents: [
      `import { enableCompileCache } from ${JSON.stringify(resolve("src/_internal/compile-cache.ts"))};`,
      `import { runScriptChunk } from ${JSON.stringify(resolve("src/_internal/script-chunk.ts"))};`,
      "enableCompileCache(process.env);",
      'const { main } = runScriptChunk(new URL("./chunks/main.js", import.meta.url), {',
      ...scriptImports.map(
        (c) => `  ${JSON.stringify(`./${c}`)}: () => import(${JSON.stringify(`./chunks/${c}`)}),`,
      ),
      "});",
      "await main();",
    ].join("\n"),
    resolveDir: process.cwd(),
    loader: "js",
    sourcefile: "entry.ts",
  },
  outfile,
  plugins: [
    {
      name: "chunks-external",
      setup(b) {
        b.onResolve({ filter: /^\.\/chunks\/[\w-]+\.js$/ }, (args) => ({
          path: args.path,
          external: true,
        }));
      },
    },
    lazyBuiltins,
  ],
});
const metafile: Metafile = {
  inputs: { ...entry.metafile.inputs },
  outputs: { ...entry.metafile.outputs },
};
for (const c of chunks) {
  Object.assign(metafile.inputs, c.metafile.inputs);
  Object.assign(metafile.outputs, c.metafile.outputs);
}
const inputs = new Set(Object.keys(metafile.inputs));
const outputs = Object.keys(metafile.outputs).filter((path) => path.endsWith(".js"));

const forbidden = [...inputs].filter((path) =>
  /node_modules\/(google-auth-library|gaxios|gcp-metadata|googleapis)/.test(path),
);
if (forbidden.length > 0)
  throw new Error(
    `google-auth-library must not be in the CLI bundle, found: ${forbidden.join(", ")}`,
  );
if (![...inputs].some((path) => path.includes("node-forge")))
  throw new Error("node-forge is missing from the bundle (.p12 keys would fail)");

const texts = new Map<string, string>();
for (const path of outputs) texts.set(path, await readFile(path, "utf8"));
// `require` exists in node-forge's chunk alone (requireBanner); esbuild's shim would throw in the others.
// (A script chunk carries esbuild's unused shim of an IIFE; scriptChunkBuild checks that nothing calls it.)
const scriptFiles = new Set([
  mainFile,
  ...Object.values(scriptChunks).map((c) => join(outdir, "chunks", c.file)),
]);
for (const [path, text] of texts)
  if (
    !path.endsWith("node-forge.js") &&
    !scriptFiles.has(path) &&
    text.includes("Dynamic require of")
  )
    throw new Error(`${path} calls require() at run time, and has none`);
// Every dynamic import left must be a Node built-in or one of the chunks; anything else would be
// resolved at run time. A method named import (`cal.events.import(…)`) is not one: a `.` before it rules
// it out.
for (const [path, text] of texts) {
  const leftOver = [...text.matchAll(/(?<![.\w$])import\(([^)]{0,80})\)/g)]
    .map((m) => m[1] ?? "")
    .filter((arg) => {
      const chunk = /^"\.\/((?:chunks\/)?[\w-]+\.js)"$/.exec(arg)?.[1];
      if (chunk === undefined) return !/^\\?["']node:/.test(arg);
      const dir = path === outfile ? outdir : join(outdir, "chunks");
      return !texts.has(join(dir, chunk));
    });
  if (leftOver.length > 0)
    throw new Error(`${path} imports modules at run time: ${leftOver.join(", ")}`);
}
// One copy of the redaction module: secrets registered with registerSecret must be known where io.ts
// redacts every line.
const redaction = [...texts].filter(([, text]) => text.includes('"[redacted]"'));
if (redaction.length !== 1)
  throw new Error(
    `the redaction module must be bundled once, found in ${redaction.map(([p]) => p).join(", ") || "none"}`,
  );

// Each file is imported where it is first needed, none at the top of another: `dwd --help` loads the
// entry and main.js alone, a command those and the commands chunk, and only `dwd emulator`/`demo` the
// emulator.
for (const [path, output] of Object.entries(metafile.outputs)) {
  const eager = output.imports.filter((i) => i.kind === "import-statement");
  if (eager.length > 0)
    throw new Error(`${path} imports ${eager.map((i) => i.path).join(", ")} when it loads`);
}

// Executable, as a bin is: `./dist/dwd.js` runs from a clone, and `npm link` or a global install from
// the folder (not only from a tarball, where npm sets the mode itself) gets a runnable `dwd`.
// The #! line goes on the entry only (esbuild's banner is on every chunk).
await writeFile(outfile, `#!/usr/bin/env node\n${texts.get(outfile) ?? ""}`);
await chmod(outfile, 0o755);
const kb = (n: number): string => `${(n / 1024).toFixed(0)} KB`;
const sizeOf = async (paths: Iterable<string>): Promise<number> => {
  let total = 0;
  for (const p of paths) total += (await stat(p)).size;
  return total;
};
console.log(
  `${outdir}: ${(
    await Promise.all(outputs.map(async (p) => `${relative(outdir, p)} ${kb(await sizeOf([p]))}`))
  ).join(", ")}; ${inputs.size} inputs`,
);
