// The availability mirror end to end (issue 15): the bundled emulator in its own process, posting push
// notifications to the bundled dwd-server on real loopback ports; users change their calendars through
// Google's API with delegated tokens, and availability answers follow from the mirror. Every wait is a
// condition polled a bounded number of times; nothing asserts how long anything took.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOOKING_TOKEN, CACHE_KEY, callers, expectNoSecrets, seen } from "./helpers.ts";
import type { EmulatorProcess } from "./mirror-e2e-harness.ts";
import {
  asUser,
  availabilityBody,
  metricsOf,
  mirrorUsers,
  pollUntil,
  sample,
  slot,
  slotStarts,
  startEmulatorProcess,
} from "./mirror-e2e-harness.ts";
import { freePort, startRedis, stopRedis } from "./redis.ts";
import type { PushSeen, RoundRobin } from "./round-robin.ts";
import { startRoundRobin } from "./round-robin.ts";
import type { RunningServer } from "./spawn.ts";
import { call, startServer } from "./spawn.ts";

const DEMO_BOOKING = "demo-booking-token";
const tmp = mkdtempSync(join(tmpdir(), "dwd-mirror-e2e-"));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  expectNoSecrets(seen);
});

type Answer = Awaited<ReturnType<typeof call>>;
type Sources = Record<string, { source: string; asOf: string }>;

/** Availability of `subjects` over the test slots 0…`slots`-1, through `url`. */
const availability = (
  url: string,
  token: string,
  subjects: readonly string[],
  slots: number,
  fresh = false,
): Promise<Answer> =>
  call(`${url}/v1/availability`, {
    token,
    json: { ...availabilityBody(subjects, slots), ...(fresh ? { fresh: true } : {}) },
  });

/** Polls availability until slot `n` is offered (`free`) or not; returns that answer. */
const untilSlot = (
  url: string,
  token: string,
  subject: string,
  n: number,
  free: boolean,
  attempts?: number,
): Promise<Answer> =>
  pollUntil(
    `availability of ${subject} ${free ? "offers" : "no longer offers"} slot ${n}`,
    async () => {
      const r = await availability(url, token, [subject], n + 1);
      if (r.status !== 200) throw new Error(`availability answered ${r.status}: ${r.text}`);
      return slotStarts(r.body).has(slot(n).start) === free ? r : undefined;
    },
    attempts,
  );

/**
 * The calls the emulator counted so far that read or watch events or free/busy, by endpoint (batches
 * too). The delegation check /readyz may start once a minute (token, calendarList.get) is left out.
 */
const calendarCalls = async (emulator: EmulatorProcess): Promise<Record<string, number>> =>
  Object.fromEntries(
    Object.entries((await emulator.control("stats")).byEndpoint as Record<string, number>).filter(
      ([endpoint]) => /^(calendar\.(events|freebusy|channels)\.|batch$)/.test(endpoint),
    ),
  );

/** Polls /readyz until the mirror reports ready (every mirrored user synced once). */
const untilReady = (url: string): Promise<Answer> =>
  pollUntil(`${url}/readyz says the mirror is ready`, async () => {
    const r = await call(`${url}/readyz`);
    return r.status === 200 && (r.body.mirror as { state?: string } | undefined)?.state === "ready"
      ? r
      : undefined;
  });

