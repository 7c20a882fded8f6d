// The mirror engine on a Redis that is away at start, goes away mid-sync and comes back, or answers
// garbage: no crash, no Google call on state it cannot trust, and recovery by the reconcile pass
// without a restart.
import type { ChildProcess } from "node:child_process";
import type { Server, Socket } from "node:net";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MirrorEngine } from "../src/mirror/engine.ts";
import { createRedisMirrorStore } from "../src/mirror/redis-store.ts";
import type { MirrorStore } from "../src/mirror/store.ts";
import { CACHE_KEY } from "./helpers.ts";
import { DAY, USERS, world } from "./mirror-harness.ts";
import type { World } from "./mirror-harness.ts";
import { freePort, startRedis, stopRedis } from "./redis.ts";

const ANA = "ana@example.com";

let w: World;
let stores: MirrorStore[];
let engines: MirrorEngine[];
let servers: ChildProcess[];

beforeEach(async () => {
  w = await world();
  stores = [];
  engines = [];
  servers = [];
});

afterEach(async () => {
  for (const e of engines) await e.close();
  for (const s of stores) await s.close();
  for (const s of servers) await stopRedis(s);
});

function engineOn(url: string): MirrorEngine {
  const store = createRedisMirrorStore(url, CACHE_KEY);
  const engine = w.mirror(store);
  stores.push(store);
  engines.push(engine);
  w.delivery.to = (h) => engine.push(h);
  return engine;
}

async function redisOn(port: number): Promise<ChildProcess> {
  const server = await startRedis(port);
  servers.push(server);
  return server;
}

/**
 * Runs reconcile passes until every user is synced (ioredis reconnects on its own schedule, so the
 * condition is polled, at most 100 times).
 */
