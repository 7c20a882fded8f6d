// dwd-server's availability mirror (issue 15), against the emulator in its own process posting push
// notifications to the bundled server on loopback; every count is taken at the emulator
// (/_emulator/stats) or from the server's /metrics, in this one run:
//   a. a week's availability for 50 mirrored users: Calendar calls and token exchanges per query, the
//      server's p50 (its audit line's durationMs), and the mirror vs the live path (fresh=true) with
//      50 ms added upstream latency, pair by pair
//   b. freshness: 100 changes made as the user through Google's API, each timed from the change to the
//      first availability answer that shows it
//   c. 3 replicas + Redis behind a round-robin push address: notifications → incremental syncs, one
//      replica killed mid-run, changes lost
//   d. 30 % of notifications dropped: every change shows within the reconcile interval + 2 s (its
//      changes are made before c, and it waits for reconcile passes while c runs)
//   e. 1,000 mirrored users: start-up at the configured pace, Redis memory per user and per busy
//      interval, server RSS
// Numbers inform; the process fails only when the mirror cannot be measured at all.
//
// Opt-in knobs: MIRROR_CHANGES (b, default 100), MIRROR_SCALE_USERS (e, default 1000),
// MIRROR_SCALE_RATE (e's callsPerSecond, default 200), BENCH_SERVER_BUNDLE, BENCH_MIRROR_ONLY=9a (a
// alone: the availability numbers, without b … e).
import { execFileSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createTokenSource, loadKey } from "@dwd/auth";
import { freePort, startRedis, stopRedis } from "../apps/server/test/redis.ts";
import { startRoundRobin } from "../apps/server/test/round-robin.ts";
import { delegationOver, startEmulatorProcess } from "./emulator-process.ts";
import { paired } from "./paired.ts";
import { report, result, say, table } from "./report.ts";
import { scenarioWith, startServerProcess } from "./server-process.ts";
import { median, quantile } from "./stats.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const bundle =
  process.env.BENCH_SERVER_BUNDLE ?? join(here, "..", "apps", "server", "dist", "dwd-server.js");
const CHANGES = Number(process.env.MIRROR_CHANGES ?? 100);
const SCALE_USERS = Number(process.env.MIRROR_SCALE_USERS ?? 1000);
const SCALE_RATE = Number(process.env.MIRROR_SCALE_RATE ?? 200);
/** The reconcile interval of the dropped-notification part, in minutes (fractions allowed). */
const RECONCILE_MINUTES = Number(process.env.MIRROR_RECONCILE_MINUTES ?? 0.25);
const ONLY = process.env.BENCH_MIRROR_ONLY;
if (ONLY !== undefined && ONLY !== "9a")
  throw new Error(`BENCH_MIRROR_ONLY must be 9a (or unset), got "${ONLY}"`);
