import { defineConfig } from "vitest/config";

// The end-to-end tests spawn the bundled server and an emulator (RSA key generation) on a busy 2-core
// machine: generous timeouts. Files run one at a time so the replica test's three servers do not
// compete with another file's.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A rejection nobody listened to, even one handled later, fails the run (see the file).
    setupFiles: ["../../vitest.setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
