// Hostile notifications against the real engine (emulator behind it, memory store) and against
// POST /v1/push over real HTTP: random header sets checked against a model of the rules, floods of
// forged notifications, lying bodies. Never a 5xx, never a Google call for a refused one, counters
// that add up, no token in a log line.
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MirrorEngine } from "../src/mirror/engine.ts";
import { createMemoryMirrorStore } from "../src/mirror/store.ts";
import type { PushHeaders, PushOutcome } from "../src/mirror/types.ts";
import { createServer } from "../src/server.ts";
import { testConfig } from "./helpers.ts";
import { world } from "./mirror-harness.ts";
import type { World } from "./mirror-harness.ts";

let w: World;
let mirror: MirrorEngine;
/** The live channels, learnt from their `sync` messages. */
let channels: { id: string; token: string; resourceId: string }[];

beforeEach(async () => {
  w = await world();
  mirror = w.mirror(createMemoryMirrorStore(() => w.clock.now));
  w.delivery.to = (h) => mirror.push(h);
  mirror.start();
  await w.settle(mirror);
  channels = w.delivered.map((d) => ({
    id: d.headers.channelId ?? "",
    token: d.headers.channelToken ?? "",
    resourceId: d.headers.resourceId ?? "",
  }));
  expect(channels).toHaveLength(3);
});

afterEach(async () => {
  await mirror.close();
});

/** The app mirroring ana with the real engine behind it, its push route limited to `pushRate`. */
async function pushApp(pushRate: {
  requests: number;
  per: "second" | "minute";
}): Promise<ReturnType<typeof createServer>> {
  const config = await testConfig({
    mirror: {
      users: ["ana@example.com"],
      pushUrl: "https://dwd.example.com/v1/push",
      horizonDays: 90,
      channelTtlHours: 168,
      reconcileMinutes: 15,
      callsPerSecond: 10,
    },
  });
  return createServer({
    credentials: w.key,
    config,
    audit: () => undefined,
    log: () => undefined,
    fetch: (url, init) => w.emulator.fetch(new Request(url, init)),
    skipInitialCheck: true,
    mirror,
    pushRate,
  });
}

const googleCalls = (): number => w.calls.filter((c) => c.method !== "other").length;

/** A header value an adversary might send: junk, huge, unicode, or missing. */
const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(""),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constant("x".repeat(16 * 1024)),
);

const messageNumber = fc.oneof(
  fc.integer({ min: 0, max: 2000 }).map(String),
  fc.constantFrom(
    "-1",
    "18446744073709551616",
    "9007199254740993",
    "1e9",
    "0x10",
    " 5",
    "5 ",
    "٣",
    "1.5",
    "+7",
    "NaN",
    "Infinity",
  ),
  junk,
);

interface Case {
  channel: number; // index into channels, or -1 for a forged ID
  forgedId: string | undefined;
  token: "right" | "other" | "junk";
  junkToken: string | undefined;
  resource: "right" | "junk";
  junkResource: string | undefined;
  state: string | undefined;
  number: string | undefined;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  channel: fc.integer({ min: -1, max: 2 }),
  forgedId: fc.oneof(junk, fc.uuid()),
  token: fc.constantFrom("right", "other", "junk"),
  junkToken: junk,
  resource: fc.constantFrom("right", "junk"),
  junkResource: junk,
  state: fc.oneof(fc.constantFrom("sync", "exists", "not_exists", "EXISTS", "deleted"), junk),
  number: messageNumber,
});

