import { defineConfig } from "vitest/config";
import { sharedWorkers, suiteDefaults } from "../../vitest.shared.ts";

// The end-to-end tests spawn the bundled CLI (built by turbo before `test`); each spawn costs ~50 ms and RSA
// key generation in the emulator a little more.
export default defineConfig({
  test: { ...suiteDefaults, maxWorkers: sharedWorkers },
});
