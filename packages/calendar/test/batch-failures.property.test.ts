/**
 * Issue 13, item 1: `batch()` must survive any mix of failing users. The property runs in a plain Node
 * process over a real socket (batch-failures.child.ts: the emulator on a port, a fault proxy in front
 * of it): there, an unobserved rejection ends the process with a stack trace and a late-handled one
 * prints PromiseRejectionHandledWarning — so the process must exit 0 having printed nothing.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const child = fileURLToPath(new URL("./batch-failures.child.ts", import.meta.url));

describe("batch() with users failing at the token endpoint, at the API and on the connection", () => {
  it("gives exactly one right result per part, 1–100 parts, and the process lives and prints nothing", () => {
    const run = spawnSync(process.execPath, [child], {
      encoding: "utf8",
      env: { ...process.env, DWD_PROPERTY_RUNS: "30" },
    });
    expect({
      status: run.status,
      signal: run.signal,
      stdout: run.stdout,
      stderr: run.stderr,
    }).toEqual({
      status: 0,
      signal: null,
      stdout: "",
      stderr: "",
    });
  });
});
