// Checks that every library's package.json `exports` and deno.json `exports` name the same entry
// points, and that each points at the matching file (dist/<x>.js for npm, src/<x>.ts for Deno); that
// the npm and JSR versions are equal, and dwd-server's VERSION_STRING is its package.json version
// (`pnpm changeset version` keeps them so); and that every published package (the libraries, apps/cli
// and apps/server) carries the root LICENSE.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { serverSourceVersion, serverVersionFile } from "./sync-deno-versions.ts";

const root = new URL("..", import.meta.url).pathname;
const problems: string[] = [];

for (const dir of readdirSync(join(root, "packages"))) {
  const pkgDir = join(root, "packages", dir);
  if (!existsSync(join(pkgDir, "package.json"))) continue;
  const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
    name: string;
    version: string;
    exports: Record<string, { types: string; default: string }>;
  };
  const deno = JSON.parse(readFileSync(join(pkgDir, "deno.json"), "utf8")) as {
    name: string;
    version: string;
    exports: Record<string, string>;
  };
  if (pkg.name !== deno.name)
    problems.push(`${dir}: name "${pkg.name}" in package.json but "${deno.name}" in deno.json`);
  if (pkg.version !== deno.version) {
    problems.push(
      `${dir}: version "${pkg.version}" in package.json but "${deno.version}" in deno.json (run node scripts/sync-deno-versions.ts)`,
    );
  }
  const npmKeys = Object.keys(pkg.exports).sort();
  const denoKeys = Object.keys(deno.exports).sort();
  if (npmKeys.join() !== denoKeys.join()) {
    problems.push(
      `${dir}: exports differ: package.json has [${npmKeys.join(", ")}], deno.json has [${denoKeys.join(", ")}]`,
    );
  }
  for (const key of npmKeys) {
    const npm = pkg.exports[key];
    const src = deno.exports[key];
    if (!npm || !src) continue;
    const stem = src.replace(/^\.\/src\//, "").replace(/\.ts$/, "");
    if (npm.default !== `./dist/${stem}.js` || npm.types !== `./dist/${stem}.d.ts`) {
      problems.push(
        `${dir}: export "${key}" is ${src} for Deno but ${npm.default} / ${npm.types} for npm`,
      );
    }
    if (!existsSync(join(pkgDir, src)))
      problems.push(`${dir}: export "${key}" points at missing ${src}`);
  }
}

const serverVersion = (
  JSON.parse(readFileSync(join(root, "apps/server/package.json"), "utf8")) as { version: string }
).version;
const serverSource = serverSourceVersion(root);
if (serverSource !== serverVersion) {
  problems.push(
    `apps/server: version "${serverVersion}" in package.json but ${serverSource === undefined ? "no VERSION_STRING" : `"${serverSource}"`} in ${serverVersionFile} (run node scripts/sync-deno-versions.ts)`,
  );
}

const license = readFileSync(join(root, "LICENSE"), "utf8");
for (const dir of [
  "packages/auth",
  "packages/calendar",
  "packages/emulator",
  "apps/cli",
  "apps/server",
]) {
  const file = join(root, dir, "LICENSE");
  if (!existsSync(file) || readFileSync(file, "utf8") !== license)
    problems.push(`${dir}: LICENSE is missing or differs from the root LICENSE`);
}

if (problems.length > 0) {
  console.error(`validate-exports: ${problems.length} problem(s)\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(
  "validate-exports: package.json and deno.json agree (exports, versions), dwd-server's version too; every package has the LICENSE",
);
