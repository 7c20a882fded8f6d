import { defineConfig, type ViteUserConfig } from "vitest/config";

// The repository scripts' tests (`pnpm test` runs them as turbo's root task test:scripts).
const config: ViteUserConfig = defineConfig({
  test: { root: import.meta.dirname, include: ["test/**/*.test.ts"] },
});
export default config;
