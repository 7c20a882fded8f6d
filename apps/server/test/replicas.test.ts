// Three replicas of the bundled server on loopback, one emulator, one real redis-server: the token cache
// is shared (one exchange per subject in total), survives Redis going away (no failed request), and is
// shared again once Redis is back.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoScenario } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_KEY, expectNoSecrets, seen } from "./helpers.ts";
import { freePort, startRedis, stopRedis } from "./redis.ts";
import type { RunningServer } from "./spawn.ts";
import { call, startServer, waitFor } from "./spawn.ts";

const BOOKING = "demo-booking-token";
// 0–199 carry the load; 200–399 are probes, each used once, so a probe never warms a subject a later
// count depends on (however many tries waitFor takes).
const users = Array.from(
  { length: 400 },
  (_, i) => `user${String(i).padStart(3, "0")}@example.com`,
);

/** Sends `count` calendar-list reads, subject i % subjects.length, round robin over the replicas, 24 at a time. */
async function load(
  replicas: RunningServer[],
  subjects: string[],
  count: number,
): Promise<number[]> {
  const statuses: number[] = new Array<number>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 24 }, async () => {
      for (let i = next++; i < count; i = next++) {
        const subject = subjects[i % subjects.length]!;
        const r = await call(
          `${replicas[i % replicas.length]!.url}/v1/users/${subject}/calendarList/primary`,
          { token: BOOKING },
        );
        statuses[i] = r.status;
      }
    }),
  );
  return statuses;
}

describe("three replicas behind one Redis", () => {
  let emulator: RunningEmulator;
  let redis: ChildProcess;
  let redisPort: number;
  let replicas: RunningServer[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "dwd-replicas-"));

  /** `count` bundled servers on the emulator and Redis, the demo booking app at `rate` a minute. */
  const startReplicas = (count: number, rate: number): Promise<RunningServer[]> =>
    Promise.all(
      Array.from({ length: count }, () =>
        startServer(
          "node",
          [
            "--emulator-url",
            emulator.url,
            "--key",
            emulator.keyFiles["calendar-bot"]!.json,
            "--cache",
            `redis://127.0.0.1:${redisPort}`,
            "--port",
            "0",
            "--demo-rate",
            String(rate),
          ],
          { DWD_CACHE_KEY: CACHE_KEY },
        ),
      ),
    );

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    emulator = await startEmulator({
      keysDir: tmp,
      scenario: {
        ...demoScenario,
        users: [...demoScenario.users, ...users.map((email) => ({ email }))],
      },
    });
    replicas = await startReplicas(3, 1_000_000);
    for (const r of replicas)
      await waitFor(async () => (await call(`${r.url}/readyz`)).status === 200);
  });

  afterAll(async () => {
    for (const r of replicas) expect(await r.stop("SIGTERM")).toBe(0);
    await stopRedis(redis);
    await emulator.close();
    rmSync(tmp, { recursive: true, force: true });
    expectNoSecrets(seen);
  });

  it("1,000 requests over 100 subjects across 3 replicas make exactly 100 token exchanges", async () => {
    for (const r of replicas) expect((await call(`${r.url}/readyz`)).body.cache).toBe("redis");
    const before = emulator.emulator.stats.tokensIssued;
    const statuses = await load(replicas, users.slice(0, 100), 1000);
    expect(statuses.filter((s) => s !== 200)).toStrictEqual([]);
    expect(emulator.emulator.stats.tokensIssued - before).toBe(100);
    const metrics = await Promise.all(
      replicas.map(async (r) => (await call(`${r.url}/metrics`)).text),
    );
    const exchanges = metrics.map((m) => Number(/^dwd_token_exchanges_total (\d+)$/m.exec(m)?.[1]));
    // Each replica counts its own; together they are the emulator's 100 plus the start-up checks.
    expect(exchanges.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(100);
    for (const m of metrics) expect(m).toMatch(/^dwd_token_cache_shared 1$/m);
  });

  it("Redis stopped mid-run: no request fails, each replica says it fell back; Redis back: sharing resumes", async () => {
    const subjects = users.slice(100, 150);
    const first = load(replicas, subjects, 300);
    await stopRedis(redis);
    const statuses = [...(await first), ...(await load(replicas, subjects, 300))];
    expect(statuses.filter((s) => s !== 200)).toStrictEqual([]);
    for (const r of replicas) {
      await call(`${r.url}/v1/users/${users[199]}/calendarList/primary`, { token: BOOKING }); // a miss makes it try Redis
      const ready = await call(`${r.url}/readyz`);
      expect(ready.body.cache).toBe(
        "memory fallback: Redis is unreachable, this replica mints its own tokens",
      );
      expect((await call(`${r.url}/metrics`)).text).toMatch(/^dwd_token_cache_fallback 1$/m);
      expect(
        r.stderr.some((l) =>
          l.includes("token cache: Redis unreachable, using this replica's memory cache"),
        ),
      ).toBe(true);
    }

    redis = await startRedis(redisPort);
    // Each replica goes back to Redis on its next cache miss after it reconnects.
    let probe = 0;
    for (const r of replicas) {
      await waitFor(async () => {
        await call(`${r.url}/v1/users/${users[200 + probe++]}/calendarList/primary`, {
          token: BOOKING,
        });
        return (await call(`${r.url}/readyz`)).body.cache === "redis";
      });
      expect(
        r.stderr.some((l) => l.includes("token cache: Redis is back, sharing tokens again")),
      ).toBe(true);
    }
    const before = emulator.emulator.stats.tokensIssued;
    const fresh = users.slice(150, 170);
    const again = await load(replicas, fresh, 120);
    expect(again.filter((s) => s !== 200)).toStrictEqual([]);
    expect(emulator.emulator.stats.tokensIssued - before).toBe(20);
    for (const r of replicas) {
      const ready = await call(`${r.url}/readyz`);
      expect(ready.body.budgets).toBe("redis");
    }
  });

  it("a caller's rate is one budget across replicas: 6 a minute on two replicas lets 6 of 10 through", async () => {
    const limited = await startReplicas(2, 6);
    try {
      for (const r of limited)
        await waitFor(async () => (await call(`${r.url}/readyz`)).status === 200);
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await call(`${limited[i % 2]!.url}/v1/users/${users[i]}/calendarList/primary`, {
          token: BOOKING,
        });
        statuses.push(r.status);
        if (r.status === 429) expect(r.body.code).toBe("rate_limited");
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(6);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
      for (const r of limited)
        expect((await call(`${r.url}/metrics`)).text).toMatch(/^dwd_rate_budgets_shared 1$/m);
    } finally {
      await Promise.all(limited.map((r) => r.stop()));
    }
  });
});
