// The mirror engine behind a hostile "Google": a fetch stub answering events.list and events.watch
// with endless page tokens, huge pages, junk events, bad watch answers, 410s and 503 storms. Each
// user's trouble stays that user's (status().failing, with a reason), the others go on, and nothing
// loops against Google.
import { createCalendarClient } from "@dwd/calendar";
import { afterEach, describe, expect, it, vi } from "vitest";
import type * as Busy from "../src/mirror/busy.ts";
import { createMirror } from "../src/mirror/engine.ts";
import type { MirrorEngine } from "../src/mirror/engine.ts";
import { createMemoryMirrorStore } from "../src/mirror/store.ts";
import type { MirrorStore } from "../src/mirror/store.ts";
import { DAY, HOUR, mirrorConfig } from "./mirror-harness.ts";

// busyOf is being replaced (recurrence expansion); a junk RRULE may make the new one throw. The
// engine must answer "ask Google" then, so this stand-in throws for one marked rule.
vi.mock("../src/mirror/busy.ts", async (original) => {
  const actual = await original<typeof Busy>();
  return {
    ...actual,
    busyOf: (...args: Parameters<typeof actual.busyOf>) => {
      const [events, ...rest] = args;
      const list = [...events];
      if (list.some((e) => e.recurrence?.some((l) => l.includes("FREQ=JUNK"))))
        throw new RangeError("unreadable RRULE");
      return actual.busyOf(list, ...rest);
    },
  };
});

const GOOD = "good@example.com";
const BAD = "bad@example.com";

/** One call the fake Google got. */
interface Seen {
  subject: string;
  method: "list" | "watch" | "stop";
  url: URL;
  body?: Record<string, unknown> | undefined;
}

type Answer = (call: Seen) => Response | Promise<Response>;

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

const lastPage = (items: unknown[] = [], extra: Record<string, unknown> = {}): Response =>
  json({ items, timeZone: "UTC", nextSyncToken: "sync-1", ...extra });

const watchAnswer = (call: Seen, extra: Record<string, unknown> = {}): Response =>
  json({
    kind: "api#channel",
    id: call.body?.["id"],
    resourceId: "res-1",
    expiration: String(clock.now + 7 * DAY),
    ...extra,
  });

const apiError = (status: number, reason: string, headers: Record<string, string> = {}): Response =>
  json({ error: { code: status, message: reason, errors: [{ reason }] } }, status, headers);

const START = Date.UTC(2030, 0, 7, 8);
let clock = { now: START };
let engines: MirrorEngine[] = [];

afterEach(async () => {
  for (const e of engines) await e.close();
  engines = [];
});

/** A mirror of GOOD and BAD; BAD's calls are answered by `bad`, GOOD's by a sane Google. */
function setup(
  bad: { list?: Answer; watch?: Answer },
  limits?: { maxPages?: number; maxItems?: number },
  timeoutMs?: number,
): { engine: MirrorEngine; store: MirrorStore; calls: Seen[]; logs: string[] } {
  clock = { now: START };
  const calls: Seen[] = [];
  const logs: string[] = [];
  const client = createCalendarClient({
    tokenSource: {
      getToken: (o) =>
        Promise.resolve({
          accessToken: `token-of:${o?.subject ?? ""}`,
          expiresAt: clock.now + HOUR,
          scopes: [],
        }),
    },
    rootUrl: "http://google.test/calendar/v3",
    retry: false,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    fetch: async (url, init) => {
      const u = new URL(String(url));
      const auth = new Headers(init?.headers).get("authorization") ?? "";
      const subject = auth.replace("Bearer token-of:", "");
      const method = u.pathname.endsWith("/watch")
        ? "watch"
        : u.pathname.endsWith("/stop")
          ? "stop"
          : "list";
      const body =
        typeof init?.body === "string"
          ? (JSON.parse(init.body) as Record<string, unknown>)
          : undefined;
      const call: Seen = { subject, method, url: u, body };
      calls.push(call);
      if (method === "stop") return new Response(null, { status: 204 });
      const answer = subject === BAD ? bad[method] : undefined;
      if (answer !== undefined) return answer(call);
      return method === "watch" ? watchAnswer(call) : lastPage([busyAt(clock.now + DAY)]);
    },
  });
  const store = createMemoryMirrorStore(() => clock.now);
  const engine = createMirror({
    config: { ...mirrorConfig, users: [GOOD, BAD] },
    subjects: [GOOD, BAD],
    client,
    store,
    log: (line) => logs.push(line),
    now: () => clock.now,
    every: () => () => undefined,
    limits,
  });
  engines.push(engine);
  return { engine, store, calls, logs };
}

