import { defineConfig } from "vitest/config";
import { suiteDefaults } from "../../vitest.shared.ts";

// The end-to-end tests spawn the bundled server and an emulator (RSA key generation) on a busy 2-core
// machine (the replica test's 1,000 requests over three servers passed 60 s with the machine shared by
// other suites). Files run one at a time so the replica test's three servers do not compete with
// another file's.
export default defineConfig({
  test: { ...suiteDefaults, fileParallelism: false },
});
