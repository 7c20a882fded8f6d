// dwd-server benchmarks, the bundled server spawned like production, against the emulator in its own
// process (`dwd emulator start`, as Google is remote: its work shares an event loop with neither the
// server nor the load generator):
//   1. added latency: the same calendarList.get sent straight to the emulator (with a cached token) and
//      through dwd-server (p50 and p99; target: p50 ≤ 1 ms added)
//   2. requests per second with 10,000 cached subjects (autocannon; target ≥ 2,000/s on 2 cores)
//   3. memory per cached subject (the token cache, measured in process with --expose-gc; target ≤ 2 KB)
//   4. a steady-rate soak (SOAK_SECONDS, default 60): errors and the server's RSS before and after
//   5. an OIDC caller (Google ID token) vs a static bearer on one server (target: p50 ≤ 0.2 ms added)
// Numbers inform; nothing is asserted.
//
// Opt-in knobs: BENCH_SUBJECTS, BENCH_LATENCY_RUNS, BENCH_LATENCY_WARMUP (500), BENCH_LOAD_SECONDS,
// SOAK_SECONDS; BENCH_SERVER_BUNDLE (another dwd-server.js, to compare builds) and
// BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/sprof": the profile is written when the
// bench stops the server).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { JWT } from "google-auth-library";
import { report, result as row, say } from "./report.ts";
import { createTokenSource, loadKey } from "@dwd/auth";
import { startEmulatorProcess } from "./emulator-process.ts";
import {
  loadSubjects,
  scenarioWith,
  startServerProcess,
  timeGet,
  warmSubjects,
} from "./server-process.ts";
import { benchOidc } from "./server-oidc.ts";
import { quantile } from "./stats.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const bundle =
  process.env.BENCH_SERVER_BUNDLE ?? join(here, "..", "apps", "server", "dist", "dwd-server.js");
const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
const SUBJECTS = Number(process.env.BENCH_SUBJECTS ?? 10_000);
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const READONLY = "https://www.googleapis.com/auth/calendar.readonly";
const TOKEN = "demo-booking-token";
const subjects = loadSubjects(SUBJECTS);

const emulator = await startEmulatorProcess(scenarioWith(subjects));
const keyFile = emulator.keyFile("calendar-bot");
const tokensIssued = async (): Promise<number> =>
  ((await (await emulator.control("/stats")).json()) as { tokensIssued: number }).tokensIssued;

const { url, child } = await startServerProcess(bundle, {
  emulatorUrl: emulator.url,
  keyFile,
  nodeArgs,
});
const rss = (): number =>
  Number(
    execFileSync("ps", ["-o", "rss=", "-p", String(child.pid)])
      .toString()
      .trim(),
  ) / 1024;
/** CPU seconds a process has used in user and system mode, from /proc (Linux; NaN elsewhere). */
const cpuSeconds = (pid: number): { user: number; system: number } => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 }; // USER_HZ is 100 on Linux
  } catch {
    return { user: Number.NaN, system: Number.NaN };
  }
};
const f = (x: number): string => x.toFixed(2);
const auth = { authorization: `Bearer ${TOKEN}` };

// 1. Added latency.
const tokenSource = createTokenSource(await loadKey(keyFile));
const { accessToken } = await tokenSource.getToken({
  subject: "info@example.com",
  scopes: [READONLY],
});
const direct = `${emulator.url}/calendar/v3/users/me/calendarList/primary`;
const viaServer = `${url}/v1/users/info@example.com/calendarList/primary`;
const time = timeGet;
const n = Number(process.env.BENCH_LATENCY_RUNS ?? 400);
const d: number[] = [];
const s: number[] = [];
// Warm-up: a server runs warm. After 50 calls the server's code is still being optimised by V8, and the
// p50 measured then says more about its JIT than about its steady added latency (measured: ~0.5 ms more).
const warmup = Number(process.env.BENCH_LATENCY_WARMUP ?? 500);
for (let i = 0; i < warmup; i++) {
  await time(direct, { authorization: `Bearer ${accessToken}` });
  await time(viaServer, auth);
}
const latencyCpu0 = cpuSeconds(child.pid!);
for (let i = 0; i < n; i++) {
  d.push(await time(direct, { authorization: `Bearer ${accessToken}` }));
  s.push(await time(viaServer, auth));
}
const latencyCpu1 = cpuSeconds(child.pid!);
const perCall =
  ((latencyCpu1.user + latencyCpu1.system - latencyCpu0.user - latencyCpu0.system) * 1000) / n;
