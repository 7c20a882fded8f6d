// `pnpm changeset …`: runs the changesets CLI with the given arguments; after `version` it mirrors
// each package's new package.json version into its deno.json, so npm and JSR publish the same version.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { syncDenoVersions } from "./sync-deno-versions.ts";

const args = process.argv.slice(2);
const bin = createRequire(import.meta.url).resolve("@changesets/cli/bin.js");
const run = spawnSync(process.execPath, [bin, ...args], { stdio: "inherit" });
if (run.status !== 0) process.exit(run.status ?? 1);
if (args[0] === "version") {
  for (const line of syncDenoVersions()) console.log(line);
}
