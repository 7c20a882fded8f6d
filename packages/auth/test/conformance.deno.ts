// Runs the conformance suite on Deno:
//   pnpm exec deno test --allow-read --allow-env --allow-net --allow-write --allow-sys packages/auth/test/conformance.deno.ts
import { conformanceCases } from "./conformance.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

for (const c of conformanceCases) Deno.test(c.name, () => c.run());
