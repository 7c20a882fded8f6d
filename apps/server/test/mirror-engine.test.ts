import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { busyOf } from "../src/mirror/busy.ts";
import { createMirror } from "../src/mirror/engine.ts";
import type { MirrorEngine } from "../src/mirror/engine.ts";
import { createPacer } from "../src/mirror/pace.ts";
import { createMemoryMirrorStore } from "../src/mirror/store.ts";
import type { MirrorStore } from "../src/mirror/store.ts";
import type { PushHeaders } from "../src/mirror/types.ts";
import { DAY, HOUR, mirrorConfig, USERS, world } from "./mirror-harness.ts";
import type { World } from "./mirror-harness.ts";

const ANA = "ana@example.com";

let w: World;
let store: MirrorStore;
let mirror: MirrorEngine;
/** A weekday 10:00 UTC, two days ahead of the clock. */
let slot: number;

beforeEach(async () => {
  w = await world();
  store = createMemoryMirrorStore(() => w.clock.now);
  mirror = w.mirror(store);
  w.delivery.to = (h) => mirror.push(h);
  slot = Math.floor((w.clock.now + 2 * DAY) / DAY) * DAY + 10 * HOUR;
  mirror.start();
  await w.settle(mirror);
});

afterEach(async () => {
  await mirror.close();
});

const week = (): [number, number] => [w.clock.now, w.clock.now + 7 * DAY];
const lists = (subject: string, incremental: boolean): number =>
  w.calls.filter((c) => c.method === "list" && c.subject === subject && c.syncToken === incremental)
    .length;
/** The last notification delivered for one of `subject`'s changes. */
const lastChange = (): PushHeaders => {
  const found = w.delivered.filter((d) => d.headers.resourceState === "exists").at(-1);
  if (found === undefined) throw new Error("no notification delivered");
  return found.headers;
};

