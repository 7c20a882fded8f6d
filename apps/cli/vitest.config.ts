import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// The end-to-end tests spawn the bundled CLI (built by turbo before `test`); each spawn costs ~50 ms and RSA
// key generation in the emulator a little more, so allow generous time on a loaded 2-core machine.
// At least two files at a time: vitest's default (one worker per core but one) leaves a 2-core machine
// running this suite's files one by one, on one core, after the other suites are done.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A rejection nobody listened to, even one handled later, fails the run (see the file).
    setupFiles: ["../../vitest.setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
