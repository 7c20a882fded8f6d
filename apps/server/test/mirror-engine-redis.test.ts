// Replicas of the mirror on one real Redis: one sync per notification whichever replica receives it,
// no notification lost while another replica holds the lease, renewal once, state kept over a restart,
// and no crash while Redis is away.
import type { ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MirrorEngine } from "../src/mirror/engine.ts";
import { createRedisMirrorStore } from "../src/mirror/redis-store.ts";
import type { MirrorStore } from "../src/mirror/store.ts";
import { CACHE_KEY } from "./helpers.ts";
import { DAY, HOUR, USERS, world } from "./mirror-harness.ts";
import type { World } from "./mirror-harness.ts";
import { freePort, startRedis, stopRedis } from "./redis.ts";

const ANA = "ana@example.com";

let server: ChildProcess;
let url: string;
let admin: Redis;
let w: World;
let stores: MirrorStore[];
let engines: MirrorEngine[];
let slot: number;

beforeAll(async () => {
  const port = await freePort();
  server = await startRedis(port);
  url = `redis://127.0.0.1:${port}`;
  admin = new Redis(url);
});

afterAll(async () => {
  admin.disconnect();
  await stopRedis(server);
});

beforeEach(async () => {
  await admin.flushall();
  w = await world();
  stores = [];
  engines = [];
  slot = Math.floor((w.clock.now + 2 * DAY) / DAY) * DAY + 10 * HOUR;
});

afterEach(async () => {
  for (const e of engines) await e.close();
  for (const s of stores) await s.close();
});

function replica(): MirrorEngine {
  const store = createRedisMirrorStore(url, CACHE_KEY);
  const engine = w.mirror(store);
  stores.push(store);
  engines.push(engine);
  return engine;
}

const week = (): [number, number] => [w.clock.now, w.clock.now + 7 * DAY];
const sum = (key: keyof MirrorEngine["counters"]): number =>
  engines.reduce((n, e) => n + e.counters[key], 0);
const incrementalLists = (): number =>
  w.calls.filter((c) => c.method === "list" && c.syncToken).length;

