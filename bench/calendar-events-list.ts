// Bench section: 200 users × events.list against the emulator with 50 ms latency on every request
// (`PUT /_emulator/faults`). dwd sends the first pages as multipart batches (chunks of 50, one part per
// user with its own token, each part read as it arrives) and follows further pages with its iterators,
// over `createNodeFetch()` as its README recommends on Node; the baseline is a googleapis
// loop (google-auth-library JWT per user + @googleapis/calendar), at the same concurrency of 10.
// Requests and token exchanges are counted by the emulator (`GET /_emulator/stats`); wall time is
// measured cold (new token caches), on the second run (tokens cached, as it came), and as the median of
// several runs with tokens cached after a few untimed warm-up rounds (alternating dwd and the baseline,
// with a full GC before each timed run). The emulator runs in its own process (`dwd emulator start`), as
// Google is remote: its work does not share an event loop with the clients being compared.
//
// The bundled CLI runs the same list too (`dwd events list --subjects-file … --json`), each run a fresh
// process as an admin runs it: once on a new machine (an empty cache dir), then BENCH_CLI_RUNS (5) rounds
// of a cold run (no kept tokens: `dwd token cache clear` first), a second run with the tokens it kept, and
// the same job as a script of Google's client (baseline/events-list-loop.mjs: a fresh process that loads
// googleapis, loops at concurrency 10 and prints the same JSON), medians reported. The CLI's target rows
// compare with that script, a fresh process as the CLI is (Google's client keeps no token between
// processes, so its every run is cold); the in-process loop's cold and second runs are given beside them.
// With BENCH_CLI_COMPARE=<another dwd.js> (a build of an earlier commit, say), that bundle runs the same
// two runs too, alternating with this one, and gets its own rows: before and after in one run. Copy
// apps/cli/package.json beside the copied dist/ (`/tmp/before/{package.json,dist/}`): without its
// `"type": "module"`, Node parses each file again to detect ES module syntax (~7 ms per run), which the
// installed CLI never pays.
//
//   node bench/calendar-events-list.ts [--json]
import { routeToEmulator } from "./baseline/route-to-emulator.mjs";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { calendar } from "@googleapis/calendar";
import { JWT } from "google-auth-library";
import { createTokenSource, loadKey } from "@dwd/auth";
import { createCalendarClient } from "@dwd/calendar";
import { createNodeFetch } from "@dwd/calendar/node";
import type { CalendarClient } from "@dwd/calendar";
import { startEmulatorProcess } from "./emulator-process.ts";
import { report, result } from "./report.ts";
import type { BenchResult } from "./report.ts";
import { median } from "./stats.ts";

const USERS = 200;
const EVENTS_EACH = 20;
const CONCURRENCY = 10;
const LATENCY_MS = 50;
const READONLY = "https://www.googleapis.com/auth/calendar.readonly";
/** Timed runs with tokens cached, per side (the median is reported). */
const WARM_RUNS = Number(process.env.BENCH_WARM_RUNS ?? 7);
/**
 * Untimed rounds (one run per side) between the second runs and the timed ones. Both processes were
 * just started: over their first runs V8 still compiles the paths they take, and the emulator stands
 * for a Google that is always warm. The second run itself is reported too, as it came.
 */
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP_ROUNDS ?? 3);
/** Cold + second-run pairs of the bundled CLI, each a fresh process (the medians are reported). */
const CLI_RUNS = Number(process.env.BENCH_CLI_RUNS ?? 5);

// A full collection before each timed run, so neither side pays for the other's garbage.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

interface Stats {
  tokensIssued: number;
  apiRequests: number;
  batchRequests: number;
  batchParts: number;
}

/** HTTP requests that reached the Calendar API: one per batch, plus every call sent on its own. */
const httpRequests = (s: Stats): number => s.batchRequests + (s.apiRequests - s.batchParts);
const diff = (a: Stats, b: Stats): Stats => ({
  tokensIssued: b.tokensIssued - a.tokensIssued,
  apiRequests: b.apiRequests - a.apiRequests,
  batchRequests: (b.batchRequests ?? 0) - (a.batchRequests ?? 0),
  batchParts: (b.batchParts ?? 0) - (a.batchParts ?? 0),
});

async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const cli = fileURLToPath(new URL("../apps/cli/dist/dwd.js", import.meta.url));