let n = 0;
function busyAt(start: number, minutes = 60, extra: Record<string, unknown> = {}): unknown {
  return {
    id: `ev${n++}`,
    status: "confirmed",
    start: { dateTime: new Date(start).toISOString() },
    end: { dateTime: new Date(start + minutes * 60_000).toISOString() },
    ...extra,
  };
}

const lists = (calls: Seen[], subject: string): number =>
  calls.filter((c) => c.subject === subject && c.method === "list").length;

async function started(engine: MirrorEngine): Promise<void> {
  engine.start();
  await engine.idle();
}

/** GOOD synced and readable: one user's trouble is only that user's. */
async function goodIsFine(engine: MirrorEngine): Promise<void> {
  const answer = await engine.read(GOOD, clock.now, clock.now + 7 * DAY);
  expect(answer?.busy).toStrictEqual([[clock.now + DAY, clock.now + DAY + HOUR]]);
  expect(engine.status().failing.map((f) => f.subject)).toStrictEqual([BAD]);
}

describe("mirror against a hostile upstream: listing", () => {
  it("fails a user whose nextPageToken repeats, after the second page, and goes on with others", async () => {
    const { engine, calls } = setup({
      list: () => json({ items: [busyAt(clock.now)], nextPageToken: "same" }),
    });
    await started(engine);
    expect(lists(calls, BAD)).toBe(2);
    expect(engine.status().failing).toStrictEqual([
      {
        subject: BAD,
        reason: "full sync: unexpected_response: events.list repeated a page token (a loop)",
      },
    ]);
    expect(await engine.read(BAD, clock.now, clock.now + DAY)).toBeUndefined();
    await goodIsFine(engine);
  });

  it("stops a sync whose page tokens never end at maxPages (default 200)", async () => {
    let page = 0;
    const { engine, calls } = setup({
      list: () => json({ items: [], nextPageToken: `p${page++}` }),
    });
    await started(engine);
    expect(lists(calls, BAD)).toBe(200);
    expect(engine.status().failing[0]?.reason).toBe(
      "full sync: sync_too_large: events.list gave more than 200 pages in one sync",
    );
    expect(engine.counters).toMatchObject({ fullSyncs: 1, syncErrors: 1 });
    await goodIsFine(engine);
  });

  it("stops at maxItems (default 100,000): one page of 100,001 items fails that user alone", async () => {
    const items = Array.from({ length: 100_001 }, (_, i) => ({ id: `x${i}`, status: "cancelled" }));
    const { engine } = setup({ list: () => lastPage(items) });
    await started(engine);
    expect(engine.status().failing[0]?.reason).toBe(
      "full sync: sync_too_large: events.list gave more than 100000 items in one sync",
    );
    await goodIsFine(engine);
  });

  it("counts items over all pages against maxItems", async () => {
    let page = 0;
    const { engine, calls } = setup(
      {
        list: () =>
          json({ items: [busyAt(clock.now), busyAt(clock.now)], nextPageToken: `p${page++}` }),
      },
      { maxItems: 5 },
    );
    await started(engine);
    expect(lists(calls, BAD)).toBe(3);
    expect(engine.status().failing[0]?.reason).toBe(
      "full sync: sync_too_large: events.list gave more than 5 items in one sync",
    );
  });

  it("caps the events kept of a user over incremental syncs too (maxItems)", async () => {
    const { engine, calls } = setup(
      {
        list: (call) =>
          lastPage(
            call.url.searchParams.has("syncToken")
              ? [busyAt(clock.now + 7 * HOUR), busyAt(clock.now + 9 * HOUR)]
              : [
                  busyAt(clock.now + HOUR),
                  busyAt(clock.now + 3 * HOUR),
                  busyAt(clock.now + 5 * HOUR),
                ],
          ),
      },
      { maxItems: 4 },
    );
    await started(engine);
    const first = await engine.read(BAD, clock.now, clock.now + DAY);
    expect(first?.busy).toHaveLength(3);
    clock.now += 16 * 60_000;
    await engine.reconcile();
    expect(
      calls.filter((c) => c.subject === BAD && c.url.searchParams.has("syncToken")),
    ).toHaveLength(1);
    expect(engine.status().failing).toStrictEqual([
      {
        subject: BAD,
        reason: "sync: sync_too_large: the mirror would keep more than 4 events of this user",
      },
    ]);
    // What was kept before stays as it was (not half-applied).
    expect((await engine.read(BAD, clock.now, clock.now + DAY))?.busy).toStrictEqual(first?.busy);
  });

  it("caps recurrence rules: 10,000 EXDATEs in one event pass, 4,000,000 characters do not", async () => {
    const exdates = Array.from(
      { length: 10_000 },
      (_, i) => `EXDATE:${new Date(START + i * DAY).toISOString().replace(/[-:]|\.\d+/g, "")}`,
    );
    const series = (id: string, lines: string[]): unknown => ({
      ...(busyAt(START + HOUR) as object),
      id,
      recurrence: ["RRULE:FREQ=SECONDLY", ...lines],
    });
    let huge = false;
    const { engine, calls } = setup({
      list: () =>
        huge
          ? json({ items: [series("b", exdates), series("c", exdates)], nextPageToken: `p${n++}` })
          : lastPage([series("a", exdates)]),
    });
    await started(engine);
    expect(engine.status().failing).toStrictEqual([]);
    huge = true;
    clock.now += 16 * 60_000;
    await engine.reconcile();
    // 10,000 lines of 23 characters: about 230,000 a series; the cap is passed on the ninth page.
    expect(
      calls.filter((c) => c.subject === BAD && c.url.searchParams.has("syncToken")).length,
    ).toBe(9);
    expect(engine.status().failing).toStrictEqual([
      {
        subject: BAD,
        reason:
          "sync: sync_too_large: events.list gave more than 4000000 characters of recurrence rules in one sync",
      },
    ]);
  });

  it("fails a sync whose tokens are absurdly long", async () => {
    const { engine } = setup({ list: () => lastPage([], { nextSyncToken: "s".repeat(5000) }) });
    await started(engine);
    expect(engine.status().failing[0]?.reason).toBe(
      "full sync: unexpected_response: events.list's sync token is too long",
    );
  });

  it("fails a user whose calendar has a time zone the runtime does not know", async () => {
    const { engine } = setup({
      list: () => lastPage([busyAt(clock.now)], { timeZone: "Mars/Olympus_Mons" }),
    });
    await started(engine);
    expect(engine.status().failing).toStrictEqual([
      {
        subject: BAD,
        reason:
          "full sync: unexpected_response: events.list answered an unknown time zone (Mars/Olympus_Mons)",
      },
    ]);
    expect(await engine.read(BAD, clock.now, clock.now + DAY)).toBeUndefined();
    await goodIsFine(engine);
  });

  it("keeps what it can read of junk events and skips the rest, without failing the user", async () => {
    const t = clock.now;
    const { engine, logs } = setup({
      list: () =>
        lastPage(
          [
            null,
            7,
            "text",
            [busyAt(t)],
            { id: 42, start: { dateTime: "x" } },
            { id: { nested: { junk: [1, 2] } } },
            busyAt(t + 2 * HOUR, 60, { attendees: [null, 3] }), // junk guests: the event still counts
            busyAt(t + 3 * HOUR, 60, { attendees: "nobody" }),
            { ...(busyAt(t) as object), end: { dateTime: new Date(t - HOUR).toISOString() } },
            busyAt(Date.UTC(9999, 11, 31, 10)),
            busyAt(Date.UTC(1, 0, 1, 10)),
            { id: "dup", start: { dateTime: new Date(t + 5 * HOUR).toISOString() }, end: {} },
            {
              id: "dup",
              start: { dateTime: new Date(t + 5 * HOUR).toISOString() },
              end: { dateTime: new Date(t + 6 * HOUR).toISOString() },
            },
            { id: "nodates", start: "soon", end: 12 },
          ],
          { timeZone: undefined },
        ),
    });
    await started(engine);
    expect(engine.status().failing.map((f) => f.subject)).toStrictEqual([]);
    const answer = await engine.read(BAD, t, t + DAY);
    expect(answer?.busy).toStrictEqual([
      [t + 2 * HOUR, t + 4 * HOUR],
      [t + 5 * HOUR, t + 6 * HOUR],
    ]);
    // mirrorEventOf reads junk without throwing (no id: not kept), so no event is skipped as unreadable.
    expect(logs.filter((l) => l.includes("unreadable"))).toStrictEqual([]);
  });

  it("answers 'ask Google' (undefined) when busyOf cannot read a kept event, once per version", async () => {
    const t = clock.now;
    const { engine, logs } = setup({
      list: () => lastPage([busyAt(t + HOUR, 60, { recurrence: ["RRULE:FREQ=JUNK;INTERVAL=-1"] })]),
    });
    await started(engine);
    expect(await engine.read(BAD, t, t + DAY)).toBeUndefined();
    expect(await engine.read(BAD, t, t + 2 * DAY)).toBeUndefined();
    const warned = logs.filter((l) => l.includes(`cannot work out ${BAD}'s busy times`));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain("unreadable RRULE");
    // A read's trouble is no sync failure; the other user is answered as ever.
    expect(engine.status().failing).toStrictEqual([]);
    expect(await engine.read(GOOD, clock.now, clock.now + 7 * DAY)).toBeDefined();
  });

  it("an answer that never ends fails that user at the client's timeout; close() still returns", async () => {
    const { engine, calls } = setup({ list: () => new Promise<Response>(() => undefined) }, {}, 50);
    await started(engine);
    expect(lists(calls, BAD)).toBe(1);
    expect(engine.status().failing).toHaveLength(1);
    expect(engine.status().failing[0]?.reason).toBe(
      "full sync: timeout: Cannot call calendar.events.list: no answer within 50 ms",
    );
    await goodIsFine(engine);
    await engine.close();
  });

  it("a 410 on every full sync costs one call per round, never a loop", async () => {
    const { engine, calls } = setup({ list: () => apiError(410, "fullSyncRequired") });
    await started(engine);
    expect(lists(calls, BAD)).toBe(1);
    expect(engine.status().failing[0]?.reason).toMatch(/^full sync: .*410/);
    await engine.reconcile();
    expect(lists(calls, BAD)).toBe(2);
  });
});

