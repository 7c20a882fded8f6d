// The mirror's stores, memory and Redis, hold the same promises: one lease holder, fenced writes, a
// release that keeps the lease while a notification is pending, message numbers accepted once and in
// order, records back as written.
import type { ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordOf, recordText } from "../src/mirror/record-codec.ts";
import { createRedisMirrorStore } from "../src/mirror/redis-store.ts";
import { createMemoryMirrorStore } from "../src/mirror/store.ts";
import type { MirrorRecord, MirrorStore } from "../src/mirror/store.ts";
import { CACHE_KEY } from "./helpers.ts";
import { freePort, startRedis, stopRedis } from "./redis.ts";

const ANA = "ana@example.com";

function sample(): MirrorRecord {
  return {
    syncToken: "CPDAlvWDx70CEPDAlvWDx70CGAU=",
    timeZone: "Europe/Lisbon",
    lastSync: 1_700_000_000_000,
    lastFullSync: 1_699_990_000_000,
    windowFrom: 1_699_900_000_000,
    windowTo: 1_708_000_000_000,
    channel: {
      id: crypto.randomUUID(),
      resourceId: "r1",
      tokenHash: "h".repeat(43),
      expiration: 9e12,
    },
    events: new Map([
      [
        "a1",
        {
          id: "a1",
          status: "confirmed",
          start: { dateTime: "2026-12-08T10:00:00Z" },
          end: { dateTime: "2026-12-08T11:00:00Z" },
        },
      ],
      [
        "s1",
        {
          id: "s1",
          status: "tentative",
          start: { dateTime: "2026-12-08T09:00:00+01:00", timeZone: "Europe/Lisbon" },
          end: { dateTime: "2026-12-08T09:30:00+01:00", timeZone: "Europe/Lisbon" },
          recurrence: ["RRULE:FREQ=WEEKLY;BYDAY=TU"],
          transparency: "transparent",
          selfResponse: "declined",
          eventType: "focusTime",
        },
      ],
      [
        "s1_x",
        {
          id: "s1_x",
          status: "cancelled",
          recurringEventId: "s1",
          originalStartTime: { date: "2026-12-15" },
        },
      ],
      [
        "d1",
        {
          id: "d1",
          status: "confirmed",
          start: { date: "2026-12-09" },
          end: { date: "2026-12-10" },
        },
      ],
    ]),
  };
}

describe("record codec", () => {
  it("writes a record compactly and reads it back as written", () => {
    const record = sample();
    const text = recordText(record);
    expect(recordOf(text)).toStrictEqual(record);
    expect(text).not.toContain("confirmed");
    expect(text).not.toContain("dateTime");
    expect(recordOf("not json")).toBeUndefined();
    expect(recordOf("null")).toBeUndefined();
  });
});

let server: ChildProcess;
let url: string;

beforeAll(async () => {
  const port = await freePort();
  server = await startRedis(port);
  url = `redis://127.0.0.1:${port}`;
});

afterAll(async () => {
  await stopRedis(server);
});

const kinds: [string, () => { store: MirrorStore; takeOver: () => Promise<void> }][] = [
  [
    "memory",
    () => {
      const clock = { now: 1_000 };
      return {
        store: createMemoryMirrorStore(() => clock.now),
        // The holder's lease lapses.
        takeOver: () => Promise.resolve(void (clock.now += 200_000)),
      };
    },
  ],
  [
    "redis",
    () => {
      const store = createRedisMirrorStore(url, CACHE_KEY);
      return {
        store,
        takeOver: async () => {
          const admin = new Redis(url);
          await admin.del(`dwd:m:${store.nameOf(ANA)}:l`);
          admin.disconnect();
        },
      };
    },
  ],
];

describe.each(kinds)("%s mirror store", (_kind, make) => {
  it("one lease holder; its writes are fenced; the version counts writes", async () => {
    const { store, takeOver } = make();
    const subject = ANA;
    const record = sample();
    const before = await store.version(subject);
    const lease = await store.lease(subject, 120_000);
    expect(lease).toBeDefined();
    expect(await store.lease(subject, 120_000)).toBeUndefined();
    expect(await lease?.save(record)).toBe(before + 1);
    expect(await store.version(subject)).toBe(before + 1);
    expect(await store.load(subject)).toStrictEqual({ version: before + 1, record });
    expect(await lease?.renew()).toBe(true);
    await takeOver();
    const other = await store.lease(subject, 120_000);
    expect(other).toBeDefined();
    expect(await lease?.save(sample())).toBeUndefined();
    expect(await lease?.renew()).toBe(false);
    expect(await lease?.release()).toBe("lost");
    expect(await store.version(subject)).toBe(before + 1);
    expect(await other?.release()).toBe("released");
    expect(await store.lease(subject, 120_000).then((l) => l?.release())).toBe("released");
    await store.close();
  });

  it("a pending notification keeps the lease at release: the holder syncs again", async () => {
    const { store } = make();
    const lease = await store.lease(ANA, 120_000);
    await store.markPending(ANA);
    expect(await store.hasPending(ANA)).toBe(true);
    expect(await lease?.release()).toBe("pending");
    expect(await store.lease(ANA, 120_000)).toBeUndefined();
    expect(await store.takePending(ANA)).toBe(true);
    expect(await store.takePending(ANA)).toBe(false);
    expect(await lease?.release()).toBe("released");
    await store.close();
  });

  it("accepts each message number once, and only above the highest", async () => {
    const { store } = make();
    const id = crypto.randomUUID();
    expect(await store.acceptMessage(id, 2)).toBe(false); // no such channel
    await store.addChannel(ANA, { id, resourceId: "r", tokenHash: "h", expiration: 9e12 });
    expect(await store.channel(id)).toStrictEqual({
      owner: store.nameOf(ANA),
      resourceId: "r",
      tokenHash: "h",
    });
    const raced = await Promise.all(Array.from({ length: 10 }, () => store.acceptMessage(id, 5)));
    expect(raced.filter(Boolean)).toHaveLength(1);
    expect(await store.acceptMessage(id, 4)).toBe(false);
    expect(await store.acceptMessage(id, 6)).toBe(true);
    // Registering it again (its resource ID learnt) keeps the highest number.
    await store.addChannel(ANA, { id, resourceId: "r2", tokenHash: "h", expiration: 9e12 });
    expect(await store.acceptMessage(id, 6)).toBe(false);
    await store.removeChannel(id);
    expect(await store.channel(id)).toBeUndefined();
    expect(await store.channel(crypto.randomUUID())).toBeUndefined();
    await store.close();
  });
});
