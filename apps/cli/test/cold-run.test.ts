// A cold run over many users is a pipeline: the bundled dwd against the emulator on a real port (with
// added latency), through a proxy that sees every request in order and can hold one user's token exchange.
// Nothing here waits on time: the held exchange is answered only once a batch request has arrived, so a
// dwd that minted every token before its first batch could never get there.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd, passOn, readProxied } from "./helpers.ts";

const auth = "https://www.googleapis.com/auth/";
const USERS = 55;

let server: RunningEmulator;
let dir: string;
let key: string;
let users: string[];

/** The `sub` of a jwt-bearer token request's assertion. */
function subjectOf(form: string): string | undefined {
  const assertion = new URLSearchParams(form).get("assertion") ?? "";
  const payload = assertion.split(".")[1] ?? "";
  return (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: string }).sub;
}

interface Proxy {
  url: string;
  /** What arrived, in order: `token <subject>`, `batch`, `other`. */
  seen: string[];
  /** Whether the held exchange was still unanswered, and its client still waiting, when the first batch came. */
  heldWhenFirstBatch: boolean | undefined;
  close(): Promise<void>;
}

/**
 * A proxy to the emulator that logs each request as it arrives and holds the token exchange of `held`
 * until the first batch request has arrived.
 */
async function startProxy(held: string): Promise<Proxy> {
  let firstBatch: () => void = () => undefined;
  const batchArrived = new Promise<void>((resolve) => (firstBatch = resolve));
  let heldPending = false;
  const state: Proxy = {
    url: "",
    seen: [],
    heldWhenFirstBatch: undefined,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const proxied = await readProxied(req, server.url);
    const { target, body } = proxied;
    const path = `${target.pathname}${target.search}`;
    if (path.startsWith("/token")) {
      const subject = subjectOf(body.toString("utf8"));
      state.seen.push(`token ${subject}`);
      if (subject === held) {
        heldPending = true;
        res.on("close", () => (heldPending = false));
        await batchArrived;
      }
    } else if (path.startsWith("/batch/")) {
      state.seen.push("batch");
      if (state.heldWhenFirstBatch === undefined) state.heldWhenFirstBatch = heldPending;
      firstBatch();
    } else state.seen.push("other");
    await passOn(server.url, req, proxied, res);
  };
  const http: Server = createServer((req, res) => {
    forward(req, res).catch((error: unknown) => {
      res.writeHead(502).end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return state;
}

/**
 * `dwd events list` for `subjects` (one a line in a file) through the proxy, as dwd's egress proxy: the
 * token requests keep the emulator's own URL as their audience.
 */
async function listThrough(
  proxy: Proxy,
  subjects: string[],
): Promise<{ code: number | null; rows: { subject: string }[]; stderr: string }> {
  const file = join(dir, `users-${subjects.length}.txt`);
  await writeFile(file, `${subjects.join("\n")}\n`);
  const r = await dwd(
    ["events", "list", "--key", key, "--subjects-file", file, "--json", "--timeout", "20000"],
    cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host, HTTP_PROXY: proxy.url }),
    // A dwd that waits for every token before its first batch waits forever here: stop it sooner.
    30_000,
  );
  return {
    code: r.code,
    rows: r.stdout === "" ? [] : (JSON.parse(r.stdout) as { subject: string }[]),
    stderr: r.stderr,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-cold-run-"));
  server = await startEmulator({
    scenario: {
      domain: "example.com",
      users: { count: USERS, eventsEach: 2 },
      serviceAccounts: [{ name: "calendar-bot" }, { name: "full-only" }],
      grants: [
        { serviceAccount: "calendar-bot", scopes: [`${auth}calendar`, `${auth}calendar.readonly`] },
        { serviceAccount: "full-only", scopes: [`${auth}calendar`] },
      ],
    } as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: join(dir, "keys"),
  });
  key = server.keyFiles["calendar-bot"]?.json ?? "";
  users = server.emulator.scenario.users.map((u) => u.email);
  const faults = await fetch(`${server.url}/_emulator/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ latencyMs: 20 }),
  });
  expect(faults.status).toBe(200);
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * A proxy to `emulator` that lets the first `pass` token exchanges through, then holds every later one
 * until `holdUntil` of them are waiting at once (then answers them all, and lets later ones through), and
 * records the most that ever waited together.
 */
async function startCountingProxy(
  emulator: RunningEmulator,
  pass: number,
  holdUntil: number,
): Promise<{ url: string; mostAtOnce: () => number; close: () => Promise<void> }> {
  let waiting = 0;
  let most = 0;
  let passed = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const http: Server = createServer((req, res) => {
    void (async () => {
      const proxied = await readProxied(req, emulator.url);
      const { target } = proxied;
      const token = target.pathname.startsWith("/token");
      const held = token && passed >= pass;
      if (token && !held) passed++;
      if (held) {
        most = Math.max(most, ++waiting);
        if (waiting >= holdUntil) open();
        await opened;
        waiting--;
      }
      await passOn(emulator.url, req, proxied, res);
    })().catch((error: unknown) => res.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    mostAtOnce: () => most,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

/** `dwd events list` over `subjects` of `emulator` through the counting proxy at `proxyUrl`. */
async function countedList(
  emulator: RunningEmulator,
  keyFile: string,
  proxyUrl: string,
  subjects: string[],
  concurrency: number | undefined,
): Promise<{ code: number | null; stderr: string }> {
  const file = join(dir, `users-counted-${subjects.length}-${concurrency ?? "default"}.txt`);
  await writeFile(file, `${subjects.join("\n")}\n`);
  return await dwd(
    [
      "events",
      "list",
      "--key",
      keyFile,
      "--subjects-file",
      file,
      "--json",
      "--timeout",
      "10000",
      ...(concurrency === undefined ? [] : ["--concurrency", String(concurrency)]),
    ],
    cleanEnv({ DWD_EMULATOR_HOST: new URL(emulator.url).host, HTTP_PROXY: proxyUrl }),
    30_000,
  );
}

describe("a cold run over many users", () => {
  it("with a grant of only …/auth/calendar: every user falls back; one batch of users pays a refused exchange more", async () => {
    const file = join(dir, "users-full-only.txt");
    await writeFile(file, `${users.join("\n")}\n`);
    const full = server.keyFiles["full-only"]?.json ?? "";
    const r = await dwd(
      ["events", "list", "--key", full, "--subjects-file", file, "--ndjson", "--timeout", "20000"],
      cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host, DWD_TOKEN_CACHE: "off" }),
      30_000,
    );
    expect(r.code).toBe(0);
    // The first user tries calendar.readonly, calendar.events, then calendar (3 exchanges); the next 49
    // (a batch's worth) ask for calendar.readonly with it rather than after its answers, refused: 1 each;
    // then every other user asks for calendar (1 each): 3 + 49 + (USERS − 1).
    expect(r.stderr).toMatch(
      new RegExp(
        `^summary: ${USERS} users: ${USERS} ok, 0 failed; 2 requests, ${3 + 49 + (USERS - 1)} token exchanges, `,
      ),
    );
    const rows = r.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { subject: string });
    expect(rows).toHaveLength(USERS * 2);
    expect([...new Set(rows.map((row) => row.subject))]).toEqual(users);
  });

  it("asks for a batch's worth of tokens with the first user's, not after its answer", async () => {
    // The first user's exchange also tells whether the grant holds calendar.readonly. The proxy answers
    // none until 50 wait at once, so a dwd that waited for the first answer before asking for the next
    // users' tokens would stall (and fail at its --timeout).
    const proxy = await startCountingProxy(server, 0, 50);
    try {
      const r = await countedList(server, key, proxy.url, users, undefined);
      expect(r.stderr).toMatch(
        new RegExp(
          `^summary: ${USERS} users: ${USERS} ok, 0 failed; 2 requests, ${USERS} token exchanges, `,
        ),
      );
      expect(r.code).toBe(0);
      expect(proxy.mostAtOnce()).toBe(50);
    } finally {
      await proxy.close();
    }
  });

  describe("then as many as the batches in flight need", () => {
    // Enough exchanges in flight for the batches that may be in flight: --concurrency × 50, at most 200.
    // The first 50 users' exchanges pass; the proxy then answers none until that many wait at once.
    let big: RunningEmulator;
    let bigUsers: string[];
    beforeAll(async () => {
      big = await startEmulator({
        scenario: {
          domain: "example.com",
          users: { count: 260, eventsEach: 1 },
          serviceAccounts: [{ name: "calendar-bot" }],
          grants: [{ serviceAccount: "calendar-bot", scopes: [`${auth}calendar.readonly`] }],
        } as never,
        port: 0,
        host: "127.0.0.1",
        keysDir: join(dir, "keys-big"),
      });
      bigUsers = big.emulator.scenario.users.map((u) => u.email);
    });
    afterAll(async () => {
      await big.close();
    });
    for (const [concurrency, inFlight] of [
      [undefined, 200],
      [1, 50],
    ] as const) {
      it(`asks for ${inFlight} tokens at once (--concurrency ${concurrency ?? "10, the default"})`, async () => {
        const proxy = await startCountingProxy(big, 50, inFlight);
        try {
          const r = await countedList(
            big,
            big.keyFiles["calendar-bot"]?.json ?? "",
            proxy.url,
            bigUsers,
            concurrency,
          );
          expect(r.stderr).toMatch(
            new RegExp(
              `^summary: 260 users: 260 ok, 0 failed; \\d+ requests, 260 token exchanges, `,
            ),
          );
          expect(r.code).toBe(0);
          expect(proxy.mostAtOnce()).toBe(inFlight);
        } finally {
          await proxy.close();
        }
      });
    }
  });

  it("sends the first batch while a token exchange is still pending; output stays in user order", async () => {
    expect(users).toHaveLength(USERS);
    const held = users[10] ?? "";
    const proxy = await startProxy(held);
    try {
      const r = await listThrough(proxy, users);
      expect(r.stderr).toMatch(
        new RegExp(
          `^summary: ${USERS} users: ${USERS} ok, 0 failed; 2 requests, ${USERS} token exchanges, `,
        ),
      );
      expect(r.code).toBe(0);
      expect(proxy.heldWhenFirstBatch).toBe(true);
      // The held user's exchange arrived before the first batch and was answered after it; the first
      // batch carried 50 users whose tokens came first, the held one went in the second.
      const firstBatch = proxy.seen.indexOf("batch");
      expect(proxy.seen.indexOf(`token ${held}`)).toBeLessThan(firstBatch);
      expect(proxy.seen.filter((s) => s === "batch")).toHaveLength(2);
      expect(proxy.seen.filter((s) => s.startsWith("token "))).toHaveLength(USERS);
      // Two events each, every user in the order given (the held one in its place).
      expect(r.rows.map((row) => row.subject)).toEqual(users.flatMap((u) => [u, u]));
    } finally {
      await proxy.close();
    }
  });

  it("one user refused at the token endpoint neither delays nor spoils the others", async () => {
    const ghost = "ghost@example.com";
    const subjects = [...users.slice(0, 10), ghost, ...users.slice(10)];
    const proxy = await startProxy(ghost);
    try {
      const r = await listThrough(proxy, subjects);
      // The others' first batch went out while the refusal was still on its way.
      expect(proxy.heldWhenFirstBatch).toBe(true);
      expect(r.code).toBe(1);
      expect(r.rows.map((row) => row.subject)).toEqual(users.flatMap((u) => [u, u]));
      expect(r.stderr).toContain(
        `error: 1 of ${USERS + 1} users failed:\n  ${ghost}: unknown_subject: Cannot get a token for "${ghost}": "${ghost}" is not a user of the Workspace domain\n`,
      );
      expect(r.stderr).toMatch(
        new RegExp(
          `summary: ${USERS + 1} users: ${USERS} ok, 1 failed; 2 requests, ${USERS + 1} token exchanges, `,
        ),
      );
    } finally {
      await proxy.close();
    }
  });
});
