// Runs the calendar's conformance suite (pages, sync, batch, emulator, gzip, deadlines) on Deno:
//   pnpm exec deno test --allow-read --allow-env --allow-net --allow-write --allow-sys packages/calendar/test/conformance.deno.ts
import { conformanceCases } from "./conformance.ts";

declare const Deno: { test(name: string, fn: () => Promise<void>): void };

for (const c of conformanceCases) Deno.test(c.name, () => c.run());