describe("mirror against a hostile upstream: pushback", () => {
  it("after a 503 with Retry-After, notifications make no call until the pause ends", async () => {
    let storm = false;
    let watched: Seen | undefined;
    const { engine, calls } = setup({
      watch: (call) => {
        watched = call;
        return watchAnswer(call);
      },
      list: () =>
        storm ? apiError(503, "backendError", { "retry-after": "300" }) : lastPage([], {}),
    });
    await started(engine);
    storm = true;
    const push = (number: number): ReturnType<MirrorEngine["push"]> =>
      engine.push({
        channelId: String(watched?.body?.["id"]),
        channelToken: String(watched?.body?.["token"]),
        resourceId: "res-1",
        resourceState: "exists",
        messageNumber: String(number),
      });
    expect(await push(2)).toBe("accepted");
    await engine.idle();
    expect(lists(calls, BAD)).toBe(2);
    expect(engine.status().failing[0]?.reason).toMatch(/^sync: .*503/);
    for (let i = 3; i < 53; i++) expect(await push(i)).toBe("accepted");
    await engine.idle();
    expect(lists(calls, BAD)).toBe(2);
    expect(engine.counters.notificationsAccepted).toBe(51);
    // Past the Retry-After (300 s), the reconcile pass syncs the pending user once.
    storm = false;
    clock.now += 301_000;
    await engine.reconcile();
    expect(lists(calls, BAD)).toBe(3);
    expect(engine.status().failing).toStrictEqual([]);
    expect(await push(60)).toBe("accepted");
    await engine.idle();
    expect(lists(calls, BAD)).toBe(4);
  });

  it("after a 403 (or a cap), notifications make no call until the next reconcile pass", async () => {
    let refuse = false;
    let watched: Seen | undefined;
    const { engine, calls } = setup({
      watch: (call) => {
        watched = call;
        return watchAnswer(call);
      },
      list: () => (refuse ? apiError(403, "forbidden") : lastPage([])),
    });
    await started(engine);
    refuse = true;
    for (let i = 2; i < 30; i++)
      expect(
        await engine.push({
          channelId: String(watched?.body?.["id"]),
          channelToken: String(watched?.body?.["token"]),
          resourceId: "res-1",
          resourceState: "exists",
          messageNumber: String(i),
        }),
      ).toBe("accepted");
    await engine.idle();
    expect(lists(calls, BAD)).toBe(2); // the start's, and the first notification's
    expect(engine.status().failing[0]?.reason).toMatch(/^sync: .*403/);
    clock.now += 60_001; // a 5xx pause would be over; this one lasts to the reconcile pass
    expect(
      await engine.push({
        channelId: String(watched?.body?.["id"]),
        channelToken: String(watched?.body?.["token"]),
        resourceId: "res-1",
        resourceState: "exists",
        messageNumber: "40",
      }),
    ).toBe("accepted");
    await engine.idle();
    expect(lists(calls, BAD)).toBe(2);
    refuse = false;
    clock.now += 15 * 60_000;
    await engine.reconcile();
    expect(lists(calls, BAD)).toBe(3);
    expect(engine.status().failing).toStrictEqual([]);
  });

  it("a 404 on the calendar (gone) drops the user's mirror: reads ask Google", async () => {
    let gone = false;
    const { engine } = setup({
      list: () => (gone ? apiError(404, "notFound") : lastPage([busyAt(clock.now + HOUR)])),
    });
    await started(engine);
    expect(await engine.read(BAD, clock.now, clock.now + DAY)).toBeDefined();
    gone = true;
    await engine.reconcile(); // not due: nothing changes
    clock.now += 16 * 60_000;
    await engine.reconcile();
    expect(engine.status().failing[0]?.reason).toMatch(/^sync: .*404/);
    expect(await engine.read(BAD, clock.now, clock.now + DAY)).toBeUndefined();
  });
});

