// The cache key over real ports: bundled replicas, one emulator, a real redis-server — and a fake RESP
// server that answers +OK to everything. A weak key is refused at start; Redis names nothing in clear;
// a replica with another key says so (log, /metrics, /readyz) and never overwrites; a rotation reads the
// old key's entries; a Redis answering nonsense counts as unavailable.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoScenario } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_KEY, expectNoSecrets, knownSecrets, seen } from "./helpers.ts";
import { freePort, startRedis, stopRedis } from "./redis.ts";
import type { RunningServer } from "./spawn.ts";
import { call, command, startServer, waitFor } from "./spawn.ts";

const BOOKING = "demo-booking-token";
// Two more random keys (openssl rand -base64 32): another replica's, and the next one in a rotation.
const OTHER_KEY = "b8Qm2VxT5nR1kW7pZ3cH9yL0sD4fJ6gA2eU8iO5tN1M=";
const NEXT_KEY = "uR4tY7wQ1zX9cV3bN6mK0lJ8hG2fD5sA7pO4iU1yT3E=";
knownSecrets.push(OTHER_KEY, NEXT_KEY);

const tmp = mkdtempSync(join(tmpdir(), "dwd-cache-key-"));
let emulator: RunningEmulator;
let redis: ChildProcess;
let redisPort: number;
const running: RunningServer[] = [];

const replica = async (cacheUrl: string, env: Record<string, string>): Promise<RunningServer> => {
  const server = await startServer(
    "node",
    [
      "--emulator-url",
      emulator.url,
      "--key",
      emulator.keyFiles["calendar-bot"]!.json,
      "--cache",
      cacheUrl,
      "--port",
      "0",
      "--demo-rate",
      "1000000",
    ],
    env,
  );
  running.push(server);
  await waitFor(async () => (await call(`${server.url}/readyz`)).status === 200);
  return server;
};

beforeAll(async () => {
  redisPort = await freePort();
  redis = await startRedis(redisPort);
  emulator = await startEmulator({ keysDir: tmp, scenario: demoScenario });
});

afterAll(async () => {
  for (const r of running) expect(await r.stop("SIGTERM")).toBe(0);
  await stopRedis(redis);
  await emulator.close();
  rmSync(tmp, { recursive: true, force: true });
  expectNoSecrets(seen);
});

/** Runs the bundle to its exit with `env`. */
function runWith(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const [cmd, argv] = command("node", args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      seen.push(stderr);
      resolve({ code, stderr });
    });
  });
}

describe("DWD_CACHE_KEY", () => {
  const args = (): string[] => [
    "--emulator-url",
    emulator.url,
    "--key",
    emulator.keyFiles["calendar-bot"]!.json,
    "--cache",
    `redis://127.0.0.1:${redisPort}`,
    "--port",
    "0",
  ];

  it("refuses a passphrase or a short key at start: exit 2, one error line and a hint", async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { DWD_CACHE_KEY: "passwordpassword" },
        "error: DWD_CACHE_KEY holds 12 bytes, fewer than 32: it must be 32 random bytes in base64 (a passphrase can be guessed from one stolen Redis value)\nhint: Generate one with: openssl rand -base64 32 (the same on every replica; keep the old one as DWD_CACHE_KEY_PREVIOUS while replicas move to a new one)\n",
      ],
      [
        { DWD_CACHE_KEY: CACHE_KEY, DWD_CACHE_KEY_PREVIOUS: "correct horse battery staple" },
        "error: DWD_CACHE_KEY_PREVIOUS is not base64 (28 characters): it must be 32 random bytes in base64 (a passphrase can be guessed from one stolen Redis value)\nhint: Generate one with: openssl rand -base64 32 (the same on every replica)\n",
      ],
      [
        { DWD_CACHE_KEY: "" },
        "error: DWD_CACHE_KEY is not set: tokens in Redis are sealed with it, and entries and budgets named by it\nhint: Set the same DWD_CACHE_KEY on every replica: export DWD_CACHE_KEY=$(openssl rand -base64 32)\n",
      ],
    ];
    for (const [env, stderr] of cases) {
      expect(await runWith(args(), env)).toStrictEqual({ code: 2, stderr });
    }
  });
});

