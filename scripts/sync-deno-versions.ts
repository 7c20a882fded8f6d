// Mirrors each package's package.json version where a second copy of it lives: each library's deno.json
// (npm and JSR publish the same version) and dwd-server's VERSION_STRING (its `--version` and
// /openapi.json; the source entry also runs on Deno, which does not import package.json). Run by
// `pnpm changeset version` (scripts/changeset.ts); scripts/validate-exports.ts fails when they drift.
//
//   node scripts/sync-deno-versions.ts
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const defaultRoot = fileURLToPath(new URL("..", import.meta.url));

/** dwd-server's version constant, relative to the repository root. */
export const serverVersionFile = "apps/server/src/_internal/version.ts";
const serverVersionPattern = /export const VERSION_STRING = "([^"]*)";/;

/** The version dwd-server's source says it is, or undefined when the constant is missing. */
export function serverSourceVersion(root: string = defaultRoot): string | undefined {
  const file = join(root, serverVersionFile);
  if (!existsSync(file)) return undefined;
  return serverVersionPattern.exec(readFileSync(file, "utf8"))?.[1];
}

function packageVersion(path: string): string {
  return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
}

/** Rewrites every copy of a version that differs from its package.json; returns what changed. */
export function syncDenoVersions(root: string = defaultRoot): string[] {
  const changed: string[] = [];
  for (const dir of readdirSync(join(root, "packages"))) {
    const denoPath = join(root, "packages", dir, "deno.json");
    const pkgPath = join(root, "packages", dir, "package.json");
    if (!existsSync(denoPath) || !existsSync(pkgPath)) continue;
    const version = packageVersion(pkgPath);
    const deno = JSON.parse(readFileSync(denoPath, "utf8")) as { name: string; version: string };
    if (deno.version === version) continue;
    changed.push(`${deno.name}: deno.json version ${deno.version} → ${version}`);
    writeFileSync(denoPath, `${JSON.stringify({ ...deno, version }, null, 2)}\n`);
  }
  const serverPkg = join(root, "apps/server/package.json");
  const current = serverSourceVersion(root);
  if (existsSync(serverPkg) && current !== undefined) {
    const version = packageVersion(serverPkg);
    if (current !== version) {
      const file = join(root, serverVersionFile);
      const text = readFileSync(file, "utf8");
      writeFileSync(
        file,
        text.replace(serverVersionPattern, `export const VERSION_STRING = "${version}";`),
      );
      changed.push(`@dwd/server: ${serverVersionFile} ${current} → ${version}`);
    }
  }
  return changed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const changed = syncDenoVersions();
  console.log(
    changed.length === 0
      ? "sync-deno-versions: deno.json and dwd-server versions already match"
      : changed.join("\n"),
  );
}