const CAL = "https://www.googleapis.com/auth/calendar";
const RO = "https://www.googleapis.com/auth/calendar.readonly";
const TOKEN = "bench-mirror-caller-token";
const CACHE_KEY = "Zk3pW9qR2tV7yB4nM8cX1sL6hJ0gF5dA3eK9uT2oP7I="; // 32 bytes, base64: a bench-only key
const DAY = 86_400_000;
const HOUR = 3_600_000;
const tomorrow = Math.floor(Date.now() / DAY) * DAY + DAY;
const iso = (ms: number): string => new Date(ms).toISOString();
const named = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, "0")}@example.com`);

const week = named("week", 50);
const fresh = named("fresh", 20);
const dropped = named("dropped", 20);
const replicated = named("replica", 10);
const scale = named("scale", SCALE_USERS);
/** Busy intervals each scale user has: i % 10, so memory can be fitted per interval. */
const scaleEvents = (i: number): number => i % 10;

// Week users: a lunch every weekday-ish (days 1…7, 12:00–12:30 UTC); scale users: i % 10 early
// meetings (07:00–07:30 UTC on days 1…); the others start empty.
const scenario = scenarioWith([...week, ...fresh, ...dropped, ...replicated, ...scale]) as {
  events?: object[];
};
scenario.events = [
  ...(scenario.events ?? []),
  ...week.flatMap((calendar) =>
    Array.from({ length: 7 }, (_, d) => ({
      calendar,
      summary: "Lunch",
      start: iso(tomorrow + d * DAY + 12 * HOUR),
      end: iso(tomorrow + d * DAY + 12.5 * HOUR),
    })),
  ),
  ...scale.flatMap((calendar, i) =>
    Array.from({ length: scaleEvents(i) }, (_, d) => ({
      calendar,
      summary: "Early",
      start: iso(tomorrow + d * DAY + 7 * HOUR),
      end: iso(tomorrow + d * DAY + 7.5 * HOUR),
    })),
  ),
];

const sha = async (t: string): Promise<string> =>
  Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(t))).toString("hex");
const dir = mkdtempSync(join(tmpdir(), "dwd-bench-mirror-"));
const emulator = await startEmulatorProcess(scenario, ["--push-allow", "loopback"]);
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
process.env.DWD_CACHE_KEY = CACHE_KEY; // the replicas' shared cache key (Redis)

interface Stats {
  calendarRequests: number;
  tokenRequests: number;
  pushDeliveries: number;
  pushDropped?: number;
  byEndpoint: Record<string, number>;
}
const stats = async (): Promise<Stats> =>
  (await (await emulator.control("/stats")).json()) as Stats;
const setFaults = async (faults: object): Promise<void> => {
  const r = await emulator.control("/faults", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(faults),
  });
  if (!r.ok) throw new Error(`PUT /_emulator/faults answered ${r.status}: ${await r.text()}`);
};

/** A mirroring server from a configuration file (audit lines to `audit`), ready when its mirror is. */
async function startMirror(options: {
  users: readonly string[];
  cache?: string;
  pushBase?: string;
  reconcileMinutes?: number;
  callsPerSecond?: number;
}): Promise<{ url: string; child: ChildProcess; audit: string; startupMs: number }> {
  const port = await freePort();
  const name = Math.random().toString(36).slice(2);
  const audit = join(dir, `audit-${name}.log`);
  const configFile = join(dir, `config-${name}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      listen: { host: "127.0.0.1", port: options.pushBase === undefined ? port : 0 },
      delegation: delegationOver(emulator),
      callers: [
        {
          name: "bench",
          tokenSha256: await sha(TOKEN),
          subjects: ["*@example.com"],
          operations: ["availability", "freebusy"],
          scopes: [RO, CAL],
          rate: { requests: 1_000_000, per: "minute" },
        },
      ],
      cache: options.cache ?? "memory",
      audit: { file: audit },
      limits: { bodyBytes: 65_536, subjectConcurrency: 64, subjectQueue: 1024 },
      mirror: {
        users: options.users,
        pushUrl: `${options.pushBase ?? `http://127.0.0.1:${port}`}/v1/push`,
        callsPerSecond: options.callsPerSecond ?? 200,
        ...(options.reconcileMinutes !== undefined
          ? { reconcileMinutes: options.reconcileMinutes }
          : {}),
      },
    }),
  );
  const t0 = performance.now();
  const { url, child } = await startServerProcess(bundle, {
    emulatorUrl: emulator.url,
    keyFile: emulator.keyFile("calendar-bot"),
    configFile,
  });
  for (;;) {
    const r = await fetch(`${url}/readyz`).catch(() => undefined);
    const body = r?.ok === true ? ((await r.json()) as { mirror?: { state?: string } }) : {};
    if (body.mirror?.state === "ready") break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { url, child, audit, startupMs: performance.now() - t0 };
}

const stop = async (child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
};

/** An availability question: `subjects`, days [1, 1 + days), 30-minute slots in UTC working hours. */
const question = (subjects: readonly string[], days: number, extra: object = {}): string =>
  JSON.stringify({
    subjects,
    timeMin: iso(tomorrow),
    timeMax: iso(tomorrow + days * DAY),
    durationMinutes: 30,
    stepMinutes: 30,
    timeZone: "UTC",
    workingHours: { start: "09:00", end: "17:00", days: [1, 2, 3, 4, 5, 6, 7] },
    maxSlots: Math.min(1000, Math.floor(5000 / subjects.length)),
    ...extra,
  });

