/**
 * `dwd emulator start --public-url`: the emulator behind a reverse proxy on another port, as in a
 * container network. The bundled CLI gets a token through the proxy with the key file the emulator wrote.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd, dwdFirstLine } from "./helpers.ts";

/** A reverse proxy to `upstream.url` (set once the emulator listens) that records what passes. */
function reverseProxy(): {
  server: Server;
  upstream: { url: string };
  seen: string[];
} {
  const upstream = { url: "" };
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method ?? ""} ${req.url ?? ""}`);
    const target = new URL(req.url ?? "/", upstream.url);
    const out = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => {
      res.writeHead(502).end();
    });
    req.pipe(out);
  });
  return { server, upstream, seen };
}

let proxy: ReturnType<typeof reverseProxy>;
let proxyUrl: string;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  proxy = reverseProxy();
  await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), "dwd-public-url-"));
});

afterAll(async () => {
  for (const child of children) child.kill("SIGTERM");
  proxy.server.closeAllConnections();
  await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function startBehindProxy(keysDir: string, extra: string[]): Promise<string> {
  const { child, firstLine } = await dwdFirstLine(
    ["emulator", "start", "--port", "0", "--keys-dir", keysDir, ...extra],
    cleanEnv(),
  );
  children.push(child);
  proxy.upstream.url = firstLine;
  return firstLine;
}

const tokenArgs = (key: string): string[] => [
  "token",
  "--key",
  key,
  "--subject",
  "info@example.com",
  "--scopes",
  "calendar.readonly",
];

describe("dwd emulator start --public-url", { timeout: 60_000 }, () => {
  it("behind a reverse proxy: the key file names the proxy and dwd token gets a token through it", async () => {
    const keys = join(dir, "with");
    const listening = await startBehindProxy(keys, ["--public-url", proxyUrl]);
    const keyFile = join(keys, "calendar-bot.json");
    const key = JSON.parse(await readFile(keyFile, "utf8")) as Record<string, string>;
    expect(key["token_uri"]).toBe(`${proxyUrl}/token`);
    expect(listening).not.toBe(proxyUrl);
    const before = proxy.seen.length;
    const r = await dwd(tokenArgs(keyFile));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^ya29\./);
    expect(proxy.seen.slice(before)).toContain("POST /token");
  });

  it("without it, the same proxy fails every token request with Google's audience error", async () => {
    const keys = join(dir, "without");
    const listening = await startBehindProxy(keys, []);
    const keyFile = join(keys, "calendar-bot.json");
    const key = JSON.parse(await readFile(keyFile, "utf8")) as Record<string, string>;
    expect(key["token_uri"]).toBe(`${listening}/token`);
    // What a user behind the proxy does: point the key at the address they can reach.
    const proxied = join(keys, "proxied.json");
    await writeFile(proxied, JSON.stringify({ ...key, token_uri: `${proxyUrl}/token` }));
    const before = proxy.seen.length;
    const r = await dwd(tokenArgs(proxied));
    expect(r.code).not.toBe(0);
    // The emulator answered Google's "Invalid JWT: Failed audience check."; dwd diagnoses it.
    expect(r.stderr).toContain(
      `the assertion's audience "${proxyUrl}/token" is not a token URL Google accepts`,
    );
    expect(proxy.seen.slice(before)).toContain("POST /token");
  });

  it("refuses a --public-url that is not an http(s) origin, exit 2 with a hint", async () => {
    const r = await dwd([
      "emulator",
      "start",
      "--port",
      "0",
      "--keys-dir",
      join(dir, "bad"),
      "--public-url",
      "google.test:8443/prefix",
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      'Invalid --public-url "google.test:8443/prefix": not an http(s) origin',
    );
    expect(r.stderr).toContain("e.g. --public-url https://google.test:8443");
  });
});

