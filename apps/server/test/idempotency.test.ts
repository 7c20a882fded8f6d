// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) over real HTTP: one server in memory
// mode, then two replicas on one real redis-server. The upstream insert can be held open (a gate, not a
// timer), so "the first is still running" is a state the test sets, not a race it hopes for.
import type { ChildProcess } from "node:child_process";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpstreamFetch } from "../src/server.ts";
import { createServer } from "../src/server.ts";
import { createRedisTokenStore } from "../src/redis-store.ts";
import type { RedisTokenStore } from "../src/redis-store.ts";
import {
  BOOKING_TOKEN,
  CACHE_KEY,
  CAL,
  callers,
  knownSecrets,
  seen,
  sha256Hex,
  sharedEmulator,
  testConfig,
} from "./helpers.ts";
import { freePort, startRedis, stopRedis } from "./redis.ts";

const OTHER_TOKEN = "test-other-app-token-77c1e0";
knownSecrets.push(OTHER_TOKEN);
const EVENTS = "/v1/users/ana@example.com/calendars/primary/events";
const event = (summary: string): Record<string, unknown> => ({
  summary,
  start: { dateTime: "2026-12-01T10:00:00Z" },
  end: { dateTime: "2026-12-01T10:30:00Z" },
});

/** Holds upstream event inserts while `held` is set; counts them. */
function gate(base: UpstreamFetch): {
  fetch: UpstreamFetch;
  hold(): void;
  release(): void;
  inserts: number;
  /** Resolves once an insert is waiting at the gate. */
  waiting(): Promise<void>;
  fail: number;
} {
  let held: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let arrived: (() => void) | undefined;
  let arrival = new Promise<void>((r) => (arrived = r));
  const g = {
    inserts: 0,
    fail: 0,
    hold() {
      held = new Promise<void>((r) => (open = r));
      arrival = new Promise<void>((r) => (arrived = r));
    },
    release() {
      open?.();
      held = undefined;
    },
    waiting: () => arrival,
    fetch: (async (url, init) => {
      if (init?.method === "POST" && /\/calendars\/[^/]+\/events(\?|$)/.test(url)) {
        g.inserts++;
        if (g.fail > 0) {
          g.fail--;
          return new Response(
            JSON.stringify({
              error: { code: 500, message: "Backend Error", errors: [{ reason: "backendError" }] },
            }),
            { status: 500, headers: { "content-type": "application/json" } },
          );
        }
        if (held !== undefined) {
          arrived?.();
          await held;
        }
      }
      return await base(url, init);
    }) as UpstreamFetch,
  };
  return g;
}

interface Replica {
  url: string;
  close(): Promise<void>;
}