/** The answer to an availability question (throws unless 200). */
async function ask(url: string, body: string): Promise<{ slots: { start: string }[] }> {
  const r = await fetch(`${url}/v1/availability`, { method: "POST", headers, body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`availability answered ${r.status}: ${text}`);
  return JSON.parse(text) as { slots: { start: string }[] };
}

/** The `n`th change slot of a user: one hour on day 1 + ⌊n / 8⌋ from 09:00 UTC. */
const changeSlot = (n: number): number => tomorrow + Math.floor(n / 8) * DAY + (9 + (n % 8)) * HOUR;
/** True when `subject`'s availability no longer offers the slot starting at `start`. */
const shows = async (url: string, subject: string, start: number): Promise<boolean> => {
  const day = Math.floor((start - tomorrow) / DAY);
  const body = JSON.stringify({
    ...(JSON.parse(question([subject], day + 1)) as object),
    timeMin: iso(tomorrow + day * DAY),
  });
  return !(await ask(url, body)).slots.some((s) => Date.parse(s.start) === start);
};

/** A user's hand on their own calendar: inserts an hour-long event at `start` through Google's API. */
const tokens = createTokenSource(await loadKey(emulator.keyFile("calendar-bot")));
async function insertAs(subject: string, start: number): Promise<void> {
  const { accessToken } = await tokens.getToken({ subject, scopes: [CAL] });
  const r = await fetch(`${emulator.url}/calendar/v3/calendars/primary/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      summary: "change",
      start: { dateTime: iso(start) },
      end: { dateTime: iso(start + HOUR) },
    }),
  });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`events.insert as ${subject} answered ${r.status}`);
}
/** Polls until every `pending` change shows; the ms from each change to the first answer showing it. */
async function untilShown(
  url: string,
  pending: { subject: string; start: number; at: number }[],
  pauseMs = 5,
): Promise<number[]> {
  const delays: number[] = [];
  let left = [...pending];
  while (left.length > 0) {
    const still: typeof left = [];
    for (const c of left) {
      if (await shows(url, c.subject, c.start)) delays.push(performance.now() - c.at);
      else still.push(c);
    }
    left = still;
    if (left.length > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return delays;
}

const durations = (audit: string, from: number, operation = "availability"): number[] =>
  readFileSync(audit, "utf8")
    .split("\n")
    .slice(from)
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { operation?: string; durationMs?: number })
    .filter((a) => a.operation === operation && typeof a.durationMs === "number")
    .map((a) => a.durationMs!);
const lines = (file: string): number => readFileSync(file, "utf8").split("\n").length - 1;

/** The server's resident memory in MiB, from its /metrics. */
const rssOf = async (url: string): Promise<number> => {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\S+)$/m.exec(metrics)?.[1]) / 2 ** 20;
};
const measured = { mainRss: Number.NaN }; // set in a + b, read in e

sections: try {
  // a + b: one server mirroring the week users and the freshness users.
  const main = await startMirror({ users: [...week, ...fresh] });
  try {
    const weekQuestion = question(week, 7);
    const liveQuestion = question(week, 7, { fresh: true });
    // 200 untimed queries first, as the server's other rows warm up: the p50 is the steady state's,
    // not the JIT's first minutes.
    const WARM_UP = 200;
    for (let i = 0; i < WARM_UP; i++) await ask(main.url, weekQuestion);
    const QUERIES = 200;
    const before = await stats();
    const auditFrom = lines(main.audit);
    const walls: number[] = [];
    for (let i = 0; i < QUERIES; i++) {
      const t0 = performance.now();
      await ask(main.url, weekQuestion);
      walls.push(performance.now() - t0);
    }
    const after = await stats();
    const serverMs = durations(main.audit, auditFrom);
    const callsPerQuery = (after.calendarRequests - before.calendarRequests) / QUERIES;
    const exchangesPerQuery = (after.tokenRequests - before.tokenRequests) / QUERIES;
    // The same users and week through /v1/freebusy (no slot search): the mirror's reads alone.
    const freeBusyFrom = lines(main.audit);
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${main.url}/v1/freebusy`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          subjects: week,
          timeMin: iso(tomorrow),
          timeMax: iso(tomorrow + 7 * DAY),
        }),
      });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`freebusy answered ${r.status}`);
    }
    const freeBusyMs = durations(main.audit, freeBusyFrom, "freebusy");
    // The live path for the same question (fresh=true), counted the same way.
    const LIVE = 20;
    const liveBefore = await stats();
    for (let i = 0; i < LIVE; i++) await ask(main.url, liveQuestion);
    const liveAfter = await stats();
    const liveCalls = (liveAfter.calendarRequests - liveBefore.calendarRequests) / LIVE;
    const liveExchanges = (liveAfter.tokenRequests - liveBefore.tokenRequests) / LIVE;
    await setFaults({ latencyMs: 50 });
    const timed = (body: string) => async (): Promise<number> => {
      const t0 = performance.now();
      await ask(main.url, body);
      return performance.now() - t0;
    };
    const pairedFrom = lines(main.audit);
    const vsLive = await paired(timed(weekQuestion), timed(liveQuestion), 15);
    await setFaults({});
    // The audit lines, in paired()'s order: a warm-up each (mirror, live), then pair i mirror first
    // when i is even, live first when odd.
    const pairedMs = durations(main.audit, pairedFrom);
    const liveServerMs = [pairedMs[1]!];
    for (let i = 0; i < vsLive.pairs; i++)
      liveServerMs.push(pairedMs[2 + 2 * i + (i % 2 === 0 ? 1 : 0)]!);
    say(
      `\n9a. Availability over a week for ${week.length} mirrored users, ${QUERIES} queries after ${WARM_UP} untimed ones (counted at the emulator); the live path (fresh=true) ${LIVE} queries; then mirror vs live with 50 ms upstream latency, ${vsLive.pairs} pairs`,
    );
    table([
      {
        path: "mirror",
        "Calendar calls / query": callsPerQuery,
        "token exchanges / query": exchangesPerQuery,
        "server p50 (audit)": `${median(serverMs).toFixed(2)} ms`,
        "freebusy server p50": `${median(freeBusyMs).toFixed(2)} ms`,
        "client p50, no latency": `${median(walls).toFixed(2)} ms`,
        "client p50, 50 ms latency": `${vsLive.a.toFixed(1)} ms`,
      },
      {
        path: "live (fresh=true)",
        "Calendar calls / query": liveCalls,
        "token exchanges / query": liveExchanges,
        "server p50 (audit)": `${median(liveServerMs).toFixed(2)} ms`,
        "client p50, 50 ms latency": `${vsLive.b.toFixed(1)} ms`,
      },
    ]);
    report([
      result(
        "mirror: Calendar calls per availability query (50 users × 1 week), vs the live path",
        callsPerQuery,
        liveCalls,
        "calls",
        "0 calls",
      ),
      result(
        "mirror: token exchanges per availability query (50 users × 1 week), vs the live path",
        exchangesPerQuery,
        liveExchanges,
        "exchanges",
        "0 exchanges",
      ),
      result(
        "mirror: server time p50 of an availability query, 50 users × 1 week (audit durationMs; dwd column) vs the target 1 ms (baseline column)",
        median(serverMs),
        1,
        "ms",
        "<= 1",
      ),
      {
        ...result(
          "mirror vs live (fresh=true) availability, 50 users × 1 week, 50 ms upstream latency, pair by pair",
          vsLive.a,
          vsLive.b,
          "ms",
          "<= 0.05",
        ),
        ratio: vsLive.ratio,
      },
    ]);

    if (ONLY === "9a") break sections; // main's server is stopped on the way out

    // b: each change made as the user, then availability asked until it shows.
    const delays: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      const subject = fresh[i % fresh.length]!;
      const start = changeSlot(Math.floor(i / fresh.length));
      const at = performance.now();
      await insertAs(subject, start);
      delays.push(...(await untilShown(main.url, [{ subject, start, at }])));
    }
    say(
      `\n9b. Freshness: ${CHANGES} changes made as the user through the API, change → first answer showing it`,
    );
    table([
      {
        p50: `${median(delays).toFixed(0)} ms`,
        p99: `${quantile(delays, 0.99).toFixed(0)} ms`,
        max: `${Math.max(...delays).toFixed(0)} ms`,
      },
    ]);
    report([
      result(
        `mirror freshness p99 over ${CHANGES} changes, vs 2 s`,
        quantile(delays, 0.99),
        2000,
        "ms",
        "<= 1 (2 s)",
      ),
    ]);
    measured.mainRss = await rssOf(main.url);
  } finally {
    await stop(main.child);
  }

  // d (started before c, awaited after it): 30 % of notifications dropped; the reconcile pass repairs
  // the rest. The changes are made and their notifications sent (or dropped) first; the drop is then
  // switched off for c, and the waiting for reconcile passes runs alongside c, polling gently.
  const droppedServer = await startMirror({ users: dropped, reconcileMinutes: RECONCILE_MINUTES });
  let droppedShown: Promise<number[]> | undefined;
  try {
    await setFaults({ pushDropRate: 0.3, seed: 7 });
    const before = await stats();
    const pending: { subject: string; start: number; at: number }[] = [];
    // One change a user: no later notification of the same user can stand in for a dropped one.
    for (let i = 0; i < dropped.length; i++) {
      const subject = dropped[i]!;
      const start = changeSlot(0);
      const at = performance.now();
      await insertAs(subject, start);
      pending.push({ subject, start, at });
    }
    await emulator.control("/push/flush", { method: "POST" });
    const after = await stats();
    await setFaults({});
    const lost = (after.pushDropped ?? Number.NaN) - (before.pushDropped ?? Number.NaN);
    droppedShown = untilShown(droppedServer.url, pending, 100);
    // Handled where made: awaited after c, and a failure there is reported there.
    droppedShown.catch(() => undefined);
    // c: three replicas on one Redis behind a round-robin push address; one killed mid-run.
    {
      const redisPort = await freePort();
      const redis = await startRedis(redisPort);
      let live: { url: string; child: ChildProcess }[] = [];
      const proxy = await startRoundRobin(() => live.map((r) => r.url));
      try {
        live = await Promise.all(
          [0, 1, 2].map(() =>
            startMirror({
              users: replicated,
              cache: `redis://127.0.0.1:${redisPort}`,
              pushBase: proxy.url,
            }),
          ),
        );
        const changes = 30;
        const before = await stats();
        const pushesBefore = proxy.pushes.length;
        let shown = 0;
        for (let i = 0; i < changes; i++) {
          if (i === changes / 2) {
            const victim = live[1]!;
            live = live.filter((r) => r !== victim);
            await stop(victim.child, "SIGKILL");
          }
          const subject = replicated[i % replicated.length]!;
          const start = changeSlot(Math.floor(i / replicated.length));
          const at = performance.now();
          await insertAs(subject, start);
          shown += (await untilShown(proxy.url, [{ subject, start, at }])).length;
        }
        // Every sync has landed once each change shows; the list calls since are the incremental syncs.
        const after = await stats();
        const syncs =
          (after.byEndpoint["calendar.events.list"] ?? 0) -
          (before.byEndpoint["calendar.events.list"] ?? 0);
        const notifications = proxy.pushes
          .slice(pushesBefore)
          .filter((p) => p.resourceState === "exists").length;
        say(
          `\n9c. 3 replicas + Redis behind a round-robin push address, ${changes} changes, one replica killed after ${changes / 2}`,
        );
        table([
          {
            notifications,
            "incremental syncs (events.list at the emulator)": syncs,
            "changes shown": `${shown} of ${changes}`,
          },
        ]);
        report([
          result(
            "mirror, 3 replicas + Redis: incremental syncs per notification",
            syncs,
            notifications,
            "syncs",
            "exactly 1",
          ),
          result(
            "mirror, 3 replicas + Redis, one killed mid-run: changes shown of changes made",
            shown,
            changes,
            "changes",
            "exactly 1",
          ),
        ]);
      } finally {
        for (const r of live) await stop(r.child);
        await proxy.close();
        await stopRedis(redis);
      }
    }

    const delays = await droppedShown;
    const limit = RECONCILE_MINUTES * 60_000 + 2000;
    say(
      `\n9d. ${pending.length} changes with 30 % of notifications dropped (${lost} dropped at the emulator), reconcile every ${RECONCILE_MINUTES} min`,
    );
    table([
      {
        shown: `${delays.length} of ${pending.length}`,
        p50: `${median(delays).toFixed(0)} ms`,
        max: `${Math.max(...delays).toFixed(0)} ms`,
        limit: `${limit} ms`,
      },
    ]);
    report([
      result(
        "mirror, 30 % of notifications dropped: the slowest change to show, vs reconcile interval + 2 s",
        Math.max(...delays),
        limit,
        "ms",
        "<= 1",
      ),
    ]);
  } finally {
    await stop(droppedServer.child);
  }

  // e: 1,000 mirrored users on Redis: start-up at the configured pace, memory.
  {
    const redisPort = await freePort();
    const redis = await startRedis(redisPort);
    const cli = (...args: string[]): string =>
      execFileSync("redis-cli", ["-p", String(redisPort), ...args], { encoding: "utf8" });
    const usedMemory = (): number => Number(/used_memory:(\d+)/.exec(cli("INFO", "memory"))?.[1]);
    try {
      const empty = usedMemory();
      const before = await stats();
      const server = await startMirror({
        users: scale,
        cache: `redis://127.0.0.1:${redisPort}`,
        callsPerSecond: SCALE_RATE,
      });
      try {
        const after = await stats();
        const calls = after.calendarRequests - before.calendarRequests;
        const perUser = (usedMemory() - empty) / scale.length;
        // Each user's record is one key, `dwd:m:U` (U an HMAC of the email: keys cannot be tied to
        // users). Users have 0…9 busy intervals, 1 in 10 each; record sizes and interval counts are
        // matched by rank (more intervals, larger record) and fitted by least squares.
        const records = cli("--scan", "--pattern", "dwd:m:*")
          .split("\n")
          .filter((k) => /^dwd:m:[A-Za-z0-9_-]{22}$/.test(k));
        const sizes = execFileSync("redis-cli", ["-p", String(redisPort)], {
          encoding: "utf8",
          input: records.map((k) => `MEMORY USAGE ${k}\n`).join(""),
        })
          .split("\n")
          .filter((l) => l !== "")
          .map(Number)
          .sort((a, b) => a - b);
        const xs = scale.map((_, i) => scaleEvents(i)).sort((a, b) => a - b);
        const ys = sizes;
        const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
        const my = ys.reduce((a, b) => a + b, 0) / ys.length;
        // NaN when the records are not one a user (nothing to match).
        const slope =
          ys.length !== xs.length
            ? Number.NaN
            : xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) /
              xs.reduce((a, x) => a + (x - mx) ** 2, 0);
        const rss = await rssOf(server.url);
        say(`\n9e. ${scale.length} mirrored users on Redis, ${SCALE_RATE} Google calls/s`);
        table([
          {
            "start-up": `${(server.startupMs / 1000).toFixed(1)} s`,
            "Google calls": calls,
            "at the pace": `${(calls / SCALE_RATE).toFixed(1)} s`,
            "Redis / user": `${perUser.toFixed(0)} B`,
            "Redis / busy interval": `${slope.toFixed(0)} B`,
            "user records": records.length,
            "record p50": `${median(sizes)} B`,
            "server RSS": `${rss.toFixed(0)} MiB`,
          },
        ]);
        report([
          result(
            `mirror start-up of ${scale.length} users at ${SCALE_RATE} calls/s, vs the pace alone`,
            server.startupMs / 1000,
            calls / SCALE_RATE,
            "s",
          ),
          result(
            "mirror: Redis memory per user (INFO used_memory; dwd column) vs the user's sealed record alone (MEMORY USAGE p50; baseline column)",
            perUser,
            median(sizes),
            "bytes",
          ),
          result(
            "mirror: Redis memory per busy interval (fitted; dwd column) vs per user (baseline column)",
            slope,
            perUser,
            "bytes",
          ),
          result(
            `mirror: server RSS with ${scale.length} users on Redis (dwd column) vs with ${week.length + fresh.length} users in memory (baseline column)`,
            rss,
            measured.mainRss,
            "MiB",
          ),
        ]);
      } finally {
        await stop(server.child);
      }
    } finally {
      await stopRedis(redis);
    }
  }
} finally {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
}