/** One `node script …args` to its end (the bundled CLI by default); its wall time (stdout read and dropped). */
function cliRun(args: string[], env: Record<string, string>, bundle = cli): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bundle, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stdout.resume();
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const dt = performance.now() - t0;
      if (code !== 0)
        reject(new Error(`${bundle} ${args.join(" ")} exited ${code}: ${err.trim()}`));
      else resolve(dt);
    });
  });
}

/** dwd: first pages of every user in batches, then each user's further pages with the iterator. */
async function dwdRun(cal: CalendarClient, users: readonly string[]): Promise<number> {
  let events = 0;
  const firsts = await cal.batch(
    (b) => users.map((u) => b.as(u).events.list("primary", { maxResults: 2500 })),
    { concurrency: CONCURRENCY },
  );
  const more: { user: string; pageToken: string }[] = [];
  firsts.forEach((r, i) => {
    if (!r.ok) throw r.error;
    events += r.value.items?.length ?? 0;
    if (r.value.nextPageToken) more.push({ user: users[i]!, pageToken: r.value.nextPageToken });
  });
  await pool(more, CONCURRENCY, async ({ user, pageToken }) => {
    for await (const _e of cal.as(user).events.all("primary", { pageToken })) events++;
  });
  return events;
}

/** The baseline: a googleapis loop, one JWT client per user, following nextPageToken. */
async function baselineRun(
  clients: Map<string, ReturnType<typeof calendar>>,
  users: readonly string[],
): Promise<number> {
  let events = 0;
  await pool(users, CONCURRENCY, async (user) => {
    let pageToken: string | undefined;
    do {
      const res = await clients
        .get(user)!
        .events.list({ calendarId: "primary", maxResults: 2500, pageToken });
      events += res.data.items?.length ?? 0;
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
  });
  return events;
}

/** Runs the section and returns its results. */
export async function eventsListBench(): Promise<BenchResult[]> {
  const server = await startEmulatorProcess({
    domain: "example.com",
    users: { count: USERS, eventsEach: EVENTS_EACH },
    serviceAccounts: [{ name: "calendar-bot" }],
    grants: [
      {
        serviceAccount: "calendar-bot",
        scopes: ["https://www.googleapis.com/auth/calendar", READONLY],
      },
    ],
  });
  const { control } = server;
  const stats = async (): Promise<Stats> => (await (await control("/stats")).json()) as Stats;
  try {
    const faults = await control("/faults", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ latencyMs: LATENCY_MS }),
    });
    if (!faults.ok) throw new Error(`PUT /_emulator/faults answered ${faults.status}`);
    const users = server.users.slice(0, USERS);
    const keyFile = server.keyFile("calendar-bot");
    const raw = JSON.parse(readFileSync(keyFile, "utf8")) as {
      client_email: string;
      private_key: string;
    };
    const root = `${server.url}/calendar/v3`;

    // dwd as its README sets it up on Node (node:http transport): cold (a new token source), then again
    // with its tokens cached. The baseline runs as googleapis sets itself up.
    const fetch = createNodeFetch({ timeoutMs: 30_000 });
    const tokenSource = createTokenSource(await loadKey(keyFile), {
      tokenUri: `${server.url}/token`,
      env: {},
      fetch,
    });
    const cal = createCalendarClient({ tokenSource, scopes: [READONLY], rootUrl: root, fetch });
    const d0 = await stats();
    gc();
    let t = performance.now();
    const dwdEvents = await dwdRun(cal, users);
    const dwdCold = performance.now() - t;
    const d1 = await stats();
    gc();
    t = performance.now();
    await dwdRun(cal, users);
    const dwdSecond = performance.now() - t;
    const d2 = await stats();

    // Baseline: google-auth-library's JWT per user (cold), then the same clients (tokens cached).
    const clients = new Map(
      users.map((subject) => [
        subject,
        calendar({
          version: "v3",
          rootUrl: `${server.url}/`,
          auth: routeToEmulator(
            new JWT({ email: raw.client_email, key: raw.private_key, subject, scopes: [READONLY] }),
            server.url,
          ),
        }),
      ]),
    );
    const b0 = await stats();
    gc();
    t = performance.now();
    const baseEvents = await baselineRun(clients, users);
    const baseCold = performance.now() - t;
    const b1 = await stats();
    gc();
    t = performance.now();
    await baselineRun(clients, users);
    const baseSecond = performance.now() - t;
    const b2 = await stats();

    // The CLI, a fresh process each run. First on a new machine: an empty cache dir (no kept tokens, no
    // compile cache), once. Then CLI_RUNS pairs: cold (the kept tokens removed with `dwd token cache
    // clear`, the compile cache kept, as for an admin's next run over other users or after an hour), then
    // a second run with the tokens the cold run kept; each process's wall time alone, the medians
    // reported (one process's wall time varies by tens of ms on a small machine). Token exchanges are
    // counted for every run and must be the same in each pair: one per user cold, 0 on the second.
    const cliDir = mkdtempSync(join(tmpdir(), "dwd-bench-cli-"));
    const usersFile = join(cliDir, "users.txt");
    writeFileSync(usersFile, `${users.join("\n")}\n`);
    const cliArgs = ["events", "list", "--key", keyFile, "--subjects-file", usersFile, "--json"];
    const cliEnv = (cache: string): Record<string, string> => ({
      DWD_EMULATOR_HOST: new URL(server.url).host,
      DWD_CACHE_DIR: join(cliDir, cache),
      DWD_TOKEN_CACHE: "",
    });
    const compare = process.env["BENCH_CLI_COMPARE"];
    const colds: number[] = [];
    const seconds: number[] = [];
    const scripts: number[] = [];
    let scriptStats: Stats | undefined;
    const loopScript = fileURLToPath(new URL("baseline/events-list-loop.mjs", import.meta.url));
    const otherColds: number[] = [];
    const otherSeconds: number[] = [];
    let cCold: Stats | undefined;
    let cWarm: Stats | undefined;
    const other = { coldTokens: 0, secondTokens: 0 };
    /** A cold run (kept tokens cleared first) and a second run of `bundle`; their times and counts. */
    const cliPair = async (
      bundle: string,
      cache: string,
    ): Promise<{ cold: number; second: number; coldStats: Stats; secondStats: Stats }> => {
      await cliRun(["token", "cache", "clear"], cliEnv(cache), bundle);
      const s0 = await stats();
      const cold = await cliRun(cliArgs, cliEnv(cache), bundle);
      const s1 = await stats();
      const second = await cliRun(cliArgs, cliEnv(cache), bundle);
      const s2 = await stats();
      return { cold, second, coldStats: diff(s0, s1), secondStats: diff(s1, s2) };
    };
    let firstEver: number;
    let firstEverOther = 0;
    try {
      firstEver = await cliRun(cliArgs, cliEnv("cache"));
      if (compare !== undefined)
        firstEverOther = await cliRun(cliArgs, cliEnv("cache-compare"), compare);
      for (let i = 0; i < CLI_RUNS; i++) {
        const mine = await cliPair(cli, "cache");
        colds.push(mine.cold);
        seconds.push(mine.second);
        if (mine.coldStats.tokensIssued !== USERS || mine.secondStats.tokensIssued !== 0)
          throw new Error(
            `dwd CLI run ${i}: ${mine.coldStats.tokensIssued} token exchanges cold and ${mine.secondStats.tokensIssued} on the second run, expected ${USERS} and 0`,
          );
        cCold ??= mine.coldStats;
        cWarm ??= mine.secondStats;
        const s0 = await stats();
        scripts.push(await cliRun([keyFile, usersFile], { EMULATOR_URL: server.url }, loopScript));
        const scriptRun = diff(s0, await stats());
        if (scriptRun.tokensIssued !== USERS)
          throw new Error(
            `Google's client as a script, run ${i}: ${scriptRun.tokensIssued} token exchanges, expected ${USERS}`,
          );
        scriptStats ??= scriptRun;
        if (compare !== undefined) {
          const theirs = await cliPair(compare, "cache-compare");
          otherColds.push(theirs.cold);
          otherSeconds.push(theirs.second);
          other.coldTokens = theirs.coldStats.tokensIssued;
          other.secondTokens = theirs.secondStats.tokensIssued;
        }
      }
    } finally {
      rmSync(cliDir, { recursive: true, force: true });
    }
    if (cCold === undefined || cWarm === undefined || scriptStats === undefined)
      throw new Error(`BENCH_CLI_RUNS must be at least 1, got ${CLI_RUNS}`);
    const cliCold = median(colds);
    const cliSecond = median(seconds);
    const scriptWall = median(scripts);
    for (let i = 0; i < WARMUP_ROUNDS; i++) {
      await dwdRun(cal, users);
      await baselineRun(clients, users);
    }
    // Runs with tokens cached, alternating, so both see the same machine: the medians are reported.
    const dwdWarms: number[] = [];
    const baseWarms: number[] = [];
    for (let i = 0; i < WARM_RUNS; i++) {
      gc();
      t = performance.now();
      await dwdRun(cal, users);
      dwdWarms.push(performance.now() - t);
      gc();
      t = performance.now();
      await baselineRun(clients, users);
      baseWarms.push(performance.now() - t);
    }
    const dwdWarm = median(dwdWarms);
    const baseWarm = median(baseWarms);

    if (dwdEvents !== baseEvents)
      throw new Error(`dwd read ${dwdEvents} events, the baseline ${baseEvents}: they must agree`);
    const dCold = diff(d0, d1);
    const dWarm = diff(d1, d2);
    const bCold = diff(b0, b1);
    const bWarm = diff(b1, b2);
    const name = `events.list ×${USERS} users (${LATENCY_MS} ms latency, concurrency ${CONCURRENCY})`;
    const row = (
      what: string,
      dwd: number,
      baseline: number,
      unit: string,
      target?: string,
    ): BenchResult => result(`${name}: ${what}`, dwd, baseline, unit, target);
    return [
      row(
        "Calendar API HTTP requests, cold",
        httpRequests(dCold),
        httpRequests(bCold),
        "requests",
        "<= 0.025 (40x fewer)",
      ),
      row(
        "Calendar API calls (batch parts counted), cold",
        dCold.apiRequests,
        bCold.apiRequests,
        "calls",
      ),
      row(
        "token exchanges, cold",
        dCold.tokensIssued,
        bCold.tokensIssued,
        "tokens",
        "1 (one per user)",
      ),
      row("token exchanges, tokens cached", dWarm.tokensIssued, bWarm.tokensIssued, "tokens"),
      row("wall time, cold", dwdCold, baseCold, "ms"),
      row("wall time, second run (tokens cached)", dwdSecond, baseSecond, "ms"),
      row(
        `wall time, tokens cached (median of ${WARM_RUNS}, after ${WARMUP_ROUNDS} warm-up rounds)`,
        dwdWarm,
        baseWarm,
        "ms",
        "<= 0.10 (10x less)",
      ),
      row(
        "Calendar API HTTP requests, tokens cached",
        httpRequests(dWarm),
        httpRequests(bWarm),
        "requests",
      ),
      row(
        `CLI wall time, cold (fresh process, no kept tokens; median of ${CLI_RUNS}) vs Google's client as a script (fresh process; median of ${CLI_RUNS})`,
        cliCold,
        scriptWall,
        "ms",
        "<= 0.25 (4x less)",
      ),
      row("CLI token exchanges, cold", cCold.tokensIssued, scriptStats.tokensIssued, "tokens"),
      row(
        `CLI wall time, cold (median of ${CLI_RUNS}) vs the in-process loop's cold run`,
        cliCold,
        baseCold,
        "ms",
      ),
      row(
        "CLI wall time, first run on a new machine (no kept tokens, no compile cache; one run) vs Google's client as a script",
        firstEver,
        scriptWall,
        "ms",
      ),
      row(
        `CLI wall time, second run (fresh process, tokens kept; median of ${CLI_RUNS}) vs Google's client as a script (fresh process; median of ${CLI_RUNS})`,
        cliSecond,
        scriptWall,
        "ms",
        "<= 0.10 (10x less)",
      ),
      row(
        `CLI wall time, second run (median of ${CLI_RUNS}) vs the in-process loop's cold run`,
        cliSecond,
        baseCold,
        "ms",
      ),
      row(
        `CLI wall time, second run (median of ${CLI_RUNS}) vs the in-process loop's second run (its tokens in memory)`,
        cliSecond,
        baseSecond,
        "ms",
      ),
      row(
        "CLI token exchanges, second run",
        cWarm.tokensIssued,
        scriptStats.tokensIssued,
        "tokens",
        "0",
      ),
      ...(compare === undefined
        ? []
        : [
            row(
              `CLI wall time, cold, ${compare} vs Google's client as a script`,
              median(otherColds),
              scriptWall,
              "ms",
            ),
            row(
              `CLI wall time, first run on a new machine, ${compare} vs Google's client as a script`,
              firstEverOther,
              scriptWall,
              "ms",
            ),
            row(
              `CLI token exchanges, cold, ${compare}`,
              other.coldTokens,
              bCold.tokensIssued,
              "tokens",
            ),
            row(
              `CLI wall time, second run, ${compare} vs Google's client as a script`,
              median(otherSeconds),
              scriptWall,
              "ms",
            ),
            row(`CLI token exchanges, second run, ${compare}`, other.secondTokens, 0, "tokens"),
          ]),
    ];
  } finally {
    await server.close();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  report(await eventsListBench());
}