describe("mirror against a hostile upstream: watch answers", () => {
  const cases: [string, (call: Seen) => Response, string][] = [
    [
      "no resourceId",
      (call) => watchAnswer(call, { resourceId: undefined }),
      "watch: unexpected_response: events.watch answered without a resource ID",
    ],
    [
      "a resourceId that is no string",
      (call) => watchAnswer(call, { resourceId: { a: 1 } }),
      "watch: unexpected_response: events.watch answered without a resource ID",
    ],
    [
      "an expiration in the past",
      (call) => watchAnswer(call, { expiration: String(START - 1000) }),
      `watch: unexpected_response: events.watch answered an expiration that is not ahead (${START - 1000})`,
    ],
    [
      "an expiration that is no number",
      (call) => watchAnswer(call, { expiration: "soon" }),
      "watch: unexpected_response: events.watch answered an expiration that is not ahead (soon)",
    ],
  ];
  for (const [name, answer, reason] of cases)
    it(`fails the watch on ${name}, keeps no channel, still syncs the user`, async () => {
      const { engine, store, calls } = setup({ watch: answer });
      await started(engine);
      expect(engine.status().failing).toStrictEqual([{ subject: BAD, reason }]);
      const watched = calls.find((c) => c.subject === BAD && c.method === "watch");
      expect(await store.channel(String(watched?.body?.["id"]))).toBeUndefined();
      expect(await engine.read(BAD, clock.now, clock.now + DAY)).toMatchObject({
        asOf: clock.now,
      });
      expect(engine.status()).toMatchObject({ synced: 2, channelsLive: 1 });
    });

  it("cuts an expiration far in the future to the lifetime asked", async () => {
    const { engine, store } = setup({
      watch: (call) => watchAnswer(call, { expiration: "253402300799000" }),
    });
    await started(engine);
    expect(engine.status()).toMatchObject({ channelsLive: 2, failing: [] });
    const record = (await store.load(BAD))?.record;
    expect(record?.channel?.expiration).toBe(clock.now + 168 * HOUR);
  });
});

