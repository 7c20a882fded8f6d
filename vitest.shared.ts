// What every package's vitest suite shares (each package's vitest.config.ts spreads it):
// - limits that only catch hangs: a test's verdict must never depend on how fast a loaded 2-core
//   machine is (RSA signing, emulator start-up, bundled processes spawned);
// - vitest.setup.ts: a rejection nobody listened to, even one handled later, fails the run;
// - at least two files at a time: vitest's default (one worker per core but one) leaves a 2-core
//   machine running a suite's files one by one, on one core, after the other suites are done.
// Type-level checks are `pnpm typecheck`'s job, not a test's.
import { availableParallelism } from "node:os";

/** The `test` options every suite starts from. */
export const suiteDefaults: {
  include: string[];
  setupFiles: string[];
  testTimeout: number;
  hookTimeout: number;
} = {
  include: ["test/**/*.test.ts"],
  setupFiles: ["../../vitest.setup.ts"],
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

/** Files run at once: at least two. */
export const sharedWorkers: number = Math.max(2, availableParallelism() - 1);
