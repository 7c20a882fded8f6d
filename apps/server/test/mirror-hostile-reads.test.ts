// /v1/freebusy for mirrored users against ranges chosen to hurt: at the horizon's edge, before the
// kept window, far past, zero-length, reversed, a millisecond long. The answer from the mirror must be
// Google's own (compared with `fresh: true`), or the range must go live; bad ranges are refused alike.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MirrorEngine } from "../src/mirror/engine.ts";
import { createMemoryMirrorStore } from "../src/mirror/store.ts";
import { createServer } from "../src/server.ts";
import { BOOKING_TOKEN, testConfig } from "./helpers.ts";
import { DAY, HOUR, world } from "./mirror-harness.ts";
import type { World } from "./mirror-harness.ts";

const SUBJECTS = ["ana@example.com", "bob@example.com"];

let w: World;
let mirror: MirrorEngine;
let call: (body: Record<string, unknown>) => Promise<{ status: number; body: Answer }>;

interface Answer {
  code?: string;
  subjects?: Record<string, { busy: { start: string; end: string }[]; source: string }>;
}

beforeEach(async () => {
  w = await world();
  mirror = w.mirror(
    createMemoryMirrorStore(() => w.clock.now),
    {},
    SUBJECTS,
  );
  w.delivery.to = (h) => mirror.push(h);
  // One-off events that neither overlap nor touch, some past the 90-day horizon, some in the past.
  const base = Math.floor(w.clock.now / HOUR) * HOUR;
  for (let i = -30; i < 100; i++)
    await w.insert(
      SUBJECTS[i & 1] ?? "",
      base + i * 17 * HOUR + ((i + 100) % 5) * 7 * 60_000,
      25 + ((i + 100) % 4) * 20,
    );
  mirror.start();
  await w.settle(mirror);
  expect(mirror.status()).toMatchObject({ state: "ready", synced: 2 });
  const config = await testConfig({
    mirror: {
      users: SUBJECTS,
      pushUrl: "https://dwd.example.com/v1/push",
      horizonDays: 90,
      channelTtlHours: 168,
      reconcileMinutes: 15,
      callsPerSecond: 1000,
    },
  });
  const server = createServer({
    credentials: w.key,
    config,
    audit: () => undefined,
    log: () => undefined,
    fetch: (url, init) => w.emulator.fetch(new Request(url, init)),
    now: () => w.clock.now,
    skipInitialCheck: true,
    mirror,
  });
  call = async (body) => {
    const r = await server.fetch(
      new Request("http://dwd.test/v1/freebusy", {
        method: "POST",
        headers: { authorization: `Bearer ${BOOKING_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ subjects: SUBJECTS, ...body }),
      }),
    );
    return { status: r.status, body: (await r.json()) as Answer };
  };
});

afterEach(async () => {
  await mirror.close();
});

const iso = (ms: number): string => new Date(ms).toISOString();

/** Asks the range as is and fresh; both must agree; answers the sources of the first. */
async function sameAsGoogle(from: number, to: number): Promise<string[]> {
  const range = { timeMin: iso(from), timeMax: iso(to) };
  const answered = await call(range);
  const fresh = await call({ ...range, fresh: true });
  expect(answered.status).toBe(fresh.status);
  if (answered.status !== 200) {
    expect(answered.body.code).toBe(fresh.body.code);
    return [];
  }
  for (const s of SUBJECTS) {
    expect(fresh.body.subjects?.[s]?.source).toBe("google");
    expect(answered.body.subjects?.[s]?.busy).toStrictEqual(fresh.body.subjects?.[s]?.busy);
  }
  return SUBJECTS.map((s) => answered.body.subjects?.[s]?.source ?? "none");
}

describe("mirror reads at hostile ranges (/v1/freebusy)", () => {
  it("answers the edges from the mirror only inside its window, always as Google does", async () => {
    const t = w.clock.now;
    const horizon = t + 90 * DAY;
    const mirrored = ["mirror", "mirror"];
    const live = ["google", "google"];
    expect(await sameAsGoogle(horizon - 62 * DAY, horizon)).toStrictEqual(mirrored);
    expect(await sameAsGoogle(horizon - 61 * DAY, horizon + 1)).toStrictEqual(live);
    expect(await sameAsGoogle(t - DAY, t + 61 * DAY)).toStrictEqual(mirrored);
    expect(await sameAsGoogle(t - DAY - 1, t + DAY)).toStrictEqual(live);
    expect(await sameAsGoogle(t - 400 * DAY, t - 380 * DAY)).toStrictEqual(live);
    expect(await sameAsGoogle(t + 5 * HOUR, t + 5 * HOUR + 1)).toStrictEqual(mirrored);
    // Zero-length and reversed ranges: refused alike, before the mirror or Google is asked.
    const before = w.calls.length;
    for (const [from, to] of [
      [t, t],
      [t + DAY, t],
    ] as const) {
      const r = await call({ timeMin: iso(from), timeMax: iso(to) });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("invalid_request");
    }
    expect(w.calls.length).toBe(before);
  });

  it("agrees with Google for random ranges in and around the kept window (property)", async () => {
    const t = w.clock.now;
    let fromMirror = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -3 * DAY, max: 92 * DAY }),
        fc.oneof(
          fc.integer({ min: 1, max: 3 * HOUR }),
          fc.integer({ min: 1, max: 62 * DAY }),
          fc.constantFrom(1, 60_000, DAY, 7 * DAY),
        ),
        async (offset, length) => {
          const sources = await sameAsGoogle(t + offset, t + offset + length);
          const inside = offset >= -DAY && offset + length <= 90 * DAY;
          expect(sources).toStrictEqual(inside ? ["mirror", "mirror"] : ["google", "google"]);
          if (inside) fromMirror++;
        },
      ),
      { numRuns: 120, seed: 4 },
    );
    expect(fromMirror).toBeGreaterThan(30);
  });
});
