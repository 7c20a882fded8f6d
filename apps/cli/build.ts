// Bundles the CLI into one file, dist/dwd.js (ESM, Node ≥ 22, no code splitting, no runtime dependencies).
//
// Start-up is the reason for the shape. Node compiles every byte of a module before running it, even code in
// functions that never run: the 420 KB of command code (auth, calendar, the emulator with hono, node-forge)
// cost `dwd --help` ~15 ms, more than the CLI itself. So only the entry (argument parsing, the command list,
// the error handler: ~16 KB) is code; the rest is bundled separately into three CommonJS modules, each
// compiled the first time it is required: the commands (auth, calendar), the emulator (hono; for `emulator`
// and `demo` only) and node-forge (for .p12 keys only). They travel as JSON in a block comment at the end of
// the file, which the loader reads back from its own file: V8 skims a comment (~1 ms for 420 KB) where it
// scans the same bytes as string literals (~3.5 ms). No code splitting: it is still one file.
//
// What else `dwd --help` does not pay for: node:util (citty imports parseArgs; see lazyBuiltins), and the
// process.stdout stream (io.ts writes with writeSync; the stream loads node:net for a pipe, ~5 ms).
// Measured on 2 cores, median of 80 interleaved spawns, stdout piped: `node -e 0` 24.5 ms, `dwd --help`
// 27.3 ms (1.12×; it was 34.3 ms, 1.40×, with string literals, node:util and the stream). Of the 2.8 ms
// left, ~1 ms is compiling the entry and skimming the comment, ~1 ms running it, ~0.5 ms reading the file.
import type { Metafile, Plugin } from "esbuild";
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { chmod, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";

const outfile = "dist/dwd.js";
const inputs = new Set<string>();

// Node built-ins are required where they are first needed (inside the lazy module initializers), not
// imported at the top of the file, so `dwd --help` does not load node:http, http2, zlib or stream.
// An ES module that imports a built-in by name (citty: `import { parseArgs } from "node:util"`) would get
// esbuild's __toESM wrapper, which loads the built-in at start-up and copies every export: for node:util
// ~3 ms, as it loads node:stream and creates process.stderr. Such imports get functions that require the
// built-in on their first call instead; a name missing from `lazyFunctions` is a build error
// (esbuild's import-is-undefined, raised to an error below).
const lazyFunctions: Record<string, string[]> = {
  "node:util": ["parseArgs"],
  "node:fs": ["fstatSync", "writeSync"],
  "node:tty": ["isatty"],
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
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin-esm" }, (args) => ({
      contents: (lazyFunctions[args.path] ?? [])
        .map(
          (name) =>
            `export function ${name}(...args) { return require(${JSON.stringify(args.path)}).${name}(...args); }`,
        )
        .join("\n"),
      loader: "js",
    }));
  },
};

/**
 * Resolves `filter` to embedded module `name`: a CommonJS stub that asks the entry's loader for it, so
 * esbuild treats it as bundled (a dynamic `import()` of it becomes a lazy `require`).
 */
function embedded(filter: RegExp, name: string): Plugin {
  return {
    name: `embedded-${name}`,
    setup(b) {
      b.onResolve({ filter }, () => ({ path: name, namespace: "embedded" }));
      b.onResolve({ filter: /^dwd:embedded/ }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: new RegExp(`^${name}$`), namespace: "embedded" }, () => ({
        contents: `module.exports = require("dwd:embedded/${name}");`,
        loader: "js",
      }));
    },
  };
}

// The embedded modules travel in a block comment at the end of the file, as JSON: V8 skims a comment
// (~1 ms for 420 KB) faster than it scans string literals (~3.5 ms). The loader reads them back from its own
// file on first use. The marker names a hash of the JSON, so a dwd.js replaced on disk while dwd runs (an
// upgrade) is an error rather than a mix of two versions. `*/` cannot occur in the JSON: it is written `*\/`.
const footerStart = "\n/*dwd:embedded ";

function embeddedFooter(sources: Record<string, string>): { hash: string; footer: string } {
  const json = JSON.stringify(sources).replaceAll("*/", "*\\/");
  const hash = createHash("sha256").update(json).digest("hex").slice(0, 16);
  return { hash, footer: `${footerStart}${hash}\n${json}\n*/\n` };
}

