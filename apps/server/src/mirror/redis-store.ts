/**
 * The mirror's state in Redis, shared by every replica (ioredis, auto-pipelined: the version checks
 * of a 50-user availability query go out as one round trip).
 *
 * Layout (`U` = HMAC-SHA-256 of the email under a key derived from the cache key, 22 base64url
 * characters; no email or event appears in a key or in clear):
 * - `dwd:m:U` hash: `v` the record's version (incremented on every write), `d` the record — compact
 *   JSON (record-codec.ts), deflated, sealed with AES-256-GCM bound to the key name.
 * - `dwd:m:U:l` the user's lease (an owner ID, `PX`); released by a Lua compare, fenced writes.
 * - `dwd:m:U:p` set while a notification awaits a sync of the user.
 * - `dwd:m:c:CHANNEL` hash: `u` = U, `r` resource ID, `h` SHA-256 of the channel token, `n` the highest
 *   message number accepted; expires with the channel (`PEXPIREAT`).
 *
 * Commands fail at once while Redis is unreachable (no offline queue, no per-command retries), as
 * in the app's own Redis store; the engine then answers live and refuses notifications (Google
 * retries them; the reconcile pass repairs what was missed).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { Redis } from "ioredis";
import { limitReplyBytes } from "../_internal/redis-reply-limit.ts";
import { keyNamer } from "../_internal/record-sealer.ts";
import { recordOf, recordText } from "./record-codec.ts";
import type { MirrorLease, MirrorRecord, MirrorStore } from "./store.ts";

/** The largest reply read: one user's record (a few thousand events, deflated). */
const maxReplyBytes = 16 * 1_048_576;

// Writes the record only while the lease holds our owner value; bumps the version.
const saveScript = `
if redis.call("get", KEYS[2]) ~= ARGV[1] then return 0 end
redis.call("hset", KEYS[1], "d", ARGV[2])
return redis.call("hincrby", KEYS[1], "v", 1)`;

// Releases the lease if ours, unless a notification is pending: then renews it (sync again).
const releaseScript = `
if redis.call("get", KEYS[1]) ~= ARGV[1] then return 0 end
if redis.call("exists", KEYS[2]) == 1 then
  redis.call("pexpire", KEYS[1], ARGV[2])
  return 2
end
redis.call("del", KEYS[1])
return 1`;

// Extends the lease if ours.
const renewScript = `
if redis.call("get", KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call("pexpire", KEYS[1], ARGV[2])`;

// Accepts message ARGV[1] on a live channel when it is above the highest accepted.
const acceptScript = `
if redis.call("exists", KEYS[1]) == 0 then return 0 end
local n = tonumber(redis.call("hget", KEYS[1], "n") or "0")
if tonumber(ARGV[1]) <= n then return 0 end
redis.call("hset", KEYS[1], "n", ARGV[1])
return 1`;

/**
 * A store in Redis; names derived from `secret` (the cache key), so no email appears in a key.
 *
 * @param url `redis://host:port[/db]`
 * @param secret the cache key (DWD_CACHE_KEY, base64)
 * @returns the store
 */
export function createRedisMirrorStore(url: string, secret: string): MirrorStore {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, 500),
  });
  redis.on("error", () => undefined); // reported through failing commands
  limitReplyBytes(redis, maxReplyBytes);
  let connecting: Promise<void> | undefined;
  const ready = async (): Promise<void> => {
    if (redis.status === "wait")
      connecting ??= redis.connect().finally(() => (connecting = undefined));
    if (connecting) await connecting;
  };
  const hmac = keyNamer(secret, "mirror names");
  const names = new Map<string, string>();
  const nameOf = (subject: string): string => {
    let name = names.get(subject);
    if (name === undefined) {
      name = hmac(subject).slice(0, 22);
      if (names.size >= 100_000) names.clear();
      names.set(subject, name);
    }
    return name;
  };
  const sealKey = createHmac("sha256", Buffer.from(secret.trim(), "base64"))
    .update("dwd mirror seal v1")
    .digest();
  const seal = (key: string, plain: string): string => {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", sealKey, iv);
    cipher.setAAD(Buffer.from(key));
    const body = Buffer.concat([cipher.update(deflateRawSync(plain)), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  };
  const open = (key: string, sealed: string): string | undefined => {
    try {
      const bytes = Buffer.from(sealed, "base64");
      const decipher = createDecipheriv("aes-256-gcm", sealKey, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(key));
      decipher.setAuthTag(bytes.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
      return inflateRawSync(plain).toString("utf8");
    } catch {
      return undefined;
    }
  };
  const userKey = (subject: string): string => `dwd:m:${nameOf(subject)}`;
  const channelKey = (id: string): string => `dwd:m:c:${id}`;
  const num = (v: unknown): number => (typeof v === "number" ? v : Number(v));

  return {
    nameOf,
    async version(subject) {
      await ready();
      return Number((await redis.hget(userKey(subject), "v")) ?? 0);
    },
    async load(subject) {
      await ready();
      const key = userKey(subject);
      const [v, d] = await redis.hmget(key, "v", "d");
      if (v === null || v === undefined || d === null || d === undefined) return undefined;
      const text = open(key, d);
      const record = text === undefined ? undefined : recordOf(text);
      // A record sealed under another cache key (rotated): as if none, the next sync writes anew.
      return record && { version: Number(v), record };
    },
    async lease(subject, ttlMs) {
      await ready();
      const key = userKey(subject);
      const owner = crypto.randomUUID();
      const ttl = Math.max(1, Math.round(ttlMs));
      if ((await redis.set(`${key}:l`, owner, "PX", ttl, "NX")) !== "OK") return undefined;
      const lease: MirrorLease = {
        async save(record: MirrorRecord) {
          const version = num(
            await redis.eval(saveScript, 2, key, `${key}:l`, owner, seal(key, recordText(record))),
          );
          return version > 0 ? version : undefined;
        },
        async renew() {
          return num(await redis.eval(renewScript, 1, `${key}:l`, owner, ttl)) === 1;
        },
        async release() {
          const r = num(await redis.eval(releaseScript, 2, `${key}:l`, `${key}:p`, owner, ttl));
          return r === 1 ? "released" : r === 2 ? "pending" : "lost";
        },
      };
      return lease;
    },
    async markPending(subject) {
      await ready();
      await redis.set(`${userKey(subject)}:p`, "1");
    },
    async takePending(subject) {
      await ready();
      return (await redis.del(`${userKey(subject)}:p`)) > 0;
    },
    async hasPending(subject) {
      await ready();
      return (await redis.exists(`${userKey(subject)}:p`)) > 0;
    },
    async addChannel(subject, channel) {
      await ready();
      const key = channelKey(channel.id);
      await redis
        .multi()
        .hset(key, "u", nameOf(subject), "r", channel.resourceId, "h", channel.tokenHash)
        .pexpireat(key, Math.round(channel.expiration))
        .exec();
    },
    async removeChannel(id) {
      await ready();
      await redis.del(channelKey(id));
    },
    async channel(id) {
      await ready();
      const [u, r, h] = await redis.hmget(channelKey(id), "u", "r", "h");
      if (!u || r === null || r === undefined || !h) return undefined;
      return { owner: u, resourceId: r, tokenHash: h };
    },
    async acceptMessage(id, n) {
      await ready();
      return num(await redis.eval(acceptScript, 1, channelKey(id), String(n))) === 1;
    },
    async close() {
      redis.disconnect();
      await Promise.resolve();
    },
  };
}
