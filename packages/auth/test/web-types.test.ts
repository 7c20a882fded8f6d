import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

function tsc(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [TSC, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("tsconfig.web.json (STYLE §1: no Node globals in the core)", () => {
  it("typechecks src/index.ts without loading @types/node or @types/node-forge", () => {
    const r = tsc("-p", "tsconfig.web.json", "--listFiles");
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(join(ROOT, "src/_internal/p12.ts"));
    expect(r.output).toContain(join(ROOT, "src/_internal/read-file.node.ts"));
    expect(r.output.split("\n").filter((f) => f.includes("/@types/"))).toEqual([]);
  }, 120_000); // the compiler takes seconds, more on a busy machine

  it("rejects a Node global in a core module (so the check above can fail)", () => {
    const dir = tempDir();
    const leak = join(dir, "leak.ts");
    writeFileSync(leak, 'export const leak: number = Buffer.from("x").length + process.pid;\n');
    const config = join(dir, "tsconfig.json");
    writeFileSync(config, JSON.stringify({ extends: join(ROOT, "tsconfig.web.json"), files: [join(ROOT, "src/index.ts"), leak] }));
    const r = tsc("-p", config);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("error TS2591: Cannot find name 'Buffer'");
    expect(r.output).toContain("error TS2591: Cannot find name 'process'");
  }, 120_000);
});