/**
 * Reads the embedded modules back from the text of the bundle; undefined if the hash differs. The loader
 * contains this very function (its source, which Node has stripped of types), so the build checks what runs.
 */
function readFooter(text: string, hash: string): Record<string, string> | undefined {
  const start = text.lastIndexOf(footerStart) + footerStart.length;
  const end = text.indexOf("\n", start);
  return text.slice(start, end) === hash
    ? (JSON.parse(text.slice(end + 1, text.lastIndexOf("\n*/"))) as Record<string, string>)
    : undefined;
}

// One redaction module for the whole process. io.ts (in the entry) redacts every line with @dwd/auth's
// redactSecrets, and secrets registered with registerSecret must be known there: so the commands bundle
// does not get its own copy of auth's redact module (its own set of registered secrets) but the entry's.
const sharedRedact: Plugin = {
  name: "shared-redact",
  setup(b) {
    b.onResolve({ filter: /^(?:\.\.?\/)+redact\.(js|ts)$/ }, (args) =>
      /[\\/]auth[\\/](dist|src)[\\/]/.test(args.importer)
        ? { path: "redact", namespace: "shared-redact" }
        : undefined,
    );
    b.onResolve({ filter: /^dwd:shared\// }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /^redact$/, namespace: "shared-redact" }, () => ({
      contents: 'module.exports = require("dwd:shared/redact");',
      loader: "js",
    }));
  },
};

// The entry's loader: compiles an embedded module the first time it is required; embedded modules
// require each other (and Node built-ins) through it. `require` is the entry's createRequire.
function loaderSource(hash: string): string {
  return `
import { REDACTED, containsSecret, redactSecrets, registerSecret } from "@dwd/auth";
const shared = { "dwd:shared/redact": { REDACTED, containsSecret, redactSecrets, registerSecret } };
const footerStart = ${JSON.stringify(footerStart)};
${readFooter.toString()}
let sources;
function readSources() {
  const file = import.meta.filename;
  const found = readFooter(require("node:fs").readFileSync(file, "utf8"), ${JSON.stringify(hash)});
  if (found === undefined) throw new Error(\`Cannot read dwd's modules from "\${file}": the file changed since dwd started\`);
  return found;
}
const cache = Object.create(null);
function embeddedRequire(id) {
  if (Object.hasOwn(shared, id)) return shared[id];
  if (!id.startsWith("dwd:embedded/")) return require(id);
  const name = id.slice("dwd:embedded/".length);
  if (cache[name] === undefined) {
    sources ??= readSources();
    const module = { exports: {} };
    cache[name] = module;
    require("node:vm").compileFunction(sources[name], ["exports", "require", "module"], { filename: "dwd.js/" + name })(module.exports, embeddedRequire, module);
  }
  return cache[name].exports;
}
export default embeddedRequire;`;
}

function collect(metafile: Metafile): void {
  for (const path of Object.keys(metafile.inputs)) inputs.add(path);
}

async function bundleCjs(options: {
  stdin: string;
  resolveDir: string;
  plugins: Plugin[];
}): Promise<string> {
  const result = await build({
    stdin: {
      contents: options.stdin,
      resolveDir: options.resolveDir,
      loader: "ts",
      sourcefile: "entry.ts",
    },
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node22",
    minify: true,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
    logOverride: { "import-is-undefined": "error" },
    plugins: [...options.plugins, lazyBuiltins],
  });
  collect(result.metafile);
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error("esbuild produced no output");
  return file.text;
}

// node-forge, resolved as @dwd/auth resolves it (the emulator uses the same version).
const authDir = dirname(createRequire(import.meta.url).resolve("@dwd/auth"));
const forge = await bundleCjs({
  stdin: 'module.exports = require("node-forge");',
  resolveDir: authDir,
  plugins: [],
});
const forgePlugin = embedded(/^node-forge$/, "node-forge");

// The emulator (hono, the Node adapter), only for `dwd emulator` and `dwd demo`.
const emulator = await bundleCjs({
  stdin: 'export * from "@dwd/emulator";\nexport { startEmulator } from "@dwd/emulator/node";',
  resolveDir: process.cwd(),
  plugins: [forgePlugin],
});

