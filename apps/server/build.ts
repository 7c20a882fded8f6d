// Bundles dwd-server into one file, dist/dwd-server.js (ESM, Node ≥ 22, no runtime dependencies: hono,
// ioredis, @dwd/* and the emulator are inside), and writes dwd-server.schema.json from the same schema
// object that validates configurations at start.
//
// Start-up: main.ts parses arguments and answers --help, --version and hash-token; everything else sits
// behind `import("./start.ts")`, which esbuild turns into lazily initialised modules of the same file, so
// --help does not run hono, ioredis or the emulator (it still parses them; measured in bench/server.ts).
import { build } from "esbuild";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { configSchema } from "./src/config.ts";

const outfile = "dist/dwd-server.js";
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
  banner: {
    // ESM has no `require`; ioredis (CommonJS) and node-forge require Node built-ins through it.
    js: '#!/usr/bin/env node\nconst require=process.getBuiltinModule("node:module").createRequire(import.meta.url);',
  },
});
const inputs = Object.keys(result.metafile.inputs);
const forbidden = inputs.filter((path) =>
  /node_modules\/(google-auth-library|gaxios|gcp-metadata|googleapis)/.test(path),
);
if (forbidden.length > 0)
  throw new Error(
    `google-auth-library must not be in the server bundle, found: ${forbidden.join(", ")}`,
  );
for (const needed of ["ioredis", "hono"])
  if (
    !inputs.some(
      (p) => p.includes(`node_modules/${needed}/`) || p.includes(`node_modules/.pnpm/${needed}@`),
    )
  )
    throw new Error(`${needed} is missing from the bundle`);
const text = await readFile(outfile, "utf8");
const leftOver = [...text.matchAll(/\bimport\(([^)]{0,60})\)/g)]
  .map((m) => m[1] ?? "")
  .filter((arg) => !/^\\?["']node:/.test(arg));
if (leftOver.length > 0)
  throw new Error(`the bundle imports modules at run time: ${leftOver.join(", ")}`);

const schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://dwd.invalid/dwd-server.schema.json",
  title: "dwd-server configuration",
  ...configSchema,
};
await writeFile("dwd-server.schema.json", `${JSON.stringify(schema, null, 2)}\n`);
const { size } = await stat(outfile);
console.log(
  `${outfile}: ${(size / 1024).toFixed(0)} KB, ${inputs.length} inputs; dwd-server.schema.json written`,
);