describe("mirror engine (memory store)", () => {
  it("watches and fully syncs every user at start, then syncs incrementally on a change", async () => {
    expect(
      w.calls
        .filter((c) => c.method === "watch")
        .map((c) => c.subject)
        .sort(),
    ).toStrictEqual([...USERS].sort());
    expect(mirror.status()).toMatchObject({ state: "ready", users: 3, synced: 3, channelsLive: 3 });
    expect(mirror.counters).toMatchObject({ fullSyncs: 3, syncs: 0, syncErrors: 0 });
    // Each channel's first message is the `sync` one, ignored.
    expect(w.delivered.map((d) => d.outcome)).toStrictEqual(["sync", "sync", "sync"]);
    const before = await mirror.read(ANA, ...week());
    expect(before?.busy.some(([s, e]) => s <= slot && e >= slot + HOUR)).toBe(false);

    w.clock.now += 1000;
    await w.insert(ANA, slot);
    await w.settle(mirror);

    expect(w.delivered.at(-1)?.outcome).toBe("accepted");
    expect(mirror.counters).toMatchObject({ notificationsAccepted: 1, syncs: 1, fullSyncs: 3 });
    expect(lists(ANA, true)).toBe(1);
    const after = await mirror.read(ANA, ...week());
    expect(after?.busy.some(([s, e]) => s <= slot && e >= slot + HOUR)).toBe(true);
    expect(after?.asOf).toBe(w.clock.now);
  });

  it("reads nothing for users not mirrored, beyond the horizon, or before the kept window", async () => {
    expect(mirror.has("ANA@example.com")).toBe(true);
    expect(mirror.has("zoe@example.com")).toBe(false);
    expect(await mirror.read("zoe@example.com", ...week())).toBeUndefined();
    const t = w.clock.now;
    expect(await mirror.read(ANA, t, t + 91 * DAY)).toBeUndefined();
    expect(await mirror.read(ANA, t - 2 * DAY, t)).toBeUndefined();
    expect(await mirror.read(ANA, t, t + 90 * DAY)).toMatchObject({ asOf: t });
  });

  it("answers any range as busyOf over the kept events would, cut from the window's spans", async () => {
    for (let i = 0; i < 6; i++) await w.insert(ANA, slot + i * 5 * HOUR + i * 60_000, 45 + i * 30);
    await w.insert(ANA, slot + HOUR, 240); // overlaps others: merged
    await w.settle(mirror);
    const record = (await store.load(ANA))?.record;
    expect(record?.events.size).toBeGreaterThanOrEqual(7);
    const t = w.clock.now;
    const edges = [t, slot - HOUR, slot, slot + 90 * 60_000, slot + 7 * HOUR, slot + 26 * HOUR];
    for (const from of edges)
      for (const to of [...edges, t + 30 * DAY])
        if (to > from)
          expect((await mirror.read(ANA, from, to))?.busy).toStrictEqual(
            busyOf(record?.events.values() ?? [], record?.timeZone ?? "UTC", from, to),
          );
  });

  it("on a 410 for the sync token, clears the user's events and lists them in full again", async () => {
    const id = await w.insert(ANA, slot);
    await w.settle(mirror);
    w.delivery.drop = true; // the deletion is missed: only the full resync can show it
    await w.writer.as(ANA).events.delete("primary", id);
    await w.settle(mirror);
    expect((await mirror.read(ANA, ...week()))?.busy.some(([s]) => s === slot)).toBe(true);
    w.delivery.drop = false;
    w.emulator.expireSyncTokens();
    await w.insert(ANA, slot + 2 * HOUR);
    await w.settle(mirror);

    expect(mirror.counters).toMatchObject({ fullResyncs: 1, fullSyncs: 4, syncErrors: 0 });
    const busy = (await mirror.read(ANA, ...week()))?.busy ?? [];
    expect(busy.some(([s]) => s === slot)).toBe(false);
    expect(busy.some(([s]) => s === slot + 2 * HOUR)).toBe(true);
    expect(w.logs.some((l) => l.includes("sync token expired (410)"))).toBe(true);
  });

  it("refuses an unknown channel, a wrong token or resource, and syncs nothing", async () => {
    await w.insert(ANA, slot);
    await w.settle(mirror);
    const real = lastChange();
    const listed = w.calls.length;
    const next = String(Number(real.messageNumber) + 1);
    const refused = await Promise.all([
      mirror.push({ ...real, messageNumber: next, channelToken: "not-the-token" }),
      mirror.push({ ...real, messageNumber: next, channelToken: undefined }),
      mirror.push({ ...real, messageNumber: next, channelId: crypto.randomUUID() }),
      mirror.push({ ...real, messageNumber: next, resourceId: "someone-elses" }),
      mirror.push({}),
    ]);
    await w.settle(mirror);

    expect(refused).toStrictEqual(["refused", "refused", "refused", "refused", "refused"]);
    expect(mirror.counters.notificationsRefused).toBe(5);
    expect(w.calls.length).toBe(listed);
    // A refusal did not use up the message number: the real sender's next one is accepted.
    expect(await mirror.push({ ...real, messageNumber: next })).toBe("accepted");
    await w.settle(mirror);
    // Never a channel token in a log line.
    const token = real.channelToken ?? "";
    expect(token.length).toBe(43);
    expect(w.logs.length).toBeGreaterThan(0);
    expect(w.logs.filter((l) => l.includes(token))).toStrictEqual([]);
  });

  it("ignores the sync message and drops duplicate and older message numbers", async () => {
    await w.insert(ANA, slot);
    await w.settle(mirror);
    const real = lastChange();
    const listed = w.calls.length;
    expect(await mirror.push({ ...real, resourceState: "sync", messageNumber: "99" })).toBe("sync");
    expect(await mirror.push(real)).toBe("duplicate");
    expect(await mirror.push({ ...real, messageNumber: "1" })).toBe("duplicate");
    await w.settle(mirror);
    expect(w.calls.length).toBe(listed);
    expect(mirror.counters).toMatchObject({ notificationsDuplicate: 2, notificationsAccepted: 1 });
    expect(await mirror.push({ ...real, messageNumber: "99" })).toBe("accepted");
  });

  it("coalesces a burst: one more sync after the running one, not one per notification", async () => {
    w.delivery.drop = true;
    for (let i = 0; i < 5; i++) await w.insert(ANA, slot + i * HOUR, 30);
    await w.settle(mirror);
    w.delivery.drop = false;
    await w.insert(ANA, slot + 6 * HOUR, 30);
    await w.settle(mirror);
    const real = lastChange();
    const syncs = mirror.counters.syncs;
    let open = (): void => undefined;
    w.gate.hold = new Promise<void>((resolve) => (open = resolve));
    const reached = new Promise<void>((resolve) => (w.gate.reached = resolve));
    const n = Number(real.messageNumber);
    // The first notification starts a sync that waits at the gate; four more arrive meanwhile.
    const outcomes = [await mirror.push({ ...real, messageNumber: String(n + 1) })];
    await reached;
    for (let i = 2; i <= 5; i++)
      outcomes.push(await mirror.push({ ...real, messageNumber: String(n + i) }));
    w.gate.hold = undefined;
    open();
    await w.settle(mirror);

    expect(outcomes).toStrictEqual(Array(5).fill("accepted"));
    expect(mirror.counters.syncs - syncs).toBe(2);
    const busy = (await mirror.read(ANA, ...week()))?.busy ?? [];
    for (let i = 0; i < 5; i++) expect(busy.some(([s]) => s === slot + i * HOUR)).toBe(true);
  });

  it("a sync whose lease lapsed is not saved; the replica that took the lease over wins", async () => {
    const other = w.mirror(store);
    await w.insert(ANA, slot);
    await w.settle(mirror);
    const real = lastChange();
    const n = Number(real.messageNumber);
    const syncs = mirror.counters.syncs;
    const version = await store.version(ANA);
    let open = (): void => undefined;
    w.gate.hold = new Promise<void>((resolve) => (open = resolve));
    const reached = new Promise<void>((resolve) => (w.gate.reached = resolve));
    expect(await mirror.push({ ...real, messageNumber: String(n + 1) })).toBe("accepted");
    await reached;
    w.gate.hold = undefined; // later calls pass; the first one still waits
    w.clock.now += 121_000; // its lease (120 s) lapses
    expect(await other.push({ ...real, messageNumber: String(n + 2) })).toBe("accepted");
    await other.idle();
    expect(other.counters.syncs).toBe(1);
    expect(await store.version(ANA)).toBe(version + 1);
    open();
    await w.settle(mirror, other);

    expect(mirror.counters.syncs).toBe(syncs);
    expect(await store.version(ANA)).toBe(version + 1);
    expect(w.logs.some((l) => l.includes(`lease of ${ANA} lost during a sync`))).toBe(true);
    await other.close();
  });

  it("renews each channel once before it expires: the new one first, then stops the old", async () => {
    const oldChannel = (await store.load(ANA))?.record.channel;
    const anaOld = w.delivered.find((d) => d.headers.channelId === oldChannel?.id)?.headers;
    w.clock.now += 168 * HOUR - 30 * 60_000; // half an hour left of a week
    expect(mirror.status()).toMatchObject({ channelsLive: 3, channelsExpiring: 3 });
    const before = w.calls.length;
    await mirror.reconcile();
    await mirror.reconcile();
    await w.settle(mirror);

    const made = w.calls.slice(before).filter((c) => c.method === "watch" || c.method === "stop");
    expect(made.filter((c) => c.method === "watch")).toHaveLength(3);
    expect(made.filter((c) => c.method === "stop")).toHaveLength(3);
    for (const user of USERS)
      expect(made.filter((c) => c.subject === user).map((c) => c.method)).toStrictEqual([
        "watch",
        "stop",
      ]);
    expect(mirror.counters.channelsRenewed).toBe(3);
    expect(mirror.status()).toMatchObject({ channelsLive: 3, channelsExpiring: 0 });
    // During the overlap the old channel is still ours.
    expect(anaOld?.channelToken).toHaveLength(43);
    expect(await mirror.push({ ...anaOld, resourceState: "exists", messageNumber: "7" })).toBe(
      "accepted",
    );
    // New channels deliver: a change reaches the mirror through the new one.
    await w.insert(ANA, slot);
    await w.settle(mirror);
    expect(lastChange().channelId).not.toBe(anaOld?.channelId);
    expect(w.delivered.at(-1)?.outcome).toBe("accepted");
  });

  it("reconcile repairs a user whose notification was dropped", async () => {
    w.delivery.drop = true;
    await w.insert(ANA, slot);
    await w.settle(mirror);
    expect((await mirror.read(ANA, ...week()))?.busy.some(([s]) => s === slot)).toBe(false);
    w.clock.now += 5 * 60_000;
    await mirror.reconcile(); // not stale yet: nothing to do
    expect(mirror.counters.reconcileRepairs).toBe(0);
    w.clock.now += 15 * 60_000;
    await mirror.reconcile();
    await w.settle(mirror);

    expect(mirror.counters.reconcileRepairs).toBe(3);
    const answer = await mirror.read(ANA, ...week());
    expect(answer?.busy.some(([s]) => s === slot)).toBe(true);
    expect(answer?.asOf).toBe(w.clock.now);
  });

  it("reconcile syncs a user whose notification was left pending by a replica that died", async () => {
    w.delivery.drop = true;
    await w.insert(ANA, slot);
    await w.settle(mirror);
    await store.markPending(ANA); // accepted by a replica that died before it could sync
    w.clock.now += 60_000; // nobody is stale yet
    await mirror.reconcile();
    await w.settle(mirror);
    expect(mirror.counters).toMatchObject({ syncs: 1, reconcileRepairs: 0 });
    expect(lists(ANA, true)).toBe(1);
    expect(await store.hasPending(ANA)).toBe(false);
    expect((await mirror.read(ANA, ...week()))?.busy.some(([s]) => s === slot)).toBe(true);
  });

  it("ticks ten times a reconcile interval (at most a minute), syncs users due within the interval, and stops on close", async () => {
    const timers: { ms: number; run: () => void; stopped: boolean }[] = [];
    const other = createMirror({
      config: mirrorConfig,
      subjects: [ANA],
      client: w.client,
      store: createMemoryMirrorStore(() => w.clock.now),
      log: () => undefined,
      now: () => w.clock.now,
      every: (ms, run) => {
        const t = { ms, run, stopped: false };
        timers.push(t);
        return () => (t.stopped = true);
      },
    });
    other.start();
    await other.idle();
    // 15 minutes: a tick every minute.
    expect(timers.map((t) => t.ms)).toStrictEqual([60_000]);
    w.delivery.drop = true;
    await w.insert(ANA, slot);
    // 13 minutes after the last sync: not due yet (due from 15 minutes less one tick).
    w.clock.now += 13 * 60_000;
    timers[0]?.run();
    await other.idle();
    expect(other.counters.reconcileRepairs).toBe(0);
    expect((await other.read(ANA, ...week()))?.busy.some(([s]) => s === slot)).toBe(false);
    // The next tick, 14 minutes after: due, so the user is synced before 15 minutes have passed.
    w.clock.now += 60_000;
    timers[0]?.run();
    await other.idle();
    expect(other.counters.reconcileRepairs).toBe(1);
    expect((await other.read(ANA, ...week()))?.busy.some(([s]) => s === slot)).toBe(true);
    await other.close();
    expect(timers[0]?.stopped).toBe(true);
  });

  it("a user who cannot be watched or synced is that user's failure; the others go on", async () => {
    const subjects = ["former@example.com", ANA, "ghost@example.com"];
    const other = w.mirror(
      createMemoryMirrorStore(() => w.clock.now),
      {},
      subjects,
    );
    other.start();
    await w.settle(other);

    const status = other.status();
    expect(status).toMatchObject({ state: "ready", users: 3, synced: 1, channelsLive: 1 });
    expect(status.failing.map((f) => f.subject).sort()).toStrictEqual([
      "former@example.com",
      "ghost@example.com",
    ]);
    for (const f of status.failing) expect(f.reason).toMatch(/^full sync: \w+/);
    expect(other.counters.syncErrors).toBe(4); // watch and full sync of each
    expect(await other.read(ANA, ...week())).toBeDefined();
    expect(await other.read("ghost@example.com", ...week())).toBeUndefined();
    // Reconcile tries them again.
    await other.reconcile();
    expect(other.counters.syncErrors).toBe(8);
    await other.close();
  });

  it("a push address Google refuses: the user is still synced, and listed as failing", async () => {
    const other = w.mirror(
      createMemoryMirrorStore(() => w.clock.now),
      { pushUrl: "http://127.0.0.1:10/v1/push" },
      [ANA],
    );
    other.start();
    await w.settle(other);
    expect(other.status()).toMatchObject({ state: "ready", synced: 1, channelsLive: 0 });
    expect(other.status().failing).toStrictEqual([
      {
        subject: ANA,
        reason: expect.stringMatching(/^watch: forbidden 403: .*Unauthorized WebHook/) as string,
      },
    ]);
    expect(await other.read(ANA, ...week())).toBeDefined();
    await other.close();
  });

  it("is warming until every user had a first sync", async () => {
    const other = w.mirror(
      createMemoryMirrorStore(() => w.clock.now),
      {},
      [ANA],
    );
    expect(other.status()).toMatchObject({ state: "warming", synced: 0 });
    expect(await other.read(ANA, ...week())).toBeUndefined();
    other.start();
    await w.settle(other);
    expect(other.status()).toMatchObject({ state: "ready", synced: 1, lagsMs: [0] });
    await other.close();
  });
});

