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
 * @param options `maxReplyBytes`: the largest reply read (default 16 MiB); a record sealed larger is
 *   not saved (`sync_too_large`)
 * @returns the store
 */
export function createRedisMirrorStore(
  url: string,
  secret: string,
  options: { maxReplyBytes?: number | undefined } = {},
): MirrorStore {
  const maxReply = options.maxReplyBytes ?? maxReplyBytes;
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
  limitReplyBytes(redis, maxReply);
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
  /** A reply that cannot be Redis's (a proxy or impostor answering `+OK` to everything): fail. */
  const garbage = (command: string): Error =>
    Object.assign(new Error(`Redis's reply to ${command} is not one Redis gives`), {
      code: "store_garbage",
    });
  const num = (v: unknown, command: string): number => {
    if (typeof v === "number" && Number.isSafeInteger(v)) return v;
    throw garbage(command);
  };
  /** A version as kept (`HINCRBY`'s decimal text), 0 when none. */
  const versionOf = (v: unknown, command: string): number => {
    if (v === null || v === undefined) return 0;
    if (typeof v === "string" && /^\d{1,15}$/.test(v)) return Number(v);
    throw garbage(command);
  };
  const fields = (v: unknown, n: number, command: string): (string | null)[] => {
    if (Array.isArray(v) && v.length === n && v.every((x) => x === null || typeof x === "string"))
      return v as (string | null)[];
    throw garbage(command);
  };

  return {
    nameOf,
    async version(subject) {
      await ready();
      return versionOf(await redis.hget(userKey(subject), "v"), "HGET");
    },
    async load(subject) {
      await ready();
      const key = userKey(subject);
      const [v, d] = fields(await redis.hmget(key, "v", "d"), 2, "HMGET");
      if (v === null || v === undefined || d === null || d === undefined) return undefined;
      const version = versionOf(v, "HMGET");
      const text = open(key, d);
      const record = text === undefined ? undefined : recordOf(text);
      // A record sealed under another cache key (rotated): as if none, the next sync writes anew.
      return record && { version, record };
    },
    async lease(subject, ttlMs) {
      await ready();
      const key = userKey(subject);
      const owner = crypto.randomUUID();
      const ttl = Math.max(1, Math.round(ttlMs));
      const taken: unknown = await redis.set(`${key}:l`, owner, "PX", ttl, "NX");
      if (taken === null) return undefined;
      if (taken !== "OK") throw garbage("SET");
      const lease: MirrorLease = {
        async save(record: MirrorRecord) {
          // A record too large to be read back would cut the connection at every load (and every
          // command waiting on it, other users' too): refused here, the user fails alone.
          const sealed = seal(key, recordText(record));
          if (sealed.length > maxReply - 1024)
            throw Object.assign(
              new Error(
                `the user's mirror is ${sealed.length} bytes sealed, over the ${maxReply - 1024} a reply may carry`,
              ),
              { code: "sync_too_large" },
            );
          const version = num(
            await redis.eval(saveScript, 2, key, `${key}:l`, owner, sealed),
            "EVAL",
          );
          return version > 0 ? version : undefined;
        },
        async renew() {
          return num(await redis.eval(renewScript, 1, `${key}:l`, owner, ttl), "EVAL") === 1;
        },
        async release() {
          const r = num(
            await redis.eval(releaseScript, 2, `${key}:l`, `${key}:p`, owner, ttl),
            "EVAL",
          );
          return r === 1 ? "released" : r === 2 ? "pending" : "lost";
        },
      };
      return lease;
    },
    async markPending(subject) {
      await ready();
      if ((await redis.set(`${userKey(subject)}:p`, "1")) !== "OK") throw garbage("SET");
    },
    async takePending(subject) {
      await ready();
      return num(await redis.del(`${userKey(subject)}:p`), "DEL") > 0;
    },
    async hasPending(subject) {
      await ready();
      return num(await redis.exists(`${userKey(subject)}:p`), "EXISTS") > 0;
    },
    async addChannel(subject, channel) {
      await ready();
      const key = channelKey(channel.id);
      const done: unknown = await redis
        .multi()
        .hset(key, "u", nameOf(subject), "r", channel.resourceId, "h", channel.tokenHash)
        .pexpireat(key, Math.round(channel.expiration))
        .exec();
      if (!Array.isArray(done) || done.length !== 2 || done.some((r) => !Array.isArray(r) || r[0]))
        throw garbage("EXEC");
    },
    async removeChannel(id) {
      await ready();
      await redis.del(channelKey(id));
    },
    async channel(id) {
      await ready();
      const [u, r, h] = fields(await redis.hmget(channelKey(id), "u", "r", "h"), 3, "HMGET");
      if (!u || r === null || r === undefined || !h) return undefined;
      return { owner: u, resourceId: r, tokenHash: h };
    },
    async acceptMessage(id, n) {
      await ready();
      return num(await redis.eval(acceptScript, 1, channelKey(id), String(n)), "EVAL") === 1;
    },
    async close() {
      redis.disconnect();
      await Promise.resolve();
    },
  };
}
