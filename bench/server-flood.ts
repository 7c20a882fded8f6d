// dwd-server under a flood of worst-case availability requests (issue 14, item 2): one caller sends
// availability for 50 users over 62 days at a 5-minute step, around the clock, with no free slot, at
// its whole rate (FLOOD_RATE a second, default 10: the README's 600 a minute; open loop), while
// another caller reads calendarList.get one request at a time. Its p99 while the flood runs is
// compared with its p99 unloaded (target ≤ 2×), and the server's CPU share says whose the delay is
// (the emulator answers both callers, on the same cores). Numbers inform; nothing is asserted.
//
// Opt-in knobs: FLOOD_SECONDS (default 10), FLOOD_RATE (default 10), BENCH_SERVER_BUNDLE.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { delegationOver, startEmulatorProcess } from "./emulator-process.ts";
import { report, result as row, say } from "./report.ts";
import { loadSubjects, scenarioWith, timeGet } from "./server-process.ts";
import { quantile } from "./stats.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const bundle =
  process.env.BENCH_SERVER_BUNDLE ?? join(here, "..", "apps", "server", "dist", "dwd-server.js");
const SECONDS = Number(process.env.FLOOD_SECONDS ?? 10);
/** The flooding caller's rate, requests a second: all of it used, every request the worst case. */
const RATE = Number(process.env.FLOOD_RATE ?? 10);
const RO = "https://www.googleapis.com/auth/calendar.readonly";
const CAL = "https://www.googleapis.com/auth/calendar";
const FLOODER = "bench-flooder-token";
const READER = "bench-reader-token";
const sha = (t: string): string => createHash("sha256").update(t).digest("hex");
const subjects = loadSubjects(50);

