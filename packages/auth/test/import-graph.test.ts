import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fixture } from "./helpers.ts";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** Runs `body` in a fresh Node with a resolve hook; returns every module URL that was resolved. */
function modulesLoadedBy(body: string): string[] {
  const script = `
    import { registerHooks } from "node:module";
    const seen = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
    ${body}
    console.log(JSON.stringify(seen));
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    cwd: SRC,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as string[];
}

const index = JSON.stringify(new URL("index.ts", `file://${SRC}`).href);
const gal = JSON.stringify(new URL("google-auth-library.ts", `file://${SRC}`).href);

describe("module graph", () => {
  it('importing "@dwd/auth" and loading a JSON key loads neither node-forge nor google-auth-library', () => {
    const urls = modulesLoadedBy(
      `const m = await import(${index}); await m.loadKey(${JSON.stringify(fixture("google-cloud-go-auth-sa.json"))});`,
    );
    expect(urls.some((u) => u.endsWith("/src/load-key.ts"))).toBe(true);
    expect(urls.filter((u) => /node-forge|google-auth-library\/|gaxios/.test(u))).toEqual([]);
  });

  it("loading a key file reads it through node:fs, without loading node:fs/promises", () => {
    // node:fs/promises is a module of its own (readline, the REPL's history, file watchers under it),
    // which a short-lived process such as the dwd CLI would pay for at every start.
    const script = `
      const m = await import(${index});
      const key = await m.loadKey(${JSON.stringify(fixture("google-cloud-go-auth-sa.json"))});
      console.log(JSON.stringify({ email: key.clientEmail, promises: process.moduleLoadList.includes("NativeModule fs/promises") }));
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      cwd: SRC,
    });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      email: expect.stringContaining("@") as unknown,
      promises: false,
    });
  });

  it("loading a .p12 key loads node-forge (so the check above can fail)", () => {
    const urls = modulesLoadedBy(
      `const m = await import(${index}); await m.loadKey(${JSON.stringify(fixture("google-p12-pem-key.p12"))}, { email: "a@b.c" });`,
    );
    expect(urls.some((u) => u.includes("node-forge"))).toBe(true);
    expect(urls.some((u) => u.includes("google-auth-library/"))).toBe(false);
  });

  it('importing "@dwd/auth/google-auth-library" loads google-auth-library but not node-forge', () => {
    const urls = modulesLoadedBy(`await import(${gal});`);
    expect(urls.some((u) => u.includes("google-auth-library/"))).toBe(true);
    expect(urls.some((u) => u.includes("node-forge"))).toBe(false);
  });
});
