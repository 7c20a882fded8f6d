// Copies each library's package.json version into its deno.json (npm and JSR publish the same
// version). Run by `pnpm changeset version` (scripts/changeset.ts); scripts/validate-exports.ts fails
// when the two drift.
//
//   node scripts/sync-deno-versions.ts
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Rewrites every deno.json whose version differs from its package.json; returns what changed. */
export function syncDenoVersions(): string[] {
  const changed: string[] = [];
  for (const dir of readdirSync(join(root, "packages"))) {
    const denoPath = join(root, "packages", dir, "deno.json");
    const pkgPath = join(root, "packages", dir, "package.json");
    if (!existsSync(denoPath) || !existsSync(pkgPath)) continue;
    const { version } = JSON.parse(readFileSync(pkgPath, "utf8")) as { version: string };
    const deno = JSON.parse(readFileSync(denoPath, "utf8")) as { name: string; version: string };
    if (deno.version === version) continue;
    changed.push(`${deno.name}: deno.json version ${deno.version} → ${version}`);
    writeFileSync(denoPath, `${JSON.stringify({ ...deno, version }, null, 2)}\n`);
  }
  return changed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const changed = syncDenoVersions();
  console.log(
    changed.length === 0
      ? "sync-deno-versions: deno.json versions already match"
      : changed.join("\n"),
  );
}
