// Two dwd-server builds side by side, for a before/after on a busy machine: one emulator process, both
// servers warmed with the same cached subjects, then rounds — in each, the added latency of both
// (sequential calendarList.get: a direct emulator call, A and B in turn, so all three see the same moment
// of a busy machine) and the requests per second of both on the token broker (autocannon, as
// bench/server.ts runs it; BENCH_LOAD_SECONDS=0 skips it), the side going first swapped each round.
// Reports each side's median over the rounds and the median of the per-round ratios.
//
//   node bench/server-compare.ts BASELINE.js [CANDIDATE.js]   (candidate: apps/server/dist/dwd-server.js)
//
// Knobs: BENCH_SUBJECTS (10,000), COMPARE_ROUNDS (5), BENCH_LOAD_SECONDS (5 per side and round),
// BENCH_LATENCY_RUNS (200 per side and round), BENCH_LATENCY_WARMUP (100 per side and round).
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { createTokenSource, loadKey } from "@dwd/auth";
import { startEmulatorProcess } from "./emulator-process.ts";
import {
  loadSubjects,
  scenarioWith,
  startServerProcess,
  timeGet,
  warmSubjects,
} from "./server-process.ts";
import { median, quantile } from "./stats.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const [baseline, candidate = join(here, "..", "apps", "server", "dist", "dwd-server.js")] =
  process.argv.slice(2);
if (baseline === undefined) {
  console.error("usage: node bench/server-compare.ts BASELINE.js [CANDIDATE.js]");
  process.exit(2);
}
const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 10_000);
const ROUNDS = Number(process.env.COMPARE_ROUNDS ?? 5);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const LATENCY_RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 200);
/** Warm-up calls per side before each round's latency (V8 optimises a just-started server meanwhile). */
const WARMUP = Number(process.env.BENCH_LATENCY_WARMUP ?? 100);
const READONLY = "https://www.googleapis.com/auth/calendar.readonly";
const auth = { authorization: "Bearer demo-booking-token" };
const subjects = loadSubjects(SUBJECTS);

const emulator = await startEmulatorProcess(scenarioWith(subjects));
const keyFile = emulator.keyFile("calendar-bot");

async function startServer(bundle: string): Promise<{ url: string; child: ChildProcess }> {
  const { url, child } = await startServerProcess(bundle, {
    emulatorUrl: emulator.url,
    keyFile,
    stderr: "ignore",
  });
  await warmSubjects(url, subjects, auth, [READONLY]);
  return { url, child };
}

const t0 = performance.now();
const sides = { A: await startServer(baseline), B: await startServer(candidate) };
console.log(
  `A = ${baseline}\nB = ${candidate}\nboth warmed with ${SUBJECTS} subjects in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${ROUNDS} rounds`,
);

const { accessToken } = await createTokenSource(await loadKey(keyFile)).getToken({
  subject: "info@example.com",
  scopes: [READONLY],
});
const time = timeGet;
const direct = `${emulator.url}/calendar/v3/users/me/calendarList/primary`;
/** Added latency of both sides, measured in the same loop: direct, A and B in turn (rotating). */
async function added(): Promise<Record<"A" | "B", { p50: number; p99: number }>> {
  const times: Record<"direct" | "A" | "B", number[]> = { direct: [], A: [], B: [] };
  const targets = {
    direct: () => time(direct, { authorization: `Bearer ${accessToken}` }),
    A: () => time(`${sides.A.url}/v1/users/info@example.com/calendarList/primary`, auth),
    B: () => time(`${sides.B.url}/v1/users/info@example.com/calendarList/primary`, auth),
  };
  const order = ["direct", "A", "B"] as const;
  for (let i = 0; i < LATENCY_RUNS + WARMUP; i++) {
    for (let j = 0; j < 3; j++) {
      const which = order[(i + j) % 3]!;
      const t = await targets[which]();
      if (i >= WARMUP) times[which].push(t);
    }
  }
  const d50 = quantile(times.direct, 0.5);
  const d99 = quantile(times.direct, 0.99);
  return {
    A: { p50: quantile(times.A, 0.5) - d50, p99: quantile(times.A, 0.99) - d99 },
    B: { p50: quantile(times.B, 0.5) - d50, p99: quantile(times.B, 0.99) - d99 },
  };
}
async function rps(url: string): Promise<number> {
  let k = 0;
  const result = await autocannon({
    url: `${url}/v1/token`,
    connections: 32,
    duration: LOAD_SECONDS,
    requests: [
      {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ subject: subjects[k++ % subjects.length], scopes: [READONLY] }),
        }),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: non-2xx ${result.non2xx}, errors ${result.errors}`);
  return result.requests.average;
}

const results = { A: { p50: [], p99: [], rps: [] }, B: { p50: [], p99: [], rps: [] } } as Record<
  "A" | "B",
  { p50: number[]; p99: number[]; rps: number[] }
>;
const ratios = { p50: [] as number[], rps: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const order: ("A" | "B")[] = round % 2 === 0 ? ["A", "B"] : ["B", "A"];
  const latency = await added();
  const perSecond: Record<string, number> = {};
  if (LOAD_SECONDS > 0) for (const side of order) perSecond[side] = await rps(sides[side].url);
  for (const side of ["A", "B"] as const) {
    results[side].p50.push(latency[side].p50);
    results[side].p99.push(latency[side].p99);
    results[side].rps.push(perSecond[side] ?? Number.NaN);
  }
  ratios.p50.push(latency.B.p50 / latency.A.p50);
  if (LOAD_SECONDS > 0) ratios.rps.push(perSecond.B! / perSecond.A!);
  console.log(
    `round ${round + 1}: added p50 A ${latency.A.p50.toFixed(2)} / B ${latency.B.p50.toFixed(2)} ms; requests/s A ${perSecond.A?.toFixed(0) ?? "-"} / B ${perSecond.B?.toFixed(0) ?? "-"}`,
  );
}
for (const side of ["A", "B"] as const)
  console.log(
    `${side}: added latency p50 ${median(results[side].p50).toFixed(2)} ms, p99 ${median(results[side].p99).toFixed(2)} ms; requests/s ${median(results[side].rps).toFixed(0)} (medians of ${ROUNDS} rounds)`,
  );
console.log(
  `B/A: added p50 ×${median(ratios.p50).toFixed(2)}, requests/s ×${ratios.rps.length > 0 ? median(ratios.rps).toFixed(2) : "-"} (medians of per-round ratios)`,
);

for (const { child } of Object.values(sides)) {
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}
await emulator.close();
