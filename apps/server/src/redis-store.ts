/**
 * The Redis implementation of `@dwd/auth`'s `SharedTokenStore` (ioredis). Commands fail at once while
 * Redis is unreachable (no offline queue, no per-command retries), so the shared token source falls
 * back to the replica's memory cache instead of making callers wait; ioredis keeps reconnecting in
 * the background, and the source goes back to Redis when it answers.
 *
 * @module
 */

import type { SharedTokenStore } from "@dwd/auth";
import { Redis } from "ioredis";
import type { IdempotencyStore } from "./idempotency.ts";
import { limitReplyBytes } from "./_internal/redis-reply-limit.ts";
import type { RateStore } from "./limits.ts";

/** The largest Redis reply read: entries are a sealed token (a few KB) or a rate budget. */
const maxReplyBytes = 1_048_576;

// Deletes the lock only if it still holds our value (it may have expired and been taken by another).
const releaseScript =
  'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end';

// A token bucket kept in Redis, with Redis's own clock (replicas' clocks may differ). Fractions of a
// request are kept as text: numbers handed to redis.call from Lua lose them.
const takeScript = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call("HMGET", KEYS[1], "tokens", "at")
local tokens = tonumber(held[1]) or capacity
local at = tonumber(held[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / perMs) end
redis.call("HSET", KEYS[1], "tokens", tostring(tokens), "at", tostring(now))
redis.call("PEXPIRE", KEYS[1], math.ceil(capacity / perMs) + 1000)
return wait`;

/** A Redis-backed store and its connection. */
export interface RedisTokenStore extends SharedTokenStore, RateStore, IdempotencyStore {
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects to Redis (lazily: the first command connects).
 *
 * @param url `redis://host:port[/db]`
 * @returns the store
 */
export function createRedisTokenStore(url: string): RedisTokenStore {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 1000,
    // Keep trying, at most every 500 ms: the replica must notice when Redis is back.
    retryStrategy: (times) => Math.min(times * 100, 500),
  });
  redis.on("error", () => undefined); // reported through failing commands (the token source logs the switch)
  limitReplyBytes(redis, maxReplyBytes); // a reply that never ends cannot take the replica's memory
  let connecting: Promise<void> | undefined;
  const ready = async (): Promise<void> => {
    if (redis.status === "wait")
      connecting ??= redis.connect().finally(() => (connecting = undefined));
    if (connecting) await connecting;
  };
  return {
    async get(key) {
      await ready();
      return (await redis.get(key)) ?? undefined;
    },
    async set(key, value, ttlMs) {
      await ready();
      await redis.set(key, value, "PX", Math.max(1, Math.round(ttlMs)));
    },
    async delete(key) {
      await ready();
      await redis.del(key);
    },
    async claim(key, value, ttlMs) {
      await ready();
      return (await redis.set(key, value, "PX", Math.max(1, Math.round(ttlMs)), "NX")) === "OK";
    },
    async lock(key, ttlMs) {
      await ready();
      const owner = crypto.randomUUID();
      const ok = await redis.set(key, owner, "PX", Math.max(1, Math.round(ttlMs)), "NX");
      if (ok !== "OK") return undefined;
      return async () => void (await redis.eval(releaseScript, 1, key, owner));
    },
    async take(key, capacity, perMs) {
      await ready();
      const wait = await redis.eval(takeScript, 1, key, String(capacity), String(perMs));
      // The script answers an integer of milliseconds; anything else is not Redis running it (a proxy
      // or server answering +OK to everything): a failing store, so the replica counts alone.
      if (typeof wait !== "number" || !Number.isSafeInteger(wait) || wait < 0)
        throw new Error(
          `Redis answered ${JSON.stringify(wait)?.slice(0, 40) ?? String(wait)} to the rate script, not a number of milliseconds`,
        );
      return wait;
    },
    async close() {
      redis.disconnect();
      await Promise.resolve();
    },
  };
}