async function replica(fetch: UpstreamFetch, store?: RedisTokenStore): Promise<Replica> {
  const { key } = await sharedEmulator();
  const server = createServer({
    credentials: key,
    config: await testConfig({
      callers: [
        ...(await callers()),
        {
          name: "other-app",
          tokenSha256: await sha256Hex(OTHER_TOKEN),
          subjects: ["*@example.com"],
          operations: ["events.insert"],
          scopes: [CAL],
        },
      ],
    }),
    audit: (line) => void seen.push(line),
    log: (line) => void seen.push(line),
    fetch,
    ...(store !== undefined
      ? { shared: { store, secret: CACHE_KEY, rates: store, idempotency: store } }
      : {}),
  });
  await server.checked;
  const http = createAdaptorServer({ fetch: server.fetch }) as Server;
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

async function insert(
  url: string,
  key: string | undefined,
  body: unknown,
  token = BOOKING_TOKEN,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${url}${EVENTS}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      ...(key !== undefined ? { "idempotency-key": key } : {}),
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe("Idempotency-Key on one server", () => {
  let g: ReturnType<typeof gate>;
  let r: Replica;
  beforeAll(async () => {
    const { emulator } = await sharedEmulator();
    g = gate((url, init) => emulator.fetch(new Request(url, init)));
    r = await replica(g.fetch);
  });
  afterAll(() => r.close());

  it("same key, same body: the first answer again (200, Idempotent-Replayed), one insert upstream", async () => {
    const first = await insert(r.url, "order-1", event("Booked"));
    const again = await insert(r.url, "order-1", event("Booked"));
    expect([first.status, again.status]).toStrictEqual([201, 200]);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(again.body).toStrictEqual(first.body);
    expect(g.inserts).toBe(1);
    // The key as the draft writes it (a Structured Field string) is the same key.
    expect((await insert(r.url, '"order-1"', event("Booked"))).status).toBe(200);
    expect(g.inserts).toBe(1);
  });

  it("same key, another body: 422, and nothing is inserted", async () => {
    await insert(r.url, "order-2", event("Booked"));
    const inserts = g.inserts;
    const other = await insert(r.url, "order-2", event("Booked twice"));
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({
      code: "idempotency_key_reused",
      detail:
        'The Idempotency-Key "order-2" was used for another request to this route: the same key must come with the same request',
      hint: "Use a new key for a new request; resend the first request unchanged to get its answer",
    });
    expect(g.inserts).toBe(inserts);
  });

  it("same key while the first is running: 409 with Retry-After; then the first's answer", async () => {
    g.hold();
    const first = insert(r.url, "order-3", event("Slow"));
    await g.waiting();
    const during = await insert(r.url, "order-3", event("Slow"));
    expect(during.status).toBe(409);
    expect(during.headers.get("retry-after")).toBe("1");
    expect(during.body).toMatchObject({
      code: "idempotency_key_in_flight",
      detail: 'A request with the Idempotency-Key "order-3" is still running',
    });
    g.release();
    expect((await first).status).toBe(201);
    const after = await insert(r.url, "order-3", event("Slow"));
    expect(after.status).toBe(200);
    expect(after.body.id).toBe((await first).body.id);
  });

  it("is scoped to the caller: another caller's same key is its own", async () => {
    const mine = await insert(r.url, "shared-key", event("Same"));
    const theirs = await insert(r.url, "shared-key", event("Same"), OTHER_TOKEN);
    expect([mine.status, theirs.status]).toStrictEqual([201, 201]);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    // Another body from the other caller under a key the first caller used is no reuse either.
    expect((await insert(r.url, "shared-key-2", event("A"))).status).toBe(201);
    expect((await insert(r.url, "shared-key-2", event("B"), OTHER_TOKEN)).status).toBe(201);
  });

  it("a failed request keeps no record: the retry with the same key runs", async () => {
    g.fail = 3; // more than the client's retries
    const failed = await insert(r.url, "order-4", event("Flaky"));
    expect(failed.status).toBe(502);
    const retry = await insert(r.url, "order-4", event("Flaky"));
    expect(retry.status).toBe(201);
  });

  it("refuses a malformed key with 400", async () => {
    const bad = await insert(r.url, '"unterminated', event("x"));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: "invalid_idempotency_key",
      detail: "The Idempotency-Key header is not a string of printable characters",
    });
  });
});

describe("Idempotency-Key across two replicas on one Redis", () => {
  let redis: ChildProcess;
  let stores: RedisTokenStore[];
  let replicas: Replica[];
  let g: ReturnType<typeof gate>;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    const { emulator } = await sharedEmulator();
    g = gate((url, init) => emulator.fetch(new Request(url, init)));
    stores = [0, 1].map(() => createRedisTokenStore(`redis://127.0.0.1:${port}`));
    replicas = await Promise.all(stores.map((s) => replica(g.fetch, s)));
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    for (const s of stores) await s.close();
    await stopRedis(redis);
  });

  it("the second replica replays the first's answer, refuses another body (422) and a running key (409)", async () => {
    const [a, b] = replicas as [Replica, Replica];
    g.hold();
    const first = insert(a.url, "x-order-1", event("Across"));
    await g.waiting();
    const during = await insert(b.url, "x-order-1", event("Across"));
    expect([during.status, during.body.code]).toStrictEqual([409, "idempotency_key_in_flight"]);
    g.release();
    const done = await first;
    expect(done.status).toBe(201);
    const replay = await insert(b.url, "x-order-1", event("Across"));
    expect([replay.status, replay.headers.get("idempotent-replayed")]).toStrictEqual([200, "true"]);
    expect(replay.body).toStrictEqual(done.body);
    const other = await insert(b.url, "x-order-1", event("Across, changed"));
    expect([other.status, other.body.code]).toStrictEqual([422, "idempotency_key_reused"]);
    expect(g.inserts).toBe(1 + 0); // one insert upstream in all
  });

  it("records expire (24 h) and hold nothing in clear: no caller, key, path or event", async () => {
    const { Redis } = await import("ioredis");
    const client = new Redis(`redis://127.0.0.1:${port}`);
    try {
      const names = await client.keys("dwd:idem:*");
      expect(names.length).toBeGreaterThanOrEqual(1);
      for (const name of names) {
        expect(name).toMatch(/^dwd:idem:[A-Za-z0-9_-]{43}$/);
        const ttl = await client.pttl(name);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(86_400_000);
        const value = (await client.get(name))!;
        expect(value).not.toMatch(/Across|booking|order|ana@/);
      }
    } finally {
      client.disconnect();
    }
  });
});
