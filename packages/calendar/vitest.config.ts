import { defineConfig, type ViteUserConfig } from "vitest/config";
import { sharedWorkers, suiteDefaults } from "../../vitest.shared.ts";

const config: ViteUserConfig = defineConfig({
  test: { ...suiteDefaults, maxWorkers: sharedWorkers },
});
export default config;