describe("POST /v1/push under random hostile headers (engine, property)", () => {
  it("answers exactly as the rules say, syncs only for accepted ones, counts them all", async () => {
    const highest = new Map<string, number>();
    const expected = { accepted: 0, refused: 0, duplicate: 0 };
    let sets = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(caseArb, { minLength: 1, maxLength: 12 }), async (cases) => {
        for (const c of cases) {
          sets++;
          const real = c.channel >= 0 ? channels[c.channel] : undefined;
          const other = channels[(c.channel + 1 + 3) % 3];
          const headers: PushHeaders = {
            channelId: real?.id ?? c.forgedId,
            channelToken:
              c.token === "right" ? real?.token : c.token === "other" ? other?.token : c.junkToken,
            resourceId: c.resource === "right" ? real?.resourceId : c.junkResource,
            resourceState: c.state,
            messageNumber: c.number,
          };
          // The model: who may be accepted, and what a valid number is.
          let want: PushOutcome;
          const n = Number(c.number);
          if (real === undefined || headers.channelToken !== real.token) want = "refused";
          else if (c.state === "sync") want = "sync";
          else if (c.state !== "exists" && c.state !== "not_exists") want = "refused";
          else if (headers.resourceId !== real.resourceId) want = "refused";
          else if (!/^\d{1,15}$/.test(c.number ?? "")) want = "refused";
          else if (n <= (highest.get(real.id) ?? 0)) want = "duplicate";
          else {
            want = "accepted";
            highest.set(real.id, n);
          }
          if (want !== "sync") expected[want]++;
          const before = googleCalls();
          const got = await mirror.push(headers);
          await mirror.idle();
          expect(got).toBe(want);
          if (got !== "accepted") expect(googleCalls()).toBe(before);
        }
      }),
      { numRuns: 40, seed: 15 },
    );
    expect(sets).toBeGreaterThan(200);
    expect(mirror.counters).toMatchObject({
      notificationsAccepted: expected.accepted,
      notificationsRefused: expected.refused,
      notificationsDuplicate: expected.duplicate,
      syncErrors: 0,
    });
    expect(expected.accepted).toBeGreaterThan(0);
    for (const line of w.logs) for (const c of channels) expect(line).not.toContain(c.token);
  });

  it("refuses a state that is not Google's with the right token, and syncs nothing", async () => {
    const [c] = channels;
    const before = googleCalls();
    for (const state of ["deleted", "EXISTS", "", undefined, "exists\u0000"])
      expect(
        await mirror.push({
          channelId: c?.id,
          channelToken: c?.token,
          resourceId: c?.resourceId,
          resourceState: state,
          messageNumber: "7",
        }),
      ).toBe("refused");
    await mirror.idle();
    expect(googleCalls()).toBe(before);
    expect(mirror.counters).toMatchObject({ notificationsRefused: 5, notificationsAccepted: 0 });
    // `not_exists` is Google's: taken (the sync finds out what is gone).
    expect(
      await mirror.push({
        channelId: c?.id,
        channelToken: c?.token,
        resourceId: c?.resourceId,
        resourceState: "not_exists",
        messageNumber: "7",
      }),
    ).toBe("accepted");
  });

  it("takes a flood of 5,000 forged notifications with no Google call and one log line", async () => {
    const before = googleCalls();
    const logged = w.logs.length;
    const [c] = channels;
    for (let i = 0; i < 5000; i++) {
      const forged: PushHeaders =
        i % 2 === 0
          ? { channelId: crypto.randomUUID(), channelToken: c?.token, resourceState: "exists" }
          : { channelId: c?.id, channelToken: `guess-${i}`, messageNumber: String(i) };
      expect(await mirror.push(forged)).toBe("refused");
    }
    await mirror.idle();
    expect(googleCalls()).toBe(before);
    expect(mirror.counters.notificationsRefused).toBe(5000);
    expect(w.logs.slice(logged)).toStrictEqual([
      JSON.stringify({
        level: "info",
        msg: "mirror: notification refused (unknown channel)",
        refused: 1,
      }),
    ]);
    // A minute on, the next refusal is logged with the count since the last line.
    w.clock.now += 60_000;
    await mirror.push({ channelId: "x" });
    expect(JSON.parse(w.logs.at(-1) ?? "{}")).toStrictEqual({
      level: "info",
      msg: "mirror: notification refused (unknown channel)",
      refused: 5000,
    });
    // The real sender is still heard.
    expect(
      await mirror.push({
        channelId: c?.id,
        channelToken: c?.token,
        resourceId: c?.resourceId,
        resourceState: "exists",
        messageNumber: "2",
      }),
    ).toBe("accepted");
  });
});

describe("POST /v1/push budgets under a forged flood", () => {
  it("a flood of forged notifications uses up its own budget, not Google's", async () => {
    const server = await pushApp({ requests: 5, per: "minute" });
    const send = (headers: Record<string, string>): Promise<Response> =>
      Promise.resolve(
        server.fetch(new Request("http://dwd.test/v1/push", { method: "POST", headers })),
      );
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push(
        (
          await send({
            "x-goog-channel-id": crypto.randomUUID(),
            "x-goog-channel-token": "guess",
            "x-goog-resource-state": "exists",
            "x-goog-message-number": String(i + 1),
          })
        ).status,
      );
    expect(statuses).toStrictEqual([404, 404, 404, 404, 404, 429, 429, 429]);
    const [c] = channels;
    const genuine = await send({
      "x-goog-channel-id": c?.id ?? "",
      "x-goog-channel-token": c?.token ?? "",
      "x-goog-resource-id": c?.resourceId ?? "",
      "x-goog-resource-state": "exists",
      "x-goog-message-number": "2",
    });
    expect(genuine.status).toBe(200);
    await mirror.idle();
    expect(mirror.counters).toMatchObject({ notificationsAccepted: 1, notificationsRefused: 5 });
  });
});

