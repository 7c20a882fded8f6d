/**
 * `pnpm test:live`: the contract cases against Google when `DWD_LIVE_KEY` and `DWD_LIVE_SUBJECT` are
 * set (see google.live.ts); otherwise one line saying what to set, and exit 0.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const missing = ["DWD_LIVE_KEY", "DWD_LIVE_SUBJECT"].filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.log(
    `test:live skipped: set ${missing.join(" and ")} (and DWD_LIVE_DOMAIN) to run the contract cases against Google`,
  );
  process.exit(0);
}
const root = fileURLToPath(new URL("../..", import.meta.url));
const result = spawnSync("pnpm", ["exec", "vitest", "run", "--config", "vitest.live.config.ts"], {
  cwd: root,
  stdio: "inherit",
});
process.exit(result.status ?? 1);
