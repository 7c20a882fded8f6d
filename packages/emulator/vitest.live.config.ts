import { defineConfig, type ViteUserConfig } from "vitest/config";

// `pnpm test:live` (test/contract/run-live.ts): the contract cases against Google, one at a time (one
// test domain; the cases write to it and clean up).
const config: ViteUserConfig = defineConfig({
  test: {
    include: ["test/contract/*.live.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
export default config;
