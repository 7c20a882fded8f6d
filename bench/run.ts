// dwd benchmarks. Each compares dwd with a baseline made of Google's own Node libraries doing the same
// job, in the same run, against the same emulator on a real port, and prints counts and ratios.
// Wall times are medians over repeated runs; they inform, they are not asserted.
//   1. token exchanges: 1,000 concurrent token requests over 100 subjects
//   2. end to end: `dwd calendars get` vs google-auth-library + @googleapis/calendar, and vs the same job
//      hand-written on node:crypto and node:http, pair by pair (seed-call.ts, with 2b and 3)
//   2b. keyless: `dwd calendars get --signer iam` vs the same with the key file, pair by pair
//   3. start-up: `dwd --help` vs `node -e 0`, pair by pair
//   4. the emulator's token endpoint at 0, 10,000 and 100,000 live tokens (token-endpoint-scale.ts)
//   5. a second `dwd events sync` over 200 users moves only the changes (events-sync.ts)
//   6. 200 users × events.list: batch vs a googleapis loop, 50 ms latency (calendar-events-list.ts)
//   7. dwd-server: added latency, requests/s, memory, soak (server.ts, in its own process)
//   8. dwd-server: another caller's p99 during a flood of worst-case availability requests (server-flood.ts)
//   9. dwd-server's availability mirror: calls per query, freshness, dropped pushes, replicas, 1,000 users (mirror.ts)
// `pnpm bench -- --json` prints every result as one JSON object a line on stdout (report.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { JWT } from "google-auth-library";
import { createTokenSource, loadKey } from "@dwd/auth";
import { demoScenario } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import { routeToEmulator } from "./baseline/route-to-emulator.mjs";
import { json, report, result, say, table } from "./report.ts";
import { seedCallBench } from "./seed-call.ts";
import { tokenEndpointScale } from "./token-endpoint-scale.ts";
import { median } from "./stats.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 15);
const READONLY = "https://www.googleapis.com/auth/calendar.readonly";

const subjects = Array.from(
  { length: 100 },
  (_, i) => `user${String(i).padStart(3, "0")}@example.com`,
);
const keysDir = mkdtempSync(join(tmpdir(), "dwd-bench-"));
const server = await startEmulator({
  keysDir,
  scenario: {
    ...demoScenario,
    users: [...demoScenario.users, ...subjects.map((email) => ({ email }))],
  },
});
const { emulator, url } = server;
const jsonKey = server.keyFiles["calendar-bot"]!.json;

const ms = (x: number): string => `${x.toFixed(1)} ms`;

