// The bundled dwd, run as a user runs it, for the bench sections that time or count whole CLI runs.
// Tokens are minted on every run (DWD_TOKEN_CACHE=off), as the baselines do, unless `env` says otherwise.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

/** apps/cli/dist/dwd.js. */
export const dwdBundle = join(
  fileURLToPath(new URL(".", import.meta.url)),
  "..",
  "apps",
  "cli",
  "dist",
  "dwd.js",
);

/** One finished run. */
export interface DwdRun {
  code: number | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs `dwd …args` to its end, whatever its exit code. */
export function runDwd(args: string[], env: Record<string, string> = {}): Promise<DwdRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [dwdBundle, ...args], {
      env: { ...process.env, DWD_TOKEN_CACHE: "off", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ms: performance.now() - t0, stdout, stderr }));
  });
}

/** Runs `dwd …args`; a run that does not exit 0 rejects with its stderr. */
export async function dwd(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ms: number; stdout: string }> {
  const run = await runDwd(args, env);
  if (run.code !== 0)
    throw new Error(`dwd ${args.join(" ")} exited ${run.code}: ${run.stderr.trim()}`);
  return { ms: run.ms, stdout: run.stdout };
}
