// The versioning policy, checked on the pending changesets (.changeset/*.md) before `changeset version`
// runs, by `pnpm lint` and by `pnpm release` (docs/DEVELOPMENT.md, "Releases"):
//
// - a changeset names only the five published packages (@dwd/bench and the root are never released);
// - before 1.0 a package takes no `major`: a breaking change is a `minor` (0.1.x → 0.2.0) whose summary
//   starts with "**Breaking:**" and says what to change; `patch` is for everything that breaks nothing;
// - a summary that starts with "**Breaking:**" is not a `patch`.
//
//   node scripts/changeset-policy.ts          exit 1 with one line per problem
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const defaultRoot = fileURLToPath(new URL("..", import.meta.url));

/** The published packages and their folders, in the order the release lists them. */
export const publishedPackages: Readonly<Record<string, string>> = {
  "@dwd/auth": "packages/auth",
  "@dwd/calendar": "packages/calendar",
  "@dwd/emulator": "packages/emulator",
  "@dwd/cli": "apps/cli",
  "@dwd/server": "apps/server",
};

/** One pending changeset: its file, the bump per package, and its summary. */
export interface PendingChangeset {
  file: string;
  releases: { name: string; type: string }[];
  summary: string;
}

/** Reads the pending changesets (every .changeset/*.md but README.md). */
export function readChangesets(root: string = defaultRoot): PendingChangeset[] {
  const dir = join(root, ".changeset");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), "utf8").replaceAll("\r\n", "\n");
      const match = /^---\n([\s\S]*?)\n?---\n?([\s\S]*)$/.exec(text);
      const releases = (match?.[1] ?? "")
        .split("\n")
        .map((line) => /^\s*["']?([^"':]+)["']?\s*:\s*(\S+)\s*$/.exec(line))
        .filter((m) => m !== null)
        .map((m) => ({ name: m[1] ?? "", type: m[2] ?? "" }));
      return { file: `.changeset/${f}`, releases, summary: (match?.[2] ?? "").trim() };
    });
}

function currentVersion(root: string, name: string): string | undefined {
  const dir = publishedPackages[name];
  if (dir === undefined) return undefined;
  return (JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as { version: string })
    .version;
}

/** The problems of the pending changesets under the policy above; empty when it holds. */
export function checkChangesets(root: string = defaultRoot): string[] {
  const problems: string[] = [];
  for (const cs of readChangesets(root)) {
    if (cs.releases.length === 0)
      problems.push(`${cs.file}: names no package (front matter: "@dwd/<name>": patch|minor)`);
    if (cs.summary === "") problems.push(`${cs.file}: has no summary for the changelog`);
    const breaking = cs.summary.startsWith("**Breaking:**");
    for (const { name, type } of cs.releases) {
      const version = currentVersion(root, name);
      if (version === undefined) {
        problems.push(
          `${cs.file}: "${name}" is not a published package (${Object.keys(publishedPackages).join(", ")})`,
        );
        continue;
      }
      if (!["patch", "minor", "major"].includes(type)) {
        problems.push(`${cs.file}: "${name}": ${type} is not patch, minor or major`);
      } else if (type === "major" && version.startsWith("0.")) {
        problems.push(
          `${cs.file}: "${name}": major, but ${name} is ${version}: before 1.0 a breaking change is a minor whose summary starts with "**Breaking:**"`,
        );
      } else if (type === "patch" && breaking) {
        problems.push(
          `${cs.file}: "${name}": patch, but the summary says "**Breaking:**": a breaking change is a minor before 1.0 (a major after)`,
        );
      }
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = checkChangesets();
  if (problems.length > 0) {
    console.error(`changeset-policy: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
    console.error("hint: see docs/DEVELOPMENT.md, Releases");
    process.exit(1);
  }
  console.log(
    `changeset-policy: ${readChangesets().length} pending changeset(s) keep the pre-1.0 versioning policy`,
  );
}
