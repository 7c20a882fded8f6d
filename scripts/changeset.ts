// `pnpm changeset …`: runs the changesets CLI with the given arguments. Before `version` it checks the
// pending changesets against the pre-1.0 policy (scripts/changeset-policy.ts); after it, it mirrors each
// package's new package.json version into its deno.json and dwd-server's version constant
// (scripts/sync-deno-versions.ts), so npm and JSR publish the same version.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { checkChangesets } from "./changeset-policy.ts";
import { syncDenoVersions } from "./sync-deno-versions.ts";

const args = process.argv.slice(2);
if (args[0] === "version") {
  const problems = checkChangesets();
  if (problems.length > 0) {
    console.error(
      `error: Cannot version: ${problems.length} changeset(s) break the versioning policy\n  ${problems.join("\n  ")}`,
    );
    console.error("hint: fix the front matter of those files (docs/DEVELOPMENT.md, Releases)");
    process.exit(1);
  }
}
const bin = createRequire(import.meta.url).resolve("@changesets/cli/bin.js");
const run = spawnSync(process.execPath, [bin, ...args], { stdio: "inherit" });
if (run.status !== 0) process.exit(run.status ?? 1);
if (args[0] === "version") {
  for (const line of syncDenoVersions()) console.log(line);
}
