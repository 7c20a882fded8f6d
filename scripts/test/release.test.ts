// The release machinery's own rules, on throwaway trees: the pre-1.0 policy on pending changesets, the
// version mirroring `pnpm changeset version` runs, and the changelog lines. (`pnpm release --dry-run`, run
// by CI, drives all of it on a copy of the real tree.)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import changelog from "../changelog.ts";
import { checkChangesets, publishedPackages, readChangesets } from "../changeset-policy.ts";
import { syncDenoVersions } from "../sync-deno-versions.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** A tree with the five packages at `version` and the given changesets. */
function tree(version: string, changesets: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "dwd-release-test-"));
  roots.push(root);
  for (const [name, dir] of Object.entries(publishedPackages))
    write(root, `${dir}/package.json`, JSON.stringify({ name, version }));
  write(root, ".changeset/README.md", "# Changesets\n");
  for (const [file, text] of Object.entries(changesets)) write(root, `.changeset/${file}`, text);
  return root;
}

const changeset = (releases: string, summary: string): string =>
  `---\n${releases}\n---\n\n${summary}\n`;

describe("the pre-1.0 policy on pending changesets", () => {
  it("reads each changeset's packages, bumps and summary (README.md is not one)", () => {
    const root = tree("0.1.0", {
      "a.md": changeset('"@dwd/auth": minor\n"@dwd/cli": patch', "New `loadKey()` option."),
    });
    expect(readChangesets(root)).toStrictEqual([
      {
        file: ".changeset/a.md",
        releases: [
          { name: "@dwd/auth", type: "minor" },
          { name: "@dwd/cli", type: "patch" },
        ],
        summary: "New `loadKey()` option.",
      },
    ]);
    expect(checkChangesets(root)).toStrictEqual([]);
  });

  it("refuses a major for a 0.x package, and a breaking change marked patch", () => {
    const root = tree("0.1.0", {
      "big.md": changeset('"@dwd/calendar": major', "Renames `cal.batch`."),
      "sly.md": changeset('"@dwd/server": patch', "**Breaking:** `limits.bodyBytes` is required."),
      "ok.md": changeset('"@dwd/emulator": minor', "**Breaking:** `faults.seed` is gone."),
    });
    expect(checkChangesets(root)).toStrictEqual([
      '.changeset/big.md: "@dwd/calendar": major, but @dwd/calendar is 0.1.0: before 1.0 a breaking change is a minor whose summary starts with "**Breaking:**"',
      '.changeset/sly.md: "@dwd/server": patch, but the summary says "**Breaking:**": a breaking change is a minor before 1.0 (a major after)',
    ]);
  });

  it("allows a major from 1.0 on", () => {
    const root = tree("1.2.0", { "big.md": changeset('"@dwd/calendar": major', "Renames.") });
    expect(checkChangesets(root)).toStrictEqual([]);
  });

  it("refuses a package that is not released, a bump that is not one, and an empty changeset", () => {
    const root = tree("0.1.0", {
      "bench.md": changeset('"@dwd/bench": patch', "Faster bench."),
      "typo.md": changeset('"@dwd/auth": minr', "Something."),
      "empty.md": "---\n---\n",
    });
    expect(checkChangesets(root)).toStrictEqual([
      '.changeset/bench.md: "@dwd/bench" is not a published package (@dwd/auth, @dwd/calendar, @dwd/emulator, @dwd/cli, @dwd/server)',
      '.changeset/empty.md: names no package (front matter: "@dwd/<name>": patch|minor)',
      ".changeset/empty.md: has no summary for the changelog",
      '.changeset/typo.md: "@dwd/auth": minr is not patch, minor or major',
    ]);
  });
});

describe("version mirroring after `changeset version`", () => {
  it("writes each library's version into its deno.json and dwd-server's into its source", () => {
    const root = tree("0.2.0");
    write(root, "packages/auth/deno.json", JSON.stringify({ name: "@dwd/auth", version: "0.1.0" }));
    write(
      root,
      "packages/calendar/deno.json",
      JSON.stringify({ name: "@dwd/calendar", version: "0.2.0" }),
    );
    write(
      root,
      "apps/server/src/_internal/version.ts",
      '/** doc */\nexport const VERSION_STRING = "0.1.0";\n',
    );
    expect(syncDenoVersions(root)).toStrictEqual([
      "@dwd/auth: deno.json version 0.1.0 → 0.2.0",
      "@dwd/server: apps/server/src/_internal/version.ts 0.1.0 → 0.2.0",
    ]);
    expect(JSON.parse(readFileSync(join(root, "packages/auth/deno.json"), "utf8"))).toStrictEqual({
      name: "@dwd/auth",
      version: "0.2.0",
    });
    expect(readFileSync(join(root, "apps/server/src/_internal/version.ts"), "utf8")).toBe(
      '/** doc */\nexport const VERSION_STRING = "0.2.0";\n',
    );
    expect(syncDenoVersions(root)).toStrictEqual([]);
  });
});

describe("changelog lines", () => {
  it("a summary as written, without a commit hash, continued lines indented", async () => {
    expect(
      await changelog.getReleaseLine({ summary: "First line.\n\nSecond paragraph\nwraps here.\n" }),
    ).toBe("- First line.\n\n  Second paragraph\n  wraps here.");
  });

  it("one line for the workspace packages a release moves to; none when there are none", async () => {
    expect(
      await changelog.getDependencyReleaseLine([], [{ name: "@dwd/auth", newVersion: "0.2.0" }]),
    ).toBe("- Uses `@dwd/auth` 0.2.0.");
    expect(await changelog.getDependencyReleaseLine([], [])).toBe("");
  });
});
