// Runs before every root script (`node scripts/require-node.cjs && …`). Plain CommonJS with nothing
// newer than ES5 syntax, so that any Node prints this one line instead of a stack trace from inside the
// build (the build and the tests run TypeScript directly, which needs Node >= 22.18).
"use strict";
var need = [22, 18];
var have = process.versions.node.split(".").map(Number);
if (have[0] < need[0] || (have[0] === need[0] && have[1] < need[1])) {
  var script = process.env.npm_lifecycle_event || "install --frozen-lockfile";
  process.stderr.write(
    "error: dwd needs Node.js >= " +
      need.join(".") +
      ", this is Node " +
      process.version +
      "; run it with Node 24 from npm: npx -y -p node@24 -p pnpm@12.21.0 -c 'pnpm " +
      script +
      "'\n",
  );
  process.exit(1);
}
