import { availableParallelism } from "node:os";
import { defineConfig, type ViteUserConfig } from "vitest/config";

// Generous limits for a loaded machine (RSA signing, emulator start-up): a test's verdict must never
// depend on how fast the machine is. Type-level checks are `pnpm typecheck`'s job, not a test's.
// At least two files at a time: vitest's default (one worker per core but one) leaves a 2-core machine
// running this suite's files one by one, on one core, after the other suites are done.
const config: ViteUserConfig = defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A rejection nobody listened to, even one handled later, fails the run (see the file).
    setupFiles: ["../../vitest.setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
export default config;
