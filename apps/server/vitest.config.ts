import { defineConfig } from "vitest/config";

// The end-to-end tests spawn the bundled server and an emulator (RSA key generation) on a busy 2-core
// machine: limits that only catch hangs, as in every package (the replica test's 1,000 requests over
// three servers passed 60 s with the machine shared by other suites). Files run one at a time so the
// replica test's three servers do not compete with another file's.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A rejection nobody listened to, even one handled later, fails the run (see the file).
    setupFiles: ["../../vitest.setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