describe("dwd-server --emulator-url URL --key FILE --mirror users.txt: the one-machine loop", () => {
  const users = mirrorUsers(3, "loop");
  let emulator: EmulatorProcess;
  let server: RunningServer;

  beforeAll(async () => {
    emulator = await startEmulatorProcess(users);
    const list = join(tmp, "users.txt");
    writeFileSync(list, `${users.join("\n")}\n`);
    server = await startServer("node", [
      "--emulator-url",
      emulator.url,
      "--key",
      emulator.keyFile,
      "--mirror",
      list,
      "--port",
      "0",
    ]);
  });
  afterAll(async () => {
    // (Each guarded: a start-up that failed leaves nothing running behind it.)
    if (server as RunningServer | undefined) expect(await server.stop("SIGTERM")).toBe(0);
    await emulator?.stop();
  });

  it("warms, then answers from the mirror without calling Google; a change at Google shows by push", async () => {
    await untilReady(server.url);
    const subject = users[0]!;
    const before = await calendarCalls(emulator);
    const first = await availability(server.url, DEMO_BOOKING, [subject], 1);
    expect(first.status).toBe(200);
    expect(slotStarts(first.body).has(slot(0).start)).toBe(true);
    expect((first.body.sources as Sources)[subject]!.source).toBe("mirror");
    // Answered without one Calendar call.
    expect(await calendarCalls(emulator)).toStrictEqual(before);

    const hands = await asUser(emulator, subject);
    const changedAt = Date.now();
    const event = await hands.insert(slot(0).event);
    const after = await untilSlot(server.url, DEMO_BOOKING, subject, 0, false);
    const source = (after.body.sources as Sources)[subject]!;
    expect(source.source).toBe("mirror");
    expect(Date.parse(source.asOf)).toBeGreaterThanOrEqual(changedAt);

    // Moved: slot 0 is free again, slot 1 taken; deleted: both free.
    await hands.patch(event.id, {
      start: (slot(1).event as { start: object }).start,
      end: (slot(1).event as { end: object }).end,
    });
    await untilSlot(server.url, DEMO_BOOKING, subject, 1, false);
    expect(
      slotStarts((await availability(server.url, DEMO_BOOKING, [subject], 2)).body).has(
        slot(0).start,
      ),
    ).toBe(true);
    await hands.remove(event.id);
    await untilSlot(server.url, DEMO_BOOKING, subject, 1, true);

    const metrics = await metricsOf(server.url);
    expect(sample(metrics, "dwd_mirror_notifications_accepted_total")).toBeGreaterThanOrEqual(3);
    expect(sample(metrics, "dwd_mirror_notifications_refused_total")).toBe(0);
  });

  it("the doctor: the push address reaches this server over HTTP, every user has a live channel", async () => {
    await untilReady(server.url);
    const doctor = await call(`${server.url}/v1/doctor`, { token: DEMO_BOOKING });
    expect(doctor.status).toBe(200);
    const checks = doctor.body.checks as { id: string; status: string; detail: string }[];
    expect(checks.find((c) => c.id === "push")).toStrictEqual({
      id: "push",
      status: "pass",
      detail: `The push address "${server.url}/v1/push" reaches this server's /v1/push`,
    });
    expect(checks.find((c) => c.id === "channels")).toStrictEqual({
      id: "channels",
      status: "pass",
      detail: "3 of 3 mirrored user(s) have a live channel, 0 expiring soon",
    });
  });

  it("fresh=true asks Google: one freebusy.query at the emulator, source google", async () => {
    const subject = users[1]!;
    await untilReady(server.url);
    const before = await calendarCalls(emulator);
    const r = await availability(server.url, DEMO_BOOKING, [subject], 1, true);
    expect(r.status).toBe(200);
    expect((r.body.sources as Sources)[subject]!.source).toBe("google");
    const after = await calendarCalls(emulator);
    expect((after["calendar.freebusy.query"] ?? 0) - (before["calendar.freebusy.query"] ?? 0)).toBe(
      1,
    );
    // The same question without fresh: the mirror, no call.
    const mirrored = await availability(server.url, DEMO_BOOKING, [subject], 1);
    expect((mirrored.body.sources as Sources)[subject]!.source).toBe("mirror");
    expect(await calendarCalls(emulator)).toStrictEqual(after);
  });
});

/** A configuration file for a mirror whose pushes come through `pushBase`. */
function mirrorConfig(
  emulator: EmulatorProcess,
  users: readonly string[],
  options: { pushBase: string; cache: string; port?: number; reconcileMinutes?: number },
): Promise<string> {
  return callers().then((list) => {
    const file = join(tmp, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        listen: { host: "127.0.0.1", port: options.port ?? 0 },
        delegation: {
          keyFile: emulator.keyFile,
          checkSubject: "info@example.com",
          tokenUri: `${emulator.url}/token`,
          calendarRoot: `${emulator.url}/calendar/v3`,
        },
        callers: list.filter((c) => c.name === "booking-app"),
        cache: options.cache,
        mirror: {
          users,
          pushUrl: `${options.pushBase}/v1/push`,
          callsPerSecond: 100,
          ...(options.reconcileMinutes !== undefined
            ? { reconcileMinutes: options.reconcileMinutes }
            : {}),
        },
      }),
    );
    return file;
  });
}

