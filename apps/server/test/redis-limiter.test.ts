// Budgets in Redis: two replicas' limiters share one token bucket (Redis's clock, atomic), fall back to
// their own memory while Redis is away, and share again once it is back.
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRateLimiter, createSharedRateLimiter } from "../src/limits.ts";
import type { RateMode } from "../src/limits.ts";
import { createRedisTokenStore } from "../src/redis-store.ts";
import { freePort, startRedis, stopRedis } from "./redis.ts";

describe("rate budgets shared through Redis", () => {
  let redis: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
  });
  afterAll(async () => {
    await stopRedis(redis);
  });

  it("two replicas draw on one budget; over it, Retry-After counts to the next request", async () => {
    const stores = [0, 1].map(() => createRedisTokenStore(`redis://127.0.0.1:${port}`));
    const limiters = stores.map((s) => createSharedRateLimiter(s, createRateLimiter()));
    const rate = { requests: 5, per: "minute" } as const;
    const decisions = [];
    for (let i = 0; i < 8; i++) decisions.push(await limiters[i % 2]!.take("caller:booking", rate));
    expect(decisions.filter((d) => d.ok)).toHaveLength(5);
    const refused = decisions.slice(5);
    for (const d of refused) {
      expect(d.ok).toBe(false);
      // One request comes back every 12 s at 5 a minute.
      expect(d.ok ? 0 : d.retryAfterSeconds).toBeGreaterThanOrEqual(11);
      expect(d.ok ? 0 : d.retryAfterSeconds).toBeLessThanOrEqual(12);
    }
    // Another budget is untouched.
    expect(await limiters[0]!.take("caller:other", rate)).toEqual({ ok: true });
    for (const s of stores) await s.close();
  });

  it("falls back to each replica's memory while Redis is away, and shares again once it is back", async () => {
    const modes: RateMode[] = [];
    const store = createRedisTokenStore(`redis://127.0.0.1:${port}`);
    const limiter = createSharedRateLimiter(store, createRateLimiter(), (m) => modes.push(m));
    const rate = { requests: 3, per: "hour" } as const;
    expect(await limiter.take("subject:a@example.com", rate)).toEqual({ ok: true });
    expect(limiter.mode()).toBe("redis");

    await stopRedis(redis);
    // The replica's own bucket: a full budget of its own, then refusals.
    const away = [];
    for (let i = 0; i < 4; i++) away.push(await limiter.take("subject:a@example.com", rate));
    expect(away.map((d) => d.ok)).toEqual([true, true, true, false]);
    expect(limiter.mode()).toBe("memory-fallback");

    redis = await startRedis(port);
    let back = false;
    for (let i = 0; i < 100 && !back; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await limiter.take("subject:b@example.com", rate);
      back = limiter.mode() === "redis";
    }
    expect(back).toBe(true);
    expect(modes).toEqual(["memory-fallback", "redis"]);
    await store.close();
  }, 60_000);
});