describe("two replicas with different keys on one Redis", () => {
  let a: RunningServer;
  let b: RunningServer;
  let client: Redis;
  beforeAll(async () => {
    client = new Redis(`redis://127.0.0.1:${redisPort}`);
    a = await replica(`redis://127.0.0.1:${redisPort}`, { DWD_CACHE_KEY: CACHE_KEY });
  });
  afterAll(() => client.disconnect());

  const keyOf = async (server: RunningServer): Promise<string> =>
    /^key ([0-9a-f]{16})/.exec(String((await call(`${server.url}/readyz`)).body.cacheKey))?.[1] ??
    "none";

  it("names nothing in clear: token and budget keys are HMACs, values record the key ID", async () => {
    for (const subject of ["ana@example.com", "bob@example.com"]) {
      const r = await call(`${a.url}/v1/users/${subject}/calendarList/primary`, { token: BOOKING });
      expect(r.status).toBe(200);
    }
    const keys = await client.keys("*");
    expect(keys.filter((k) => /@|example|booking|caller|subject/.test(k))).toStrictEqual([]);
    expect(keys.filter((k) => k.startsWith("dwd:rate:")).length).toBeGreaterThan(0);
    const kid = await keyOf(a);
    expect(kid).toMatch(/^[0-9a-f]{16}$/);
    expect(await client.get("dwd:cache-key-id")).toBe(kid);
    const tokenKeys = keys.filter((k) => /^dwd:token:[A-Za-z0-9_-]{43}$/.test(k));
    expect(tokenKeys.length).toBeGreaterThanOrEqual(2);
    for (const k of tokenKeys) expect(await client.get(k)).toMatch(new RegExp(`^v2\\.${kid}\\.`));
  });

  it("a replica with another key says so in its log, /metrics and /readyz, and overwrites nothing", async () => {
    const before = new Map(
      await Promise.all(
        (await client.keys("dwd:token:*")).map(async (k) => [k, await client.get(k)] as const),
      ),
    );
    b = await replica(`redis://127.0.0.1:${redisPort}`, { DWD_CACHE_KEY: OTHER_KEY });
    const kidA = await keyOf(a);
    await waitFor(async () =>
      String((await call(`${b.url}/readyz`)).body.cacheKey).startsWith("mismatch"),
    );
    const ready = await call(`${b.url}/readyz`);
    expect(ready.body.cacheKey).toMatch(
      new RegExp(
        `^mismatch: Redis holds entries of key ${kidA}, this replica's is [0-9a-f]{16} \\(1 found\\): replicas do not share tokens; set the same DWD_CACHE_KEY on every replica$`,
      ),
    );
    expect((await call(`${b.url}/metrics`)).text).toMatch(
      /^dwd_token_cache_key_mismatches_total 1$/m,
    );
    expect(
      b.stderr.filter((l) => l.includes(`Redis holds entries of cache key ${kidA}`)),
    ).toHaveLength(1);
    expect(JSON.parse(b.stderr.find((l) => l.includes("cache key:"))!)).toMatchObject({
      level: "error",
      hint: "Set the same DWD_CACHE_KEY on every replica (during a rotation, the old one as DWD_CACHE_KEY_PREVIOUS on the new replicas)",
    });
    // B serves its callers, with its own tokens, and leaves A's entries and marker as they were.
    const r = await call(`${b.url}/v1/users/ana@example.com/calendarList/primary`, {
      token: BOOKING,
    });
    expect(r.status).toBe(200);
    for (const [k, v] of before) expect(await client.get(k)).toBe(v);
    expect(await client.get("dwd:cache-key-id")).toBe(kidA);
    expect((await call(`${a.url}/readyz`)).body.cacheKey).toBe(`key ${kidA}`);
  });

  it("a rotation: a replica with the new key and DWD_CACHE_KEY_PREVIOUS reads the old key's tokens and moves the marker on", async () => {
    const kidA = await keyOf(a);
    const warm = await call(`${a.url}/v1/users/bob@example.com/calendarList/primary`, {
      token: BOOKING,
    });
    expect(warm.status).toBe(200);
    const issued = emulator.emulator.stats.tokensIssued;
    const c = await replica(`redis://127.0.0.1:${redisPort}`, {
      DWD_CACHE_KEY: NEXT_KEY,
      DWD_CACHE_KEY_PREVIOUS: CACHE_KEY,
    });
    const r = await call(`${c.url}/v1/users/bob@example.com/calendarList/primary`, {
      token: BOOKING,
    });
    expect(r.status).toBe(200);
    // bob's token (and the checked user's) were A's, read through the previous key: no exchange at all.
    expect(emulator.emulator.stats.tokensIssued - issued).toBe(0);
    expect((await call(`${c.url}/metrics`)).text).toMatch(/^dwd_token_exchanges_total 0$/m);
    const kidC = await keyOf(c);
    expect((await call(`${c.url}/readyz`)).body.cacheKey).toBe(
      `key ${kidC} (reads key ${kidA} too)`,
    );
    expect(await client.get("dwd:cache-key-id")).toBe(kidC);
    expect(c.stderr.some((l) => l.includes(`cache key: rotated from key ${kidA} to ${kidC}`))).toBe(
      true,
    );
  });
});

