// Bundles the CLI into one file, dist/dwd.js. No code splitting: each command's `import()` becomes a lazy
// module initializer inside the same file, so `dwd --help` parses the file but evaluates almost nothing.
import type { Plugin } from "esbuild";
import { build } from "esbuild";
import { readFile, rm, stat } from "node:fs/promises";

const outfile = "dist/dwd.js";

// tsc (with rewriteRelativeImportExtensions) compiles `import("node-forge" as string)` in @dwd/auth to
// `import(__rewriteRelativeImportExtension("node-forge"))`: a computed specifier esbuild cannot follow, so
// node-forge would be left out of the bundle and looked up at run time. The helper only ever changes
// relative specifiers, so for a bare or `node:` specifier it is the identity: put the literal back.
const literalBareImports: Plugin = {
  name: "literal-bare-imports",
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      return { contents: source.replace(/__rewriteRelativeImportExtension\((["'])([^."'][^"']*)\1\)/g, '"$2"'), loader: "js" };
    });
  },
};
await rm("dist", { recursive: true, force: true });
// esbuild hoists every static `import … from "node:http"` of the bundled modules to the top of an ESM bundle,
// so `dwd --help` would load node:http, http2, zlib, stream, crypto (~40 ms) for the emulator it never starts.
// Routing built-ins through tiny CommonJS shims makes esbuild require them inside each module's lazy
// initializer instead: a built-in loads when the first module that needs it is evaluated.
const lazyBuiltins: Plugin = {
  name: "lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.kind === "dynamic-import") return undefined; // already lazy
      if (args.namespace === "lazy-builtin") return { path: args.path, external: true }; // the shim's own require()
      return { path: args.path, namespace: "lazy-builtin" };
    });
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

const result = await build({
  entryPoints: ["src/main.ts"],
  outfile,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node22",
  splitting: false,
  minify: true,
  keepNames: false,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [literalBareImports, lazyBuiltins],
  banner: {
    // node-forge (bundled, CommonJS) calls require("crypto"); ESM has no `require`, so give it one.
    // It costs nothing at start-up: node-forge itself is only evaluated when a .p12 is read.
    js: '#!/usr/bin/env node\nimport{createRequire as __dwdCreateRequire}from"node:module";const require=__dwdCreateRequire(import.meta.url);',
  },
});

const inputs = Object.keys(result.metafile.inputs);
const forbidden = inputs.filter((path) => /node_modules\/(google-auth-library|gaxios|gcp-metadata|googleapis)/.test(path));
if (forbidden.length > 0) throw new Error(`google-auth-library must not be in the CLI bundle, found: ${forbidden.join(", ")}`);
const text = await readFile(outfile, "utf8");
// Every dynamic import left in the bundle must be a Node built-in; anything else would be resolved at run time.
const leftOver = [...text.matchAll(/\bimport\(([^)]{0,60})\)/g)].map((m) => m[1] ?? "").filter((arg) => !/^["']node:/.test(arg));
if (leftOver.length > 0) throw new Error(`the bundle imports modules at run time: ${leftOver.join(", ")}`);
const { size } = await stat(outfile);
console.log(`${outfile}: ${(size / 1024).toFixed(0)} KB, ${inputs.length} inputs`);