describe("three replicas and Redis behind a round-robin push address", () => {
  const users = mirrorUsers(3, "replica");
  let emulator: EmulatorProcess;
  let redis: ChildProcess;
  let proxy: RoundRobin;
  const replicas: RunningServer[] = [];
  let live: RunningServer[] = [];

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    emulator = await startEmulatorProcess(users);
    proxy = await startRoundRobin(() => live.map((r) => r.url));
    const config = await mirrorConfig(emulator, users, {
      pushBase: proxy.url,
      cache: `redis://127.0.0.1:${port}`,
    });
    for (let i = 0; i < 3; i++) {
      replicas.push(await startServer("node", ["--config", config], { DWD_CACHE_KEY: CACHE_KEY }));
      live = [...replicas];
    }
    for (const r of replicas) await untilReady(r.url);
  });
  afterAll(async () => {
    for (const r of live) expect(await r.stop("SIGTERM")).toBe(0);
    await proxy?.close();
    if (redis as ChildProcess | undefined) await stopRedis(redis);
    await emulator?.stop();
  });

  /** Every replica's counters, summed; `gone` adds those of replicas no longer running. */
  const total = async (name: string, labels = "", gone: string[] = []): Promise<number> => {
    const texts = [...(await Promise.all(live.map((r) => metricsOf(r.url)))), ...gone];
    return texts.reduce((sum, text) => sum + sample(text, name, labels), 0);
  };

  it("a forged notification is refused (404 no_such_channel), counted, never logged, and syncs nothing", async () => {
    const subject = users[0]!;
    // A real notification to learn a real channel: the user changes something.
    const hands = await asUser(emulator, subject);
    const seenBefore = proxy.pushes.length;
    await hands.insert(slot(20).event);
    await untilSlot(proxy.url, BOOKING_TOKEN, subject, 20, false);
    const real = await pollUntil("the proxy passed the change's notification on", () =>
      Promise.resolve(
        proxy.pushes.slice(seenBefore).find((p: PushSeen) => p.resourceState === "exists"),
      ),
    );
    const lists = (await calendarCalls(emulator))["calendar.events.list"] ?? 0;
    const refused = await total("dwd_mirror_notifications_refused_total", "");
    const duplicate = await total("dwd_mirror_notifications_duplicate_total", "");

    const forge = (headers: Partial<PushSeen>): Promise<Answer> =>
      call(`${live[0]!.url}/v1/push`, {
        method: "POST",
        headers: {
          "x-goog-channel-id": headers.channelId ?? real.channelId,
          "x-goog-channel-token": headers.channelToken ?? real.channelToken,
          "x-goog-resource-id": real.resourceId,
          "x-goog-resource-state": "exists",
          "x-goog-message-number":
            headers.messageNumber ?? String(Number(real.messageNumber) + 100),
        },
      });
    const wrongToken = "forged-channel-token-0000";
    const answers = [
      await forge({ channelId: "no-such-channel-4b1e" }),
      await forge({ channelToken: wrongToken }),
      await forge({ channelId: "no-such-channel-4b1e", channelToken: wrongToken }),
    ];
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(a.body).toMatchObject({
        code: "no_such_channel",
        detail: "No channel of this server matches",
      });
    }
    // The real notification again, its message number already seen: a duplicate, taken, not synced.
    const replay = await forge({ messageNumber: real.messageNumber });
    expect(replay.status).toBe(200);

    expect(await total("dwd_mirror_notifications_refused_total", "")).toBe(refused + 3);
    expect(await total("dwd_mirror_notifications_duplicate_total", "")).toBe(duplicate + 1);
    // A real change after the forgeries: its one sync is the only Calendar list call since.
    await hands.insert(slot(21).event);
    await untilSlot(proxy.url, BOOKING_TOKEN, subject, 21, false);
    await pollUntil("the change's sync is counted at the emulator", async () =>
      ((await calendarCalls(emulator))["calendar.events.list"] ?? 0) > lists ? true : undefined,
    );
    expect((await calendarCalls(emulator))["calendar.events.list"]).toBe(lists + 1);
    // Neither the channel's own token nor the forged one appears in anything a replica printed.
    for (const r of replicas) {
      const printed = [...r.stdout, ...r.stderr].join("\n");
      expect(printed).not.toContain(real.channelToken);
      expect(printed).not.toContain(wrongToken);
    }
  });

  it("12 changes make exactly 12 incremental syncs in total; a replica killed mid-run loses none", async () => {
    const changes = 12;
    const hands = await Promise.all(users.map((u) => asUser(emulator, u)));
    const lists = (await calendarCalls(emulator))["calendar.events.list"] ?? 0;
    const syncs = await total("dwd_mirror_syncs_total");
    const accepted = await total("dwd_mirror_notifications_accepted_total", "");
    const gone: string[] = [];
    for (let i = 0; i < changes; i++) {
      if (i === changes / 2) {
        // Mid-run: one replica dies without a goodbye (its counters so far are kept for the sum).
        const victim = live[1]!;
        gone.push(await metricsOf(victim.url));
        live = live.filter((r) => r !== victim);
        victim.child.kill("SIGKILL");
        await victim.exited;
      }
      const subject = users[i % users.length]!;
      await hands[i % users.length]!.insert(slot(i).event);
      // Each change shows before the next is made, so no two notifications coalesce.
      await untilSlot(proxy.url, BOOKING_TOKEN, subject, i, false);
      await pollUntil(`sync ${i + 1} counted at the emulator`, async () =>
        ((await calendarCalls(emulator))["calendar.events.list"] ?? 0) >= lists + i + 1
          ? true
          : undefined,
      );
    }
    // Every change shows on every surviving replica.
    for (const r of live)
      for (const [u, subject] of users.entries()) {
        const offered = slotStarts(
          (await availability(r.url, BOOKING_TOKEN, [subject], changes)).body,
        );
        for (let i = u; i < changes; i += users.length)
          expect(offered.has(slot(i).start)).toBe(false);
      }
    expect((await calendarCalls(emulator))["calendar.events.list"]).toBe(lists + changes);
    expect((await total("dwd_mirror_syncs_total", "", gone)) - syncs).toBe(changes);
    expect((await total("dwd_mirror_notifications_accepted_total", "", gone)) - accepted).toBe(
      changes,
    );
  });
});