describe("dwd emulator start --push-allow", { timeout: 60_000 }, () => {
  it("refuses an origin with a path, exit 2 with a hint", async () => {
    const r = await dwd([
      "emulator",
      "start",
      "--port",
      "0",
      "--keys-dir",
      join(dir, "bad-push"),
      "--push-allow",
      "http://localhost:8090, http://127.0.0.1:8090/_emulator",
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      'Invalid --push-allow "http://127.0.0.1:8090/_emulator": not an http(s) origin',
    );
    expect(r.stderr).toContain("e.g. --push-allow loopback or --push-allow http://127.0.0.1:8090");
  });

  it("refuses an origin outside the machine, exit 2 with a hint", async () => {
    const r = await dwd([
      "emulator",
      "start",
      "--port",
      "0",
      "--keys-dir",
      join(dir, "bad-push-remote"),
      "--push-allow",
      "https://hooks.example.com",
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(
      'Invalid --push-allow "https://hooks.example.com": not a loopback origin (the emulator never posts outside the machine)',
    );
    expect(r.stderr).toContain("e.g. --push-allow loopback");
  });

  it("--push-allow loopback --push-drop 1 --push-delay-ms 0-5: the sync message arrives, every change notification is dropped and counted", async () => {
    const got: string[] = [];
    const hook = createServer((req, res) => {
      got.push(
        `${String(req.headers["x-goog-message-number"])}:${String(req.headers["x-goog-resource-state"])}`,
      );
      req.resume();
      req.on("end", () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    try {
      const keys = join(dir, "push-faults");
      const { child, firstLine } = await dwdFirstLine(
        [
          "emulator",
          "start",
          "--port",
          "0",
          "--keys-dir",
          keys,
          "--push-allow",
          "loopback",
          "--push-drop",
          "1",
          "--push-delay-ms",
          "0-5",
        ],
        cleanEnv(),
      );
      children.push(child);
      const minted = await dwd([
        "token",
        "--key",
        join(keys, "calendar-bot.json"),
        "--subject",
        "info@example.com",
        "--scopes",
        "calendar",
      ]);
      expect(minted.code).toBe(0);
      const auth = {
        authorization: `Bearer ${minted.stdout.trim()}`,
        "content-type": "application/json",
      };
      const address = `http://localhost:${(hook.address() as AddressInfo).port}/hook`;
      const watch = await fetch(`${firstLine}/calendar/v3/calendars/primary/events/watch`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ id: "cli-push", type: "web_hook", address }),
      });
      expect(watch.status).toBe(200);
      const inserted = await fetch(`${firstLine}/calendar/v3/calendars/primary/events`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          summary: "x",
          start: { date: "2026-04-02" },
          end: { date: "2026-04-03" },
        }),
      });
      expect(inserted.status).toBe(200);
      const flushed = await fetch(`${firstLine}/_emulator/push/flush`, { method: "POST" });
      expect(await flushed.json()).toEqual({ delivered: 1, failed: 0, dropped: 1 });
      expect(got).toEqual(["1:sync"]);
      const faults = (await (await fetch(`${firstLine}/_emulator/faults`)).json()) as object;
      expect(faults).toMatchObject({ pushDropRate: 1, pushDelayMs: [0, 5] });
    } finally {
      hook.close();
    }
  });

  it("allows watch channels to the given origin only", async () => {
    const keys = join(dir, "push");
    const { child, firstLine } = await dwdFirstLine(
      ["emulator", "start", "--port", "0", "--keys-dir", keys, "--push-allow", proxyUrl],
      cleanEnv(),
    );
    children.push(child);
    const minted = await dwd([
      "token",
      "--key",
      join(keys, "calendar-bot.json"),
      "--subject",
      "info@example.com",
      "--scopes",
      "calendar",
    ]);
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    const watch = (address: string): Promise<Response> =>
      fetch(`${firstLine}/calendar/v3/calendars/primary/events/watch`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ id: address, type: "web_hook", address }),
      });
    expect((await watch(`${proxyUrl}/hook`)).status).toBe(200);
    const other = await watch(`${firstLine}/_emulator/reset`);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { message: string } }).error.message).toBe(
      `Unauthorized WebHook callback channel: ${firstLine}/_emulator/reset`,
    );
  });
});