say(
  `dwd-server added latency over a direct emulator call (emulator in its own process; ${n} sequential calendarList.get each, interleaved, after ${warmup} warm-up calls each):`,
  `  direct p50 ${f(quantile(d, 0.5))} ms, p99 ${f(quantile(d, 0.99))} ms; via dwd-server p50 ${f(quantile(s, 0.5))} ms, p99 ${f(quantile(s, 0.99))} ms`,
  `  added: p50 ${f(quantile(s, 0.5) - quantile(d, 0.5))} ms (target ≤ 1 ms), p99 ${f(quantile(s, 0.99) - quantile(d, 0.99))} ms; server CPU ${perCall.toFixed(3)} ms per call`,
);
report([
  row(
    "calendarList.get p50 latency: through dwd-server (dwd column) vs straight to the emulator (baseline column)",
    quantile(s, 0.5),
    quantile(d, 0.5),
    "ms",
    "dwd − baseline ≤ 1 ms",
  ),
  row(
    "calendarList.get p99 latency: through dwd-server (dwd column) vs straight to the emulator (baseline column)",
    quantile(s, 0.99),
    quantile(d, 0.99),
    "ms",
  ),
]);

// 2. Requests per second with SUBJECTS cached subjects: warm the cache through the token broker, then load it.
const before = await tokensIssued();
const t0 = performance.now();
await warmSubjects(url, subjects, auth, [READONLY]);
say(
  `warmed ${subjects.length} subjects in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(await tokensIssued()) - before} token exchanges)`,
);
const rssWarm = rss();
const cpu0 = { server: cpuSeconds(child.pid!), bench: process.cpuUsage() };
let k = 0;
const body = (): string =>
  JSON.stringify({ subject: subjects[k++ % subjects.length], scopes: [READONLY] });
const result = await autocannon({
  url: `${url}/v1/token`,
  connections: 32,
  duration: Number(process.env.BENCH_LOAD_SECONDS ?? 10),
  requests: [
    {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      setupRequest: (req) => ({ ...req, body: body() }),
    },
  ],
});
const cpu1 = cpuSeconds(child.pid!);
const serverCpu = {
  user: cpu1.user - cpu0.server.user,
  system: cpu1.system - cpu0.server.system,
};
const benchCpu = process.cpuUsage(cpu0.bench);
const exchangesDuringRun = (await tokensIssued()) - before - subjects.length;
say(
  `requests/s with ${subjects.length} cached subjects (token broker, autocannon 32 connections in the bench process): ${Math.round(result.requests.average)} (target ≥ 2,000/s); p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; non-2xx ${result.non2xx}, errors ${result.errors}; exchanges during the run ${exchangesDuringRun}`,
  `  CPU during the run: server ${(((serverCpu.user + serverCpu.system) * 1000) / result.requests.total).toFixed(3)} ms per request (${(((serverCpu.user + serverCpu.system) / result.duration) * 100).toFixed(0)}% of a core, ${((serverCpu.system / (serverCpu.user + serverCpu.system)) * 100).toFixed(0)}% of it in the kernel); load generator ${(((benchCpu.user + benchCpu.system) / 1e6 / result.duration) * 100).toFixed(0)}% of a core; machine load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`,
);
report([
  row(
    `requests/s through dwd-server with ${subjects.length} cached subjects (dwd column) vs the target (baseline column)`,
    result.requests.average,
    2000,
    "requests/s",
    ">= 1 (2,000/s)",
  ),
  row(
    "non-2xx and errors under load (dwd column) vs none (baseline column)",
    result.non2xx + result.errors,
    0,
    "responses",
    "0",
  ),
]);