describe("30 % of notifications dropped: the reconcile pass repairs every change", () => {
  const users = mirrorUsers(10, "dropped");
  let emulator: EmulatorProcess;
  let server: RunningServer;

  beforeAll(async () => {
    // Started dropping: `dwd emulator start --push-drop 0.3` (a fixed draw sequence).
    emulator = await startEmulatorProcess(users, ["--push-drop", "0.3", "--fault-seed", "7"]);
    const port = await freePort();
    // The server's own port, known before it starts: its push address names it.
    const config = await mirrorConfig(emulator, users, {
      pushBase: `http://127.0.0.1:${port}`,
      port,
      cache: "memory",
      reconcileMinutes: 0.1, // 6 s: a pass ticks every second, so a dropped change waits at most 6 s
    });
    server = await startServer("node", ["--config", config]);
    await untilReady(server.url);
  });
  afterAll(async () => {
    // (Each guarded: a start-up that failed leaves nothing running behind it.)
    if (server as RunningServer | undefined) expect(await server.stop("SIGTERM")).toBe(0);
    await emulator?.stop();
  });

  it("every one of 10 changes shows, dropped notifications included, and repairs are counted", async () => {
    // One change a user: no later notification of the same user can stand in for a dropped one.
    const hands = await Promise.all(users.map((u) => asUser(emulator, u)));
    // All ten made first, then awaited: a dropped one waits for a reconcile pass, the others do not.
    for (let i = 0; i < 10; i++) await hands[i]!.insert(slot(i).event);
    for (let i = 0; i < 10; i++)
      await untilSlot(server.url, BOOKING_TOKEN, users[i]!, i, false, 6000);
    const stats = await emulator.control("stats");
    const dropped = stats.pushDropped as number;
    expect(dropped).toBeGreaterThan(0);
    const metrics = await metricsOf(server.url);
    expect(sample(metrics, "dwd_mirror_reconcile_repairs_total")).toBeGreaterThan(0);
    // One notification a change (no attendees): those not dropped were taken.
    expect(sample(metrics, "dwd_mirror_notifications_accepted_total")).toBe(10 - dropped);
  }, 300_000);
});
