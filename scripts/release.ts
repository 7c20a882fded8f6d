// `pnpm release`: the owners' one release command (docs/DEVELOPMENT.md, "Releases").
//
//   pnpm release              version the pending changesets and commit them, build, run every check,
//                             publish to npm (with provenance) and to JSR, tag each package's version
//   pnpm release --dry-run    the same on a scratch copy of this tree, with no credentials and nothing
//                             written here: version, build, the release checks, `pnpm -r publish
//                             --dry-run` (all five packages) and `deno publish --dry-run`
//   --all-checks              with --dry-run: every check the release runs (lint, types, tests, docs, …)
//   --keep                    with --dry-run: keep the scratch copy and print where it is
//
// A release that stops halfway is resumed by running it again: with no changesets left it releases the
// versions in package.json; npm and JSR skip a version they already have; existing tags stay.
import { spawnSync } from "node:child_process";
import type { SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { checkChangesets, publishedPackages, readChangesets } from "./changeset-policy.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const known = ["--dry-run", "--all-checks", "--keep"];
const unknown = argv.filter((a) => !known.includes(a));
if (unknown.length > 0) {
  console.error(`error: Unknown option ${unknown.join(" ")}`);
  console.error("hint: pnpm release [--dry-run [--all-checks] [--keep]]");
  process.exit(2);
}
const dryRun = argv.includes("--dry-run");
if (!dryRun && (argv.includes("--all-checks") || argv.includes("--keep"))) {
  console.error("error: --all-checks and --keep go with --dry-run (a release runs every check)");
  console.error("hint: pnpm release --dry-run --all-checks");
  process.exit(2);
}

/** A step that failed: its message is printed as the one error line. */
class ReleaseError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.hint = hint;
  }
}

function say(line: string): void {
  console.log(`release: ${line}`);
}

/** Runs a command in `cwd`, its output on ours; a non-zero exit is a ReleaseError. */
function step(cwd: string, command: string, args: string[], hint: string): void {
  say(`$ ${[command, ...args].join(" ")}`);
  const r = spawnSync(command, args, { cwd, stdio: "inherit", env: process.env });
  if (r.status !== 0)
    throw new ReleaseError(
      `\`${[command, ...args].join(" ")}\` failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`,
      hint,
    );
}

/** Runs a command and returns its stdout (stderr passes through). */
function capture(cwd: string, command: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

function versionOf(root: string, name: string): string {
  const dir = publishedPackages[name] ?? "";
  return (JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as { version: string })
    .version;
}

function versions(root: string): Map<string, string> {
  return new Map(Object.keys(publishedPackages).map((name) => [name, versionOf(root, name)]));
}

/** What to skip when copying the tree: installs, builds, caches and git. */
const skipped = new Set([
  "node_modules",
  "dist",
  ".turbo",
  ".git",
  ".doc-check",
  ".dwd-keys",
  "test-output",
  "coverage",
]);

/** Copies the working tree (tracked and untracked sources, no installs or builds) to a scratch folder. */
function scratchCopy(): string {
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), "dwd-release-")));
  const tools = join(repo, ".ci", ".tools");
  cpSync(repo, scratch, {
    recursive: true,
    filter: (source) => {
      if (source === tools || source.startsWith(tools + sep)) return false;
      const name = basename(source);
      return !skipped.has(name) && !name.endsWith(".tsbuildinfo");
    },
  });
  return scratch;
}

/** The versioned tree holds what the registries will get: mirrored versions and a changelog each. */
function checkVersioned(root: string, before: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, dir] of Object.entries(publishedPackages)) {
    const version = versionOf(root, name);
    if (version === "0.0.0") problems.push(`${name}: still 0.0.0 (no changeset ever released it)`);
    const changelog = join(root, dir, "CHANGELOG.md");
    if (!existsSync(changelog)) problems.push(`${name}: ${dir}/CHANGELOG.md is missing`);
    else if (!readFileSync(changelog, "utf8").includes(`\n## ${version}\n`))
      problems.push(`${name}: ${dir}/CHANGELOG.md has no "## ${version}" section`);
    const deno = join(root, dir, "deno.json");
    if (existsSync(deno)) {
      const denoVersion = (JSON.parse(readFileSync(deno, "utf8")) as { version: string }).version;
      if (denoVersion !== version)
        problems.push(`${name}: deno.json says ${denoVersion}, package.json ${version}`);
    }
    if (before.get(name) !== version) say(`${name}: ${before.get(name)} → ${version}`);
  }
  return problems;
}