// Each user is busy through the whole range (one event, cheap for the emulator to answer): no slot
// exists, so every query tries every candidate of the 62 days — the search's worst case.
const scenario = scenarioWith(subjects) as { events?: object[] };
scenario.events = [
  ...(scenario.events ?? []),
  ...subjects.map((email, i) => ({
    calendar: email,
    summary: "Away",
    id: `ev${String(i).padStart(4, "0")}`,
    start: "2026-11-30T00:00:00Z",
    end: "2027-02-02T00:00:00Z",
  })),
];
const emulator = await startEmulatorProcess(scenario);
const dir = mkdtempSync(join(tmpdir(), "dwd-flood-"));
const configFile = join(dir, "dwd-server.json");
writeFileSync(
  configFile,
  JSON.stringify({
    listen: { host: "127.0.0.1", port: 0 },
    delegation: delegationOver(emulator),
    callers: [
      {
        name: "flooder",
        tokenSha256: sha(FLOODER),
        subjects: ["*@example.com"],
        operations: ["availability"],
        scopes: [RO, CAL],
        rate: { requests: RATE, per: "second" },
      },
      {
        name: "reader",
        tokenSha256: sha(READER),
        subjects: ["*@example.com"],
        operations: ["calendarList.get", "token"],
        scopes: [RO, CAL],
        rate: { requests: 1_000_000, per: "minute" },
      },
    ],
    limits: { bodyBytes: 65_536, subjectConcurrency: 64, subjectQueue: 256 },
  }),
);
const child = spawn(process.execPath, [bundle, "--config", configFile], {
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise<string>((resolve) => {
  let out = "";
  const onData = (d: Buffer): void => {
    out += d.toString();
    const m = /dwd-server listening on (\S+)/.exec(out);
    if (m) {
      child.stdout.off("data", onData);
      resolve(m[1]!);
    }
  };
  child.stdout.on("data", onData);
});
child.stdout.resume();
for (;;) {
  const r = await fetch(`${url}/readyz`).catch(() => undefined);
  if (r?.status === 200) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const worst = JSON.stringify({
  subjects,
  timeMin: "2026-12-01T00:00:00Z",
  timeMax: "2027-02-01T00:00:00Z",
  durationMinutes: 30,
  stepMinutes: 5,
  timeZone: "Europe/Berlin",
  workingHours: { start: "00:00", end: "24:00", days: [1, 2, 3, 4, 5, 6, 7] },
  minAttendees: 1,
  maxSlots: 100, // the most the schema allows for 50 subjects (maxSlots × subjects ≤ 5,000)
});
const target = `${url}/v1/users/info@example.com/calendarList/primary`;
const reader = { authorization: `Bearer ${READER}` };
/** The reader's latencies over `seconds`, one request at a time. */
const read = async (seconds: number): Promise<number[]> => {
  const out: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) out.push(await timeGet(target, reader));
  return out;
};

// The flood runs in a worker thread: reading its answers (about 1.3 MB each) on this event loop would
// delay the reader's own timing, and measure the load generator instead of the server.
const floodCode = `
const { parentPort, workerData } = require("node:worker_threads");
const { url, token, body, perSecond, warm } = workerData;
const statuses = {};
const one = async () => {
  const r = await fetch(url, {
    method: "POST",
    headers: { authorization: "Bearer " + token, "content-type": "application/json" },
    body,
  });
  await r.arrayBuffer();
  return r.status;
};
(async () => {
  if (warm) {
    parentPort.postMessage({ warmed: await one() });
    return;
  }
  // Open loop: one request every 1/perSecond s whatever the answers take, as independent clients send.
  const sent = [];
  const timer = setInterval(() => {
    sent.push(one().then((s) => (statuses[s] = (statuses[s] ?? 0) + 1)));
  }, 1000 / perSecond);
  parentPort.on("message", async () => {
    clearInterval(timer);
    await Promise.allSettled(sent);
    parentPort.postMessage({ statuses });
  });
})();
`;
const flood = (warm: boolean): { done: Promise<Record<string, number>>; stop(): void } => {
  const worker = new Worker(floodCode, {
    eval: true,
    workerData: {
      url: `${url}/v1/availability`,
      token: FLOODER,
      body: worst,
      perSecond: RATE,
      warm,
    },
  });
  const done = new Promise<Record<string, number>>((resolve, reject) => {
    worker.once("message", (m: { statuses?: Record<string, number>; warmed?: number }) => {
      void worker.terminate();
      resolve(m.statuses ?? { [String(m.warmed)]: 1 });
    });
    worker.once("error", reject);
  });
  return { done, stop: () => worker.postMessage("stop") };
};

// Warm: the flooder's 50 tokens, the reader's token, the JIT.
const warmed = await flood(true).done;
if (warmed["200"] !== 1)
  throw new Error(`availability did not answer 200: ${JSON.stringify(warmed)}`);
for (let i = 0; i < 300; i++) await timeGet(target, reader);

const cpu = (): number => {
  const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // ms (USER_HZ 100)
};
const unloaded = await read(SECONDS);
const cpu0 = cpu();
const running = flood(false);
const loaded = await read(SECONDS);
running.stop();
const floodCpu = cpu() - cpu0;
const statuses = Object.entries(await running.done);

const p99 = { unloaded: quantile(unloaded, 0.99), loaded: quantile(loaded, 0.99) };
const served = statuses.reduce((n, [, k]) => n + k, 0);
say(
  `availability flood (${SECONDS} s at the caller's rate, ${RATE}/s, open loop; 50 users × 62 days at 5-minute steps, no free slot): answers ${statuses.map(([s, n]) => `${s}×${n}`).join(", ")}; server CPU ${(floodCpu / SECONDS / 10).toFixed(0)}% of a core while it ran (${(floodCpu / Math.max(1, served)).toFixed(1)} ms per availability request, the reader's included)`,
  `  another caller's calendarList.get: unloaded p50 ${quantile(unloaded, 0.5).toFixed(2)} ms, p99 ${p99.unloaded.toFixed(2)} ms (${unloaded.length} requests); during the flood p50 ${quantile(loaded, 0.5).toFixed(2)} ms, p99 ${p99.loaded.toFixed(2)} ms (${loaded.length} requests)`,
);
report([
  row(
    "another caller's calendarList.get p99 during an availability flood (dwd column) vs unloaded (baseline column)",
    p99.loaded,
    p99.unloaded,
    "ms",
    "≤ 2",
  ),
]);

child.kill("SIGTERM");
await new Promise((resolve) => child.once("exit", resolve));
await emulator.close();
rmSync(dir, { recursive: true, force: true });