// 3. Memory per cached subject: the token cache, in process, with a token endpoint that answers at once;
// the baseline is what teams keep today, one google-auth-library JWT client per subject holding its token.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  say("memory per cached subject: skipped (run with node --expose-gc)");
} else {
  let id = 0;
  const token = (): string => `ya29.${"x".repeat(150)}${id++}`;
  const cache = createTokenSource(await loadKey(keyFile), {
    fetch: () =>
      Promise.resolve(
        new Response(
          JSON.stringify({ access_token: token(), expires_in: 3599, token_type: "Bearer" }),
          { status: 200 },
        ),
      ),
  });
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  for (const subject of subjects) await cache.getToken({ subject, scopes: [READONLY] });
  gc();
  const perSubject = (process.memoryUsage().heapUsed - heap0) / subjects.length;
  const raw = JSON.parse(readFileSync(keyFile, "utf8")) as {
    client_email: string;
    private_key: string;
  };
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  const clients = subjects.map((subject) => {
    const jwt = new JWT({
      email: raw.client_email,
      key: raw.private_key,
      subject,
      scopes: [READONLY],
    });
    jwt.credentials = {
      access_token: token(),
      expiry_date: Date.now() + 3_599_000,
      token_type: "Bearer",
    };
    return jwt;
  });
  gc();
  const perClient = (process.memoryUsage().heapUsed - heap1) / clients.length;
  say(
    `memory per cached subject (token cache entry, 160-character tokens like Google's): ${(perSubject / 1024).toFixed(2)} KB (target ≤ 2 KB); google-auth-library, one JWT client per subject holding its token: ${(perClient / 1024).toFixed(2)} KB; server RSS after warming ${rssWarm.toFixed(0)} MB`,
  );
  report([
    row(
      `memory per cached subject: dwd token cache vs one google-auth-library JWT client per subject (${subjects.length} subjects, heap after GC)`,
      perSubject / 1024,
      perClient / 1024,
      "KB",
      "dwd ≤ 2 KB",
    ),
  ]);
}

// 4. Soak at a steady rate.
if (SOAK_SECONDS > 0) {
  // RSS sampled through the run: V8 sizes its heap in the first tens of seconds of load, so "flat" is
  // read over the second half (the half-time sample against the last).
  const samples: number[] = [rss()];
  const sampler = setInterval(() => samples.push(rss()), 5_000);
  const soak = await autocannon({
    url: `${url}/v1/users/info@example.com/calendarList/primary`,
    headers: auth,
    connections: 8,
    overallRate: 500,
    duration: SOAK_SECONDS,
  });
  clearInterval(sampler);
  samples.push(rss());
  const half = samples[Math.floor((samples.length - 1) / 2)]!;
  const last = samples.at(-1)!;
  say(
    `soak ${SOAK_SECONDS} s at 500 requests/s: ${soak.requests.total} requests, non-2xx ${soak.non2xx}, errors ${soak.errors}, timeouts ${soak.timeouts}; server RSS every 5 s: ${samples.map((x) => x.toFixed(0)).join(" → ")} MB`,
  );
  report([
    row(
      `soak ${SOAK_SECONDS} s at 500 requests/s: non-2xx, errors and timeouts (dwd column) vs none (baseline column)`,
      soak.non2xx + soak.errors + soak.timeouts,
      0,
      "responses",
      "0",
    ),
    row(
      `soak ${SOAK_SECONDS} s: server RSS at the end (dwd column) vs at half-time (baseline column)`,
      last,
      half,
      "MB",
      "flat (≈ 1)",
    ),
    row(
      `soak ${SOAK_SECONDS} s: server RSS at the end (dwd column) vs at the start (baseline column)`,
      last,
      samples[0]!,
      "MB",
    ),
  ]);
}

child.kill("SIGTERM");
await new Promise((resolve) => child.once("exit", resolve));
// 5. What a workload-identity caller adds over a static bearer token.
await benchOidc(bundle, emulator);
await emulator.close();