/** The bundles print the version they were released as. */
function checkBundles(root: string): string[] {
  const problems: string[] = [];
  for (const [name, bundle] of [
    ["@dwd/cli", "apps/cli/dist/dwd.js"],
    ["@dwd/server", "apps/server/dist/dwd-server.js"],
  ] as const) {
    const r = capture(root, process.execPath, [bundle, "--version"]);
    const printed = (r.stdout ?? "").trim();
    if (!printed.endsWith(versionOf(root, name)))
      problems.push(
        `${bundle} --version printed "${printed}", package.json says ${versionOf(root, name)}`,
      );
  }
  return problems;
}

function fail(problems: string[], hint: string): void {
  if (problems.length === 0) return;
  throw new ReleaseError(`${problems.length} problem(s)\n  ${problems.join("\n  ")}`, hint);
}

function release(root: string): void {
  const pnpm = "pnpm";
  const before = versions(root);

  // 1. Version: the pending changesets become versions, changelogs and mirrored deno.json versions.
  const pending = readChangesets(root);
  fail(checkChangesets(root), "fix the front matter of those changesets (docs/DEVELOPMENT.md)");
  if (pending.length > 0) {
    say(`${pending.length} pending changeset(s)`);
    step(root, pnpm, ["run", "changeset", "version"], "see the changesets error above");
  } else {
    say("no pending changesets: releasing the versions package.json has");
  }
  fail(checkVersioned(root, before), "a package needs a changeset before its first release");
  const released = versions(root);
  const tagNames = [...released].map(([name, version]) => `${name}@${version}`);
  if (!dryRun && pending.length > 0) {
    step(root, "git", ["add", "-A"], "");
    step(
      root,
      "git",
      ["commit", "--quiet", "-m", `Release ${tagNames.join(", ")}`],
      "commit the versioned tree by hand, then run pnpm release again",
    );
  }

  // 2. Build from nothing, then check what will be published.
  step(root, pnpm, ["run", "build"], "fix the build; nothing was published");
  fail(checkBundles(root), "rebuild: the bundles must carry the released versions");
  const checks: string[][] =
    dryRun && !argv.includes("--all-checks")
      ? [
          ["exec", "node", "scripts/validate-exports.ts"],
          ["run", "check:packages"],
        ]
      : [
          ["run", "format:check"],
          ["run", "lint"],
          ["run", "typecheck"],
          ["run", "check:deno"],
          ["run", "check:packages"],
          ["run", "check:docs"],
          ["run", "check:jsr"],
          ["run", "check:pack"],
          ["run", "test"],
        ];
  for (const check of checks)
    step(root, pnpm, check, "fix what the check says; nothing was published");

  // 3. npm: every public package (pnpm skips a version the registry has), with provenance.
  const publishArgs = ["-r", "publish", "--access", "public", "--json"];
  if (dryRun) publishArgs.push("--dry-run", "--no-git-checks");
  else publishArgs.push("--provenance");
  say(`$ pnpm ${publishArgs.join(" ")}`);
  const published = capture(root, pnpm, publishArgs);
  if (published.status !== 0)
    throw new ReleaseError(
      `pnpm publish failed (exit ${published.status ?? published.signal})`,
      dryRun
        ? "see pnpm's error above"
        : "provenance needs a CI run with an OIDC token (GitHub Actions: id-token: write) and npm credentials; run pnpm release again once fixed",
    );
  const summary = JSON.parse(published.stdout.trim() === "" ? "[]" : published.stdout) as {
    name: string;
    version: string;
    files: { path: string }[];
  }[];
  for (const p of summary)
    say(`npm: ${p.name}@${p.version} (${p.files.length} files)${dryRun ? ", dry run" : ""}`);
  const expected = [...released].map(([name, version]) => `${name}@${version}`).sort();
  const got = summary.map((p) => `${p.name}@${p.version}`).sort();
  if (dryRun && got.join() !== expected.join())
    fail([`npm would get [${got.join(", ")}], expected [${expected.join(", ")}]`], "");
  const server = summary.find((p) => p.name === "@dwd/server");
  if (server !== undefined && !server.files.some((f) => f.path === "dwd-server.schema.json"))
    fail(["@dwd/server: dwd-server.schema.json is not in the package"], "");

  // 4. JSR: the three libraries (the workspace in deno.json); JSR skips a version it has.
  const denoArgs = ["exec", "deno", "publish", ...(dryRun ? ["--dry-run", "--allow-dirty"] : [])];
  say(`$ pnpm ${denoArgs.join(" ")}`);
  const jsr = spawnSync(pnpm, denoArgs, {
    cwd: root,
    encoding: "utf8",
    stdio: ["inherit", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  process.stdout.write(jsr.stdout ?? "");
  process.stderr.write(jsr.stderr ?? "");
  if (jsr.status !== 0)
    throw new ReleaseError(
      `deno publish failed (exit ${jsr.status ?? jsr.signal})`,
      dryRun
        ? "see deno's error above"
        : "JSR needs the owners' login (a browser prompt) or a CI run with an OIDC token; run pnpm release again",
    );
  if (dryRun) {
    const output = `${jsr.stdout ?? ""}${jsr.stderr ?? ""}`;
    const missing = [...released]
      .filter(([name]) => existsSync(join(root, publishedPackages[name] ?? "", "deno.json")))
      .map(([name, version]) => `${name}@${version}`)
      .filter((id) => !output.includes(`Simulating publish of ${id}`));
    fail(
      missing.map((id) => `JSR: deno publish --dry-run did not simulate ${id}`),
      "check the workspace in deno.json",
    );
    say("JSR: @dwd/auth, @dwd/calendar, @dwd/emulator simulated at their new versions");
  }

  // 5. Tags, one per package version (changesets skips one that exists).
  if (dryRun) say(`tags it would create: ${tagNames.join(", ")}`);
  else {
    step(
      root,
      pnpm,
      ["run", "changeset", "tag"],
      "create the tags by hand: git tag <name>@<version>",
    );
    say("done; push the release commit and its tags: git push --follow-tags");
  }
}

let scratch: string | undefined;
try {
  let root = repo;
  if (dryRun) {
    scratch = scratchCopy();
    root = scratch;
    say(`dry run in a scratch copy: ${scratch}`);
    // The copy installs from the store the clone was installed from: no network, seconds.
    const offline = spawnSync("pnpm", ["install", "--frozen-lockfile", "--offline"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (offline.status !== 0)
      step(root, "pnpm", ["install", "--frozen-lockfile"], "pnpm install failed in the copy");
  } else {
    const dirty = capture(repo, "git", ["status", "--porcelain"]);
    if (dirty.status !== 0 || dirty.stdout.trim() !== "")
      throw new ReleaseError(
        "Cannot release from a working tree with uncommitted changes",
        "commit or stash them, then run pnpm release again (pnpm release --dry-run works on any tree)",
      );
  }
  release(root);
  if (dryRun)
    say(
      "dry run passed: versioned, built, checked; npm and JSR dry runs; nothing was published or written here",
    );
} catch (error) {
  if (!(error instanceof ReleaseError)) throw error;
  console.error(`error: ${error.message}`);
  if (error.hint !== "") console.error(`hint: ${error.hint}`);
  process.exitCode = 1;
} finally {
  if (scratch !== undefined) {
    if (argv.includes("--keep")) say(`kept the scratch copy: ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}
