// Bundles the CLI into one file, dist/dwd.js (ESM, Node ≥ 22, no code splitting, no runtime dependencies).
//
// Start-up is the reason for the shape. Node compiles every byte of a module before running it, even code in
// functions that never run: the 420 KB of command code (auth, calendar, the emulator with hono, node-forge)
// cost `dwd --help` ~15 ms, more than the CLI itself. So the file has three layers:
//   1. the entry: argument parsing, the command list, the error handler (~15 KB of code);
//   2. the commands, bundled separately and embedded as ONE string, compiled on the first command that runs;
//   3. inside it, node-forge (~290 KB, only for .p12 keys), embedded as a string again, compiled on first use.
// A string literal is only scanned, not compiled, so `dwd --help` pays for layer 1 alone.
import type { Metafile, Plugin } from "esbuild";
import { build } from "esbuild";
import { readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";

const outfile = "dist/dwd.js";
const inputs = new Set<string>();

// tsc (with rewriteRelativeImportExtensions) compiles `import("node-forge" as string)` in @dwd/auth to
// `import(__rewriteRelativeImportExtension("node-forge"))`: a computed specifier esbuild cannot follow, so
// node-forge would be left out and looked up at run time. The helper only changes relative specifiers,
// so for a bare or `node:` specifier it is the identity: put the literal back.
const literalBareImports: Plugin = {
  name: "literal-bare-imports",
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      return { contents: source.replace(/__rewriteRelativeImportExtension\((["'])([^."'][^"']*)\1\)/g, '"$2"'), loader: "js" };
    });
  },
};

// Node built-ins are required where they are first needed (inside the lazy module initializers), not
// imported at the top of the file, so `dwd --help` does not load node:http, http2, zlib or stream.
const lazyBuiltins: Plugin = {
  name: "lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.namespace === "lazy-builtin" ? { path: args.path, external: true } : { path: args.path, namespace: "lazy-builtin" },
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

// Compiles embedded CommonJS code the first time it is required. `require` is the entry's createRequire.
const evaluateSource = `
const vm = require("node:vm");
module.exports = function evaluate(name, code) {
  const module = { exports: {} };
  vm.compileFunction(code, ["exports", "require", "module"], { filename: "dwd.js/" + name })(module.exports, require, module);
  return module.exports;
};`;

/** A plugin that replaces `specifier` by embedded `code`, compiled on first use. */
function embed(filter: RegExp, name: string, code: () => string): Plugin {
  return {
    name: `embed-${name}`,
    setup(b) {
      b.onResolve({ filter }, () => ({ path: name, namespace: "embedded" }));
      b.onResolve({ filter: /^dwd:evaluate$/ }, () => ({ path: "evaluate", namespace: "dwd-evaluate" }));
      b.onLoad({ filter: /.*/, namespace: "dwd-evaluate" }, () => ({ contents: evaluateSource, loader: "js", resolveDir: "." }));
      b.onLoad({ filter: new RegExp(`^${name}$`), namespace: "embedded" }, () => ({
        contents: `module.exports = require("dwd:evaluate")(${JSON.stringify(name)}, ${JSON.stringify(code())});`,
        loader: "js",
        resolveDir: ".",
      }));
    },
  };
}

function collect(metafile: Metafile): void {
  for (const path of Object.keys(metafile.inputs)) inputs.add(path);
}

async function bundleCjs(options: { stdin: string; resolveDir: string; plugins: Plugin[] }): Promise<string> {
  const result = await build({
    stdin: { contents: options.stdin, resolveDir: options.resolveDir, loader: "ts", sourcefile: "entry.ts" },
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node22",
    minify: true,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
    plugins: [literalBareImports, ...options.plugins, lazyBuiltins],
  });
  collect(result.metafile);
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error("esbuild produced no output");
  return file.text;
}

// Layer 3: node-forge, resolved as @dwd/auth resolves it.
const authDir = dirname(createRequire(import.meta.url).resolve("@dwd/auth"));
const forge = await bundleCjs({ stdin: 'module.exports = require("node-forge");', resolveDir: authDir, plugins: [] });

// Layer 2: every command module, node-forge embedded.
const commands = await bundleCjs({
  stdin: ["calendars", "token", "doctor", "emulator", "demo"].map((c) => `export * from "./src/commands/${c}.ts";`).join("\n"),
  resolveDir: process.cwd(),
  plugins: [embed(/^node-forge$/, "node-forge", () => forge)],
});

// Layer 1: the entry; `import("./commands/…")` resolves to the embedded commands.
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
  plugins: [literalBareImports, embed(/^\.\/commands\//, "commands", () => commands), lazyBuiltins],
  banner: {
    // ESM has no `require`; the embedded CommonJS layers and node-forge (require("crypto")) need one.
    js: '#!/usr/bin/env node\nimport{createRequire as __dwdCreateRequire}from"node:module";const require=__dwdCreateRequire(import.meta.url);',
  },
});
collect(result.metafile);

const forbidden = [...inputs].filter((path) => /node_modules\/(google-auth-library|gaxios|gcp-metadata|googleapis)/.test(path));
if (forbidden.length > 0) throw new Error(`google-auth-library must not be in the CLI bundle, found: ${forbidden.join(", ")}`);
if (![...inputs].some((path) => path.includes("node-forge"))) throw new Error("node-forge is missing from the bundle (.p12 keys would fail)");
const text = await readFile(outfile, "utf8");
// Every dynamic import left must be a Node built-in; anything else would be resolved at run time.
const leftOver = [...text.matchAll(/\bimport\(([^)]{0,60})\)/g)].map((m) => m[1] ?? "").filter((arg) => !/^\\?["']node:/.test(arg));
if (leftOver.length > 0) throw new Error(`the bundle imports modules at run time: ${leftOver.join(", ")}`);
const { size } = await stat(outfile);
console.log(`${outfile}: ${(size / 1024).toFixed(0)} KB (entry ${((size - commands.length) / 1024).toFixed(0)} KB + embedded commands ${((commands.length - forge.length) / 1024).toFixed(0)} KB + node-forge ${(forge.length / 1024).toFixed(0)} KB), ${inputs.size} inputs`);