describe("mirror reads at the edges", () => {
  it("answers only inside the kept window and the horizon; empty, reversed or NaN ranges ask Google", async () => {
    const { engine } = setup({});
    await started(engine);
    const t = clock.now;
    const horizon = t + 90 * DAY;
    for (const [from, to] of [
      [t, t],
      [t + DAY, t],
      [Number.NaN, t + DAY],
      [t, Number.NaN],
      [t - 2 * DAY, t + DAY], // before the kept window (a day back)
      [Date.UTC(1, 0, 1), t],
      [t, horizon + 1], // past the horizon
      [horizon, horizon + DAY],
    ])
      expect(await engine.read(BAD, from ?? 0, to ?? 0)).toBeUndefined();
    expect(await engine.read(BAD, t - DAY, horizon)).toStrictEqual({
      busy: [[t + DAY, t + DAY + HOUR]],
      asOf: t,
    });
    expect(await engine.read(BAD, t + DAY + 30 * 60_000, t + DAY + 30 * 60_000 + 1)).toStrictEqual({
      busy: [[t + DAY + 30 * 60_000, t + DAY + 30 * 60_000 + 1]],
      asOf: t,
    });
    // A day on, without a sync: the horizon moved past the kept window's end; that edge goes live.
    clock.now += DAY + 1;
    expect(await engine.read(BAD, clock.now, clock.now + 90 * DAY)).toBeUndefined();
  });

  it("stops answering from a user's mirror once its last sync is three reconcile intervals old", async () => {
    let down = false;
    const { engine } = setup({
      list: () => (down ? apiError(500, "backendError") : lastPage([busyAt(clock.now + DAY)])),
    });
    await started(engine);
    const synced = clock.now;
    down = true;
    for (let i = 0; i < 3; i++) {
      clock.now += 15 * 60_000;
      await engine.reconcile();
      // Failing, but within three intervals: the old copy answers, with its age.
      expect(await engine.read(BAD, clock.now, clock.now + DAY)).toMatchObject({ asOf: synced });
    }
    clock.now += 1;
    expect(await engine.read(BAD, clock.now, clock.now + DAY)).toBeUndefined();
    // The healthy user, synced at every pass, is answered as ever.
    expect(await engine.read(GOOD, clock.now, clock.now + DAY)).toMatchObject({
      asOf: clock.now - 1,
    });
    down = false;
    clock.now += 15 * 60_000;
    await engine.reconcile();
    expect(await engine.read(BAD, clock.now, clock.now + DAY)).toMatchObject({ asOf: clock.now });
  });
});
