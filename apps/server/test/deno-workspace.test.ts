// dwd-server run with Deno inside the clone: the root deno.json is a workspace, and a package.json that
// is not one of its members made Deno print "Warning: config file …/apps/server/package.json is not a
// member of the workspace" before every run. The bundle and the source entry must print only their
// answer, from the repository root and from apps/server.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { bundle, sourceEntry } from "./spawn.ts";

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const serverDir = fileURLToPath(new URL("../", import.meta.url));
const deno = fileURLToPath(new URL("node_modules/deno/deno", `file://${repoRoot}`));
const { version } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
) as { version: string };

describe("dwd-server on Deno inside the clone", () => {
  for (const [name, entry] of [
    ["the bundle", bundle],
    ["the source entry", sourceEntry],
  ] as const) {
    for (const [where, cwd] of [
      ["the repository root", repoRoot],
      ["apps/server", serverDir],
    ] as const) {
      it(`${name}, run from ${where}, prints its version and nothing on stderr`, async () => {
        const { stdout, stderr } = await run(deno, ["run", "--allow-all", entry, "--version"], {
          cwd,
          env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
        });
        expect(stderr).toBe("");
        expect(stdout.trim()).toBe(version);
      });
    }
  }
});
