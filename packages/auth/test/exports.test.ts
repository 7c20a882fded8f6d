import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (name: string): { exports: Record<string, unknown>; version: string } =>
  JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), "utf8")) as {
    exports: Record<string, unknown>;
    version: string;
  };

describe("package entry points", () => {
  it("package.json and deno.json list the same exports, pointing at the same modules", () => {
    const npm = read("package.json");
    const deno = read("deno.json");
    expect(Object.keys(npm.exports).sort()).toEqual(Object.keys(deno.exports).sort());
    for (const [key, target] of Object.entries(deno.exports)) {
      const built = (npm.exports[key] as { default: string }).default;
      expect(built.replace(/^\.\/dist\//, "./src/").replace(/\.js$/, ".ts")).toBe(target);
    }
    expect(deno.version).toBe(npm.version);
  });
});