async function reconcileUntilSynced(engine: MirrorEngine): Promise<number> {
  for (let pass = 1; pass <= 100; pass++) {
    await engine.reconcile();
    await w.settle(engine);
    if (engine.status().synced === USERS.length && engine.status().failing.length === 0)
      return pass;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the mirror did not recover");
}

const week = (): [number, number] => [w.clock.now, w.clock.now + 7 * DAY];

describe("mirror on a Redis that comes and goes", () => {
  it("starts with Redis down, then recovers by reconcile once Redis is up, without a restart", async () => {
    const port = await freePort();
    const engine = engineOn(`redis://127.0.0.1:${port}`);
    engine.start();
    await w.settle(engine);
    expect(engine.status()).toMatchObject({ state: "ready", synced: 0 });
    expect(engine.status().failing).toHaveLength(USERS.length);
    expect(w.calls).toHaveLength(0);
    expect(await engine.read(ANA, ...week())).toBeUndefined();

    await redisOn(port);
    await reconcileUntilSynced(engine);
    expect(engine.status()).toMatchObject({ synced: 3, channelsLive: 3, failing: [] });
    expect(await engine.read(ANA, ...week())).toMatchObject({ asOf: w.clock.now });
    // Each user watched once (no watch was made while Redis was away).
    expect(w.calls.filter((c) => c.method === "watch")).toHaveLength(3);
  });

  it("loses Redis in the middle of a sync, fails that user, and recovers when Redis is back", async () => {
    const port = await freePort();
    let server = await redisOn(port);
    const engine = engineOn(`redis://127.0.0.1:${port}`);
    let open = (): void => undefined;
    w.gate.hold = new Promise<void>((resolve) => (open = resolve));
    const reached = new Promise<void>((resolve) => (w.gate.reached = resolve));
    engine.start();
    await reached; // a full sync is listing now
    await stopRedis(server);
    servers = servers.filter((s) => s !== server);
    w.gate.hold = undefined;
    open();
    await w.settle(engine);
    expect(engine.status().synced).toBe(0);
    expect(engine.status().failing.map((f) => f.reason.split(":")[0])).toContain("store");

    server = await redisOn(port);
    await reconcileUntilSynced(engine);
    expect(await engine.read(ANA, ...week())).toMatchObject({ asOf: w.clock.now });
    // Redis came back empty (no persistence): the mirror rebuilt it, and notifications work again.
    const admin = new Redis(`redis://127.0.0.1:${port}`);
    try {
      expect((await admin.keys("dwd:m:c:*")).length).toBeGreaterThanOrEqual(3);
    } finally {
      admin.disconnect();
    }
    const slot = Math.floor((w.clock.now + 2 * DAY) / DAY) * DAY + 36_000_000;
    w.clock.now += 1000;
    await w.insert(ANA, slot);
    await w.settle(engine);
    expect(w.delivered.at(-1)?.outcome).toBe("accepted");
    expect((await engine.read(ANA, ...week()))?.busy.some(([s]) => s === slot)).toBe(true);
  });
});

describe("mirror on Redis with a user too large for a reply", () => {
  it("refuses to save that user's record (it could never be read back); the others go on", async () => {
    const port = await freePort();
    await redisOn(port);
    const store = createRedisMirrorStore(`redis://127.0.0.1:${port}`, CACHE_KEY, {
      maxReplyBytes: 6000,
    });
    stores.push(store);
    const engine = w.mirror(store);
    engines.push(engine);
    const base = Math.floor((w.clock.now + 2 * DAY) / DAY) * DAY;
    for (let i = 0; i < 300; i++) await w.insert(ANA, base + i * 3_600_000, 30);
    engine.start();
    await w.settle(engine);
    const failing = engine.status().failing;
    expect(failing.map((f) => f.subject)).toStrictEqual([ANA]);
    expect(failing[0]?.reason).toMatch(
      /^store: sync_too_large: the user's mirror is \d+ bytes sealed, over the 4976 a reply may carry$/,
    );
    expect(engine.status().synced).toBe(USERS.length - 1);
    for (const s of USERS.filter((u) => u !== ANA))
      expect(await engine.read(s, ...week())).toMatchObject({ asOf: w.clock.now });
    expect(await engine.read(ANA, ...week())).toBeUndefined();
  });
});

/** A RESP server answering every command with `reply` (a proxy or impostor that lies). */
async function lyingRedis(reply: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("data", (d: Buffer) => {
      // One reply per command (each command is a RESP array: count its `*N` headers).
      const commands = d.toString("latin1").match(/(^|\r\n)\*\d+\r\n/g)?.length ?? 0;
      for (let i = 0; i < commands; i++) socket.write(reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("mirror on a Redis that answers garbage", () => {
  for (const [name, reply] of [
    ["+OK to everything", "+OK\r\n"],
    ["the integer 1 to everything", ":1\r\n"],
    ["a bulk string to everything", "$3\r\nabc\r\n"],
  ] as const)
    it(`trusts nothing from a Redis answering ${name}: no Google call, users failing, reads live`, async () => {
      const fake = await lyingRedis(reply);
      try {
        const engine = engineOn(`redis://127.0.0.1:${fake.port}`);
        engine.start();
        await w.settle(engine);
        await engine.reconcile();
        expect(w.calls.filter((c) => c.method !== "other")).toStrictEqual([]);
        expect(engine.status()).toMatchObject({ state: "ready", synced: 0, channelsLive: 0 });
        const reasons = engine.status().failing.map((f) => f.reason);
        expect(reasons).toHaveLength(USERS.length);
        for (const r of reasons)
          expect(r).toMatch(/^store: store_garbage: Redis's reply to \w+ is not one Redis gives$/);
        expect(await engine.read(ANA, ...week())).toBeUndefined();
        expect(
          await engine.push({
            channelId: crypto.randomUUID(),
            channelToken: "x",
            resourceId: "r",
            resourceState: "exists",
            messageNumber: "1",
          }),
        ).toBe("refused");
      } finally {
        await fake.close();
      }
    });
});

describe("mirror on Redis under a flood of forged notifications", () => {
  it("keeps no state per forged channel ID", async () => {
    const port = await freePort();
    await redisOn(port);
    const engine = engineOn(`redis://127.0.0.1:${port}`);
    engine.start();
    await w.settle(engine);
    const admin = new Redis(`redis://127.0.0.1:${port}`);
    try {
      const keys = (await admin.keys("*")).sort();
      const memory = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);
      for (let i = 0; i < 2000; i++)
        expect(
          await engine.push({
            channelId: crypto.randomUUID(),
            channelToken: `t${i}`,
            resourceState: "exists",
            messageNumber: String(i + 1),
          }),
        ).toBe("refused");
      expect((await admin.keys("*")).sort()).toStrictEqual(keys);
      expect(Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1])).toBeLessThan(
        memory + 64 * 1024,
      );
      expect(engine.counters.notificationsRefused).toBe(2000);
    } finally {
      admin.disconnect();
    }
  });
});