describe("mirror engine start-up and close", () => {
  it("paces start-up at callsPerSecond over all its Google calls", async () => {
    const w2 = await world();
    const waits: number[] = [];
    const engine = createMirror({
      config: { ...mirrorConfig, callsPerSecond: 2 },
      subjects: USERS,
      client: w2.client,
      store: createMemoryMirrorStore(() => w2.clock.now),
      log: () => undefined,
      now: () => w2.clock.now,
      sleep: (ms) => {
        waits.push(ms);
        w2.clock.now += ms;
        return Promise.resolve();
      },
      every: () => () => undefined,
    });
    engine.start();
    await engine.idle();
    // 3 watches and 3 lists: 2 at once (a second's burst), then one every 500 ms.
    expect(w2.calls.filter((c) => c.method !== "other")).toHaveLength(6);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(engine.status()).toMatchObject({ state: "ready", synced: 3 });
    await engine.close();
  });

  it("is ready even when start-up finds a user already being synced (by a reconcile pass)", async () => {
    const w2 = await world();
    const engine = createMirror({
      config: mirrorConfig,
      subjects: [ANA],
      client: w2.client,
      store: createMemoryMirrorStore(() => w2.clock.now),
      log: () => undefined,
      now: () => w2.clock.now,
      every: () => () => undefined,
    });
    let open = (): void => undefined;
    w2.gate.hold = new Promise<void>((resolve) => (open = resolve));
    const reached = new Promise<void>((resolve) => (w2.gate.reached = resolve));
    // A pass syncs ana (never synced: due) and waits at the gate in its listing…
    const pass = engine.reconcile();
    await reached;
    // …when start-up comes to ana: it finds her being synced and leaves her to that run.
    engine.start();
    w2.gate.hold = undefined;
    open();
    await pass;
    await engine.idle();
    expect(engine.status()).toMatchObject({ state: "ready", users: 1, synced: 1 });
    await engine.close();
  });

  it("close() ends waits at the pace and resolves with nothing left running", async () => {
    const w2 = await world();
    const engine = createMirror({
      config: { ...mirrorConfig, callsPerSecond: 1 },
      subjects: USERS,
      client: w2.client,
      store: createMemoryMirrorStore(() => w2.clock.now),
      log: (line) => w2.logs.push(line),
      now: () => w2.clock.now,
      sleep: () => new Promise<void>(() => undefined), // the next token never comes
      every: () => () => undefined,
    });
    engine.start();
    // Until the first call (the only token) has been made; the others wait at the pace.
    for (let i = 0; i < 100_000 && w2.calls.length === 0; i++)
      await new Promise((resolve) => setImmediate(resolve));
    await engine.close();
    expect(w2.calls.filter((c) => c.method !== "other")).toHaveLength(1);
    expect(engine.counters.syncErrors).toBe(0);
    expect(engine.status().failing).toStrictEqual([]);
    expect(await engine.push({ channelId: "x" })).toBe("refused");
  });
});

describe("pace", () => {
  it("lets callsPerSecond calls through at once, then waits for each token", async () => {
    const clock = { now: 0 };
    const waits: number[] = [];
    const pacer = createPacer(
      2,
      () => clock.now,
      (ms) => {
        waits.push(ms);
        clock.now += ms;
        return Promise.resolve();
      },
    );
    for (let i = 0; i < 5; i++) await pacer.take();
    expect(waits).toStrictEqual([500, 500, 500]);
    expect(clock.now).toBe(1500);
  });
});