// Every command module, sharing node-forge and the emulator.
const commands = await bundleCjs({
  stdin: [
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
  ]
    .map((c) => `export * from "./src/commands/${c}.ts";`)
    .join("\n"),
  resolveDir: process.cwd(),
  plugins: [forgePlugin, embedded(/^@dwd\/emulator(\/node)?$/, "emulator"), sharedRedact],
});

// The entry; `import("./commands/…")` resolves to the embedded commands.
const sources = { commands, emulator, "node-forge": forge };
const { hash, footer } = embeddedFooter(sources);
const loader: Plugin = {
  name: "embedded-loader",
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\// }, () => ({
      path: "commands",
      namespace: "embedded-entry",
    }));
    b.onResolve({ filter: /^dwd:loader$/ }, () => ({
      path: "loader",
      namespace: "embedded-entry",
    }));
    b.onLoad({ filter: /^commands$/, namespace: "embedded-entry" }, () => ({
      contents: 'module.exports = require("dwd:loader").default("dwd:embedded/commands");',
      loader: "js",
    }));
    b.onLoad({ filter: /^loader$/, namespace: "embedded-entry" }, () => ({
      contents: loaderSource(hash),
      loader: "js",
      resolveDir: process.cwd(),
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
await rm("dist", { recursive: true, force: true });
const result = await build({
  entryPoints: ["src/main.ts"],
  outfile,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22",
  splitting: false,
  minify: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  logOverride: { "import-is-undefined": "error" },
  plugins: [loader, lazyBuiltins, versionOnly],
  footer: { js: footer },
  banner: {
    // ESM has no \`require\`; the embedded CommonJS modules and node-forge (require("crypto")) need one.
    // getBuiltinModule, not `import … from "node:module"`: an ES import of a built-in builds its facade.
    js: '#!/usr/bin/env node\nconst require=process.getBuiltinModule("node:module").createRequire(import.meta.url);',
  },
});
collect(result.metafile);

const forbidden = [...inputs].filter((path) =>
  /node_modules\/(google-auth-library|gaxios|gcp-metadata|googleapis)/.test(path),
);
if (forbidden.length > 0)
  throw new Error(
    `google-auth-library must not be in the CLI bundle, found: ${forbidden.join(", ")}`,
  );
if (![...inputs].some((path) => path.includes("node-forge")))
  throw new Error("node-forge is missing from the bundle (.p12 keys would fail)");
const text = await readFile(outfile, "utf8");
// Every dynamic import left must be a Node built-in; anything else would be resolved at run time. A
// method named import (`cal.events.import(…)`) is not one: a `.` before it rules it out.
const leftOver = [...text.matchAll(/(?<![.\w$])import\(([^)]{0,60})\)/g)]
  .map((m) => m[1] ?? "")
  .filter((arg) => !/^\\?["']node:/.test(arg));
if (leftOver.length > 0)
  throw new Error(`the bundle imports modules at run time: ${leftOver.join(", ")}`);
// One copy of the redaction module, in the entry (see sharedRedact).
if (
  commands.includes('"[redacted]"') ||
  emulator.includes('"[redacted]"') ||
  !text.includes('"[redacted]"')
)
  throw new Error("the redaction module must be bundled once, in the entry");
// The footer must come back exactly as the loader will read it.
if (JSON.stringify(readFooter(text, hash)) !== JSON.stringify(sources))
  throw new Error("the embedded modules do not read back from the footer of the bundle");
// Executable, as a bin is: `./dist/dwd.js` runs from a clone, and `npm link` or a global install from
// the folder (not only from a tarball, where npm sets the mode itself) gets a runnable `dwd`.
await chmod(outfile, 0o755);
const { size } = await stat(outfile);
const kb = (n: number): string => `${(n / 1024).toFixed(0)} KB`;
console.log(
  `${outfile}: ${kb(size)}: entry ${kb(size - footer.length)}; embedded commands ${kb(commands.length)}, emulator ${kb(emulator.length)}, node-forge ${kb(forge.length)}; ${inputs.size} inputs`,
);