try {
  // 1. Token exchanges for 1,000 concurrent calls over 100 subjects. Each client starts cold (a new
  // token source, new JWT clients) in each of `rounds` rounds; exchanges are counted at the emulator.
  const calls = Array.from({ length: 1000 }, (_, i) => subjects[i % subjects.length]!);
  const key = await loadKey(jsonKey);
  const raw = (await emulator.serviceAccountKeyJson("calendar-bot")) as {
    client_email: string;
    private_key: string;
  };
  const jwt = (subject: string): JWT =>
    routeToEmulator(
      new JWT({ email: raw.client_email, key: raw.private_key, subject, scopes: [READONLY] }),
      url,
    );

  const clients: { name: string; round: () => Promise<unknown> }[] = [
    {
      name: "dwd createTokenSource",
      round: () => {
        const tokens = createTokenSource(key);
        return Promise.all(
          calls.map((subject) => tokens.getToken({ subject, scopes: [READONLY] })),
        );
      },
    },
    {
      name: "google-auth-library, new JWT per call (naive)",
      round: () => Promise.all(calls.map((subject) => jwt(subject).getAccessToken())),
    },
    {
      name: "google-auth-library, one JWT per subject",
      round: () => {
        const perSubject = new Map(subjects.map((s) => [s, jwt(s)]));
        return Promise.all(calls.map((subject) => perSubject.get(subject)!.getAccessToken()));
      },
    },
  ];
  const rounds = Number(process.env.BENCH_TOKEN_ROUNDS ?? 5);
  const rows: { client: string; "exchanges per round": number; "median wall": string }[] = [];
  const results = new Map<string, { exchanges: number; wall: number }>();
  for (const c of clients) await c.round(); // warm-up: JIT on both sides, connections
  for (const c of clients) {
    const walls: number[] = [];
    const counts = new Set<number>();
    for (let r = 0; r < rounds; r++) {
      emulator.stats.reset();
      const t0 = performance.now();
      await c.round();
      walls.push(performance.now() - t0);
      counts.add(emulator.stats.tokensIssued);
    }
    const exchanges = counts.size === 1 ? [...counts][0]! : Number.NaN; // NaN: rounds disagreed
    results.set(c.name, { exchanges, wall: median(walls) });
    rows.push({
      client: c.name,
      "exchanges per round": exchanges,
      "median wall": ms(median(walls)),
    });
  }
  const dwd = results.get(clients[0]!.name)!;
  const naive = results.get(clients[1]!.name)!;
  const perSubject = results.get(clients[2]!.name)!;
  say(
    `\n1. Token exchanges for 1,000 concurrent calls over 100 subjects (counted at the emulator; median of ${rounds} cold rounds)`,
  );
  table(rows);
  report([
    result(
      "token exchanges, 1,000 concurrent calls over 100 subjects, vs google-auth-library with a new JWT per call",
      dwd.exchanges,
      naive.exchanges,
      "exchanges",
      `dwd exactly ${subjects.length}`,
    ),
    result(
      "token exchanges, 1,000 concurrent calls over 100 subjects, vs google-auth-library with one JWT per subject",
      dwd.exchanges,
      perSubject.exchanges,
      "exchanges",
    ),
    result(
      "wall time, 1,000 concurrent token requests over 100 subjects, vs a new JWT per call",
      dwd.wall,
      naive.wall,
      "ms",
    ),
    result(
      "wall time, 1,000 concurrent token requests over 100 subjects, vs one JWT per subject",
      dwd.wall,
      perSubject.wall,
      "ms",
    ),
  ]);
  if (dwd.exchanges !== subjects.length) process.exitCode = 1;

  // 2, 2b, 3. The seed call (vs Google's stack and vs the hand-written floor), keyless, start-up
  // (bench/seed-call.ts; alone: node bench/seed-call.ts).
  await seedCallBench({
    url,
    jsonKey,
    deployerKey: server.keyFiles["deployer"]!.json,
    bot: emulator.serviceAccount("calendar-bot").email,
    runs,
  });

  report(await tokenEndpointScale());
} finally {
  await server.close();
  rmSync(keysDir, { recursive: true, force: true });
}

// 5. A second `dwd events sync` over 200 users moves only the changed events (bench/events-sync.ts).
{
  const { eventsSyncBench } = await import("./events-sync.ts");
  say(
    "\n5. dwd events sync over 200 users × 20 events, run twice with 10 events changed in between (counted at the emulator)",
  );
  report(await eventsSyncBench());
}

// 5b. Selecting 1,000 users of an org unit from Directory: ⌈1000 / 500⌉ requests (bench/directory-select.ts).
{
  const { directorySelectBench } = await import("./directory-select.ts");
  say(
    "\n5b. Users of an org unit from Directory: dwd freebusy --ou /Sales --admin … over 1,000 users (counted at the emulator)",
  );
  report(await directorySelectBench());
}

// 5c. One event for 500 users under 20 % injected faults: exactly 500 events, a rerun creates 0
// (bench/bulk-create.ts).
{
  const { bulkCreateBench } = await import("./bulk-create.ts");
  say(
    "\n5c. dwd events create for 500 users under 20 % injected faults, run until it completes, then once more (counted at the emulator)",
  );
  report(await bulkCreateBench());
}

// 6. 200 users × events.list: dwd batches vs a googleapis loop (bench/calendar-events-list.ts).
{
  const { eventsListBench } = await import("./calendar-events-list.ts");
  say(
    "\n6. events.list for 200 users × 20 events, 50 ms latency on every request, concurrency 10: dwd batch vs a googleapis loop (emulator in its own process)",
  );
  report(await eventsListBench());
}

// 7. dwd-server, in its own process (it needs --expose-gc): its lines (or JSON lines) pass through.
{
  say("\n7. dwd-server");
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", join(here, "server.ts"), ...(json ? ["--json"] : [])],
      { stdio: "inherit" },
    );
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) process.exitCode = code ?? 1;
}

// 8. dwd-server under an availability flood, in its own process.
{
  say("\n8. dwd-server under an availability flood");
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(here, "server-flood.ts"), ...(json ? ["--json"] : [])],
      {
        stdio: "inherit",
      },
    );
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) process.exitCode = code ?? 1;
}

// 9. dwd-server's availability mirror, in its own process (bench/mirror.ts; alone: node bench/mirror.ts).
{
  say("\n9. dwd-server's availability mirror (issue 15)");
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, "mirror.ts"), ...(json ? ["--json"] : [])], {
      stdio: "inherit",
    });
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) process.exitCode = code ?? 1;
}
