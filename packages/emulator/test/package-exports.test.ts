import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const read = async (name: string): Promise<{ exports: Record<string, unknown>; name: string }> =>
  JSON.parse(await readFile(new URL(`../${name}`, import.meta.url), "utf8")) as {
    exports: Record<string, unknown>;
    name: string;
  };

describe("package entry points", () => {
  it("package.json and deno.json list the same export keys", async () => {
    const [npm, deno] = await Promise.all([read("package.json"), read("deno.json")]);
    expect(deno.name).toBe(npm.name);
    expect(Object.keys(deno.exports).sort()).toEqual(Object.keys(npm.exports).sort());
  });

  it("the main entry never loads node-forge eagerly", async () => {
    const sources = ["create-emulator.ts", "index.ts", "_internal/write-p12.ts"];
    for (const file of sources) {
      const text = await readFile(new URL(`../src/${file}`, import.meta.url), "utf8");
      expect(text, file).not.toMatch(/^import[^;]*["']node-forge["']/m);
    }
  });
});