/** A RESP server that answers +OK to every command (as a misconfigured proxy might). */
async function startNonsenseRedis(): Promise<{
  port: number;
  commands: string[];
  close(): Promise<void>;
}> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let buffer = "";
    socket.on("data", (d: Buffer) => {
      buffer += d.toString("latin1");
      // Parse whole commands (arrays of bulk strings) and answer each with +OK.
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(buffer);
        if (m === null) break;
        let at = m[0].length;
        const parts: string[] = [];
        let complete = true;
        for (let i = 0; i < Number(m[1]); i++) {
          const len = /^\$(\d+)\r\n/.exec(buffer.slice(at));
          if (len === null || buffer.length < at + len[0].length + Number(len[1]) + 2) {
            complete = false;
            break;
          }
          at += len[0].length;
          parts.push(buffer.slice(at, at + Number(len[1])));
          at += Number(len[1]) + 2;
        }
        if (!complete) break;
        buffer = buffer.slice(at);
        commands.push(parts[0]!.toUpperCase());
        socket.write("+OK\r\n");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    commands,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("a Redis that answers +OK to everything", () => {
  it("counts as unavailable: requests succeed on the memory fallback, /readyz and /metrics say so", async () => {
    const fake = await startNonsenseRedis();
    try {
      const server = await replica(`redis://127.0.0.1:${fake.port}`, { DWD_CACHE_KEY: CACHE_KEY });
      const statuses: (number | string | null)[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await call(`${server.url}/v1/users/ana@example.com/calendarList/primary`, {
          token: BOOKING,
        });
        statuses.push(r.status, r.headers.get("retry-after"));
      }
      expect(statuses).toStrictEqual([200, null, 200, null, 200, null, 200, null, 200, null]);
      // The fake did answer: it was asked for tokens (GET) and budgets (EVAL), and said +OK.
      expect(fake.commands).toContain("GET");
      expect(fake.commands).toContain("EVAL");
      const ready = await call(`${server.url}/readyz`);
      expect(ready.body).toMatchObject({
        cache: "memory fallback: Redis is unreachable, this replica mints its own tokens",
        budgets: "memory fallback: Redis is unreachable, this replica counts rates alone",
      });
      const metrics = (await call(`${server.url}/metrics`)).text;
      expect(metrics).toMatch(/^dwd_token_cache_fallback 1$/m);
      expect(metrics).toMatch(/^dwd_rate_budgets_fallback 1$/m);
      expect(
        server.stderr.some((l) =>
          l.includes(
            "the store answered a value no replica writes under a token key (2 characters)",
          ),
        ),
      ).toBe(true);
      expect(
        server.stderr.some((l) =>
          l.includes("rate budgets: Redis unreachable, this replica counts rates alone"),
        ),
      ).toBe(true);
    } finally {
      await fake.close();
    }
  });
});