describe("POST /v1/push over real HTTP, hostile requests", () => {
  /** The app with the real engine behind it, served by @hono/node-server on a free port. */
  async function serve(): Promise<{ port: number; close: () => Promise<void> }> {
    const server = await pushApp({ requests: 100_000, per: "second" });
    const http = createAdaptorServer({ fetch: server.fetch });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    return {
      port: (http.address() as AddressInfo).port,
      close: () =>
        new Promise<void>((resolve) => {
          (http as { closeAllConnections?: () => void }).closeAllConnections?.();
          http.close(() => resolve());
        }),
    };
  }

  /** Sends raw bytes, resolves with the status line's code (0 when the socket closed silently). */
  function raw(port: number, text: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.write(text);
      });
      let got = "";
      socket.on("data", (d: Buffer) => {
        got += d.toString("latin1");
        if (got.includes("\r\n")) {
          resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0));
          socket.destroy();
        }
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0)));
    });
  }

  function post(port: number, headers: Record<string, string>, body = ""): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { port, host: "127.0.0.1", path: "/v1/push", method: "POST", headers },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  it("never answers 5xx to hundreds of random header sets, and syncs for none", async () => {
    const { port, close } = await serve();
    try {
      const before = googleCalls();
      const header = fc.stringMatching(/^[\x20-\x7e\x80-\xff]{0,200}$/);
      const statuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(
          fc.record(
            {
              "x-goog-channel-id": fc.oneof(header, fc.constant(channels[0]?.id ?? "")),
              "x-goog-channel-token": header,
              "x-goog-resource-id": header,
              "x-goog-resource-state": fc.oneof(header, fc.constantFrom("exists", "not_exists")),
              "x-goog-message-number": fc.oneof(
                header,
                messageNumber.map((v) => v ?? ""),
              ),
              "content-length": fc.constantFrom("0", "abc", "-1", "99999999999999999999"),
            },
            { requiredKeys: [] },
          ),
          async (headers) => {
            // Values Node will not send (non-Latin-1) are checked at the engine above.
            const safe = Object.fromEntries(
              Object.entries(headers).filter(([, v]) => /^[\x20-\xff]*$/.test(v ?? "")),
            ) as Record<string, string>;
            const status =
              "content-length" in safe
                ? await raw(
                    port,
                    `POST /v1/push HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${Object.entries(
                      safe,
                    )
                      .map(([k, v]) => `${k}: ${v}\r\n`)
                      .join("")}\r\n`,
                  )
                : await post(port, safe);
            statuses.add(status);
            expect(status).toBeGreaterThan(0);
            expect(status).toBeLessThan(500);
          },
        ),
        { numRuns: 300, seed: 16 },
      );
      await mirror.idle();
      expect(googleCalls()).toBe(before);
      expect(mirror.counters.notificationsAccepted).toBe(0);
      // 404 from the mirror; 400/431 from Node's parser (bad lengths, bytes it will not take).
      expect(statuses.has(404)).toBe(true);
      for (const s of statuses) expect([400, 404, 413, 431]).toContain(s);
    } finally {
      await close();
    }
  });

  it("answers a 16 KB header value, a body over the cap and a lying Content-Length without 5xx", async () => {
    const { port, close } = await serve();
    try {
      const [c] = channels;
      const base = {
        "x-goog-channel-id": c?.id ?? "",
        "x-goog-channel-token": c?.token ?? "",
        "x-goog-resource-id": c?.resourceId ?? "",
        "x-goog-resource-state": "exists",
      };
      // Node's own header limit (16 KB in all) answers before the app.
      expect(
        await post(port, { ...base, "x-goog-message-number": "2", "x-junk": "x".repeat(16_384) }),
      ).toBe(431);
      expect(await post(port, { ...base, "x-goog-message-number": "2" }, "x".repeat(5000))).toBe(
        413,
      );
      // Declared short, sent long: Node reads the declared bytes and refuses the rest as a bad
      // request (400, its own); the app is not hurt and takes the next notification.
      expect(
        await raw(
          port,
          `POST /v1/push HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n${Object.entries(base)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join("")}x-goog-message-number: 3\r\n\r\n${"y".repeat(9000)}`,
        ),
      ).toBeLessThan(500);
      await mirror.idle();
      expect(await post(port, { ...base, "x-goog-message-number": "4" })).toBe(200);
      await mirror.idle();
      expect(mirror.counters.syncErrors).toBe(0);
    } finally {
      await close();
    }
  });
});