describe("mirror engine on Redis, two replicas", () => {
  it("starts each user once, and syncs exactly once per notification whichever replica gets it", async () => {
    const [a, b] = [replica(), replica()];
    a.start();
    b.start();
    await w.settle(a, b);
    expect(w.calls.filter((c) => c.method === "watch")).toHaveLength(3);
    expect(sum("fullSyncs")).toBe(3);
    expect(a.status().state).toBe("ready");
    expect(b.status().state).toBe("ready");

    for (let i = 0; i < 6; i++) {
      w.delivery.to = (h) => (i % 2 === 0 ? a : b).push(h);
      await w.insert(USERS[i % 3] ?? ANA, slot + i * HOUR, 30);
      await w.settle(a, b);
    }
    expect(w.delivered.filter((d) => d.outcome === "accepted")).toHaveLength(6);
    expect(incrementalLists()).toBe(6);
    expect(sum("syncs")).toBe(6);
    // Both replicas answer the change, from Redis's version of the record.
    for (const e of [a, b]) {
      const busy = (await e.read(ANA, ...week()))?.busy ?? [];
      expect(busy.some(([s]) => s === slot)).toBe(true);
      expect(busy.some(([s]) => s === slot + 3 * HOUR)).toBe(true);
    }
    // A notification replayed to the other replica is a duplicate there too.
    const last = w.delivered.at(-1)?.headers ?? {};
    expect(await a.push(last)).toBe("duplicate");
    expect(await b.push(last)).toBe("duplicate");
  });

  it("a notification that reaches a replica while the other holds the lease is not lost", async () => {
    const [a, b] = [replica(), replica()];
    a.start();
    await w.settle(a);
    b.start(); // finds every user synced and its channel live: an incremental sync each
    await w.settle(b);
    const syncs = sum("syncs");
    const bSyncs = b.counters.syncs;
    w.delivery.to = (h) => a.push(h);
    // a's sync for this change stops at Google's door while a holds the lease…
    let open = (): void => undefined;
    w.gate.hold = new Promise<void>((resolve) => (open = resolve));
    const reached = new Promise<void>((resolve) => (w.gate.reached = resolve));
    await w.insert(ANA, slot);
    await reached;
    await w.emulator.pushIdle();
    const real = w.delivered.at(-1);
    expect(real?.outcome).toBe("accepted");
    // …when the next notification reaches b, which cannot take the lease.
    const next = String(Number(real?.headers.messageNumber) + 1);
    expect(await b.push({ ...real?.headers, messageNumber: next })).toBe("accepted");
    w.gate.hold = undefined;
    open();
    await w.settle(a, b);
    expect(sum("syncs") - syncs).toBe(2); // a's own, then one more for b's notification
    expect(b.counters.syncs).toBe(bSyncs); // b synced nothing itself: a held the lease
  });

  it("renews each channel exactly once across replicas", async () => {
    const [a, b] = [replica(), replica()];
    a.start();
    b.start();
    await w.settle(a, b);
    w.clock.now += 168 * HOUR - 30 * 60_000;
    const before = w.calls.length;
    await Promise.all([a.reconcile(), b.reconcile()]);
    await Promise.all([a.reconcile(), b.reconcile()]);
    await w.settle(a, b);
    const made = w.calls.slice(before);
    expect(made.filter((c) => c.method === "watch")).toHaveLength(3);
    expect(made.filter((c) => c.method === "stop")).toHaveLength(3);
    expect(sum("channelsRenewed")).toBe(3);
  });

  it("a restart reuses the state in Redis: no new watch, no full sync", async () => {
    const a = replica();
    a.start();
    await w.settle(a);
    w.delivery.drop = true;
    await w.insert(ANA, slot); // while the replica is down
    await a.close();
    const before = w.calls.length;
    const c = replica();
    w.delivery.drop = false;
    w.delivery.to = (h) => c.push(h);
    c.start();
    await w.settle(c);
    const made = w.calls.slice(before);
    expect(made.filter((x) => x.method === "watch")).toHaveLength(0);
    expect(made.filter((x) => x.method === "list" && !x.syncToken)).toHaveLength(0);
    expect(c.counters).toMatchObject({ fullSyncs: 0, syncs: 3 });
    expect((await c.read(ANA, ...week()))?.busy.some(([s]) => s === slot)).toBe(true);
  });

  it("keeps no email or event in clear in Redis", async () => {
    const a = replica();
    a.start();
    await w.settle(a);
    await w.insert(ANA, slot);
    await w.settle(a);
    const keys = await admin.keys("*");
    expect(keys.length).toBeGreaterThanOrEqual(6); // 3 users, 3 channels
    for (const k of keys) expect(k).toMatch(/^dwd:m:(c:[0-9a-f-]{36}|[A-Za-z0-9_-]{22})$/);
    const dump = (
      await Promise.all(
        keys.map(async (k) =>
          (await admin.type(k)) === "hash" ? JSON.stringify(await admin.hgetall(k)) : "",
        ),
      )
    ).join("\n");
    expect(dump).not.toMatch(/example\.com|mirror test|dateTime/);
  });
});

describe("mirror engine while Redis is away", () => {
  it("reads go live, notifications are refused, the user is failing; nothing crashes", async () => {
    const port = await freePort(); // nothing listens there
    const store = createRedisMirrorStore(`redis://127.0.0.1:${port}`, CACHE_KEY);
    stores.push(store);
    const engine = w.mirror(store);
    engines.push(engine);
    engine.start();
    await w.settle(engine);
    expect(await engine.read(ANA, ...week())).toBeUndefined();
    expect(await engine.push({ channelId: crypto.randomUUID(), channelToken: "x" })).toBe(
      "refused",
    );
    expect(engine.status()).toMatchObject({ state: "ready", synced: 0 });
    expect(
      engine
        .status()
        .failing.map((f) => f.subject)
        .sort(),
    ).toStrictEqual([...USERS].sort());
    expect(w.calls).toHaveLength(0);
    await engine.reconcile();
  });
});
