// The bundled CLI's transport, end to end against the emulator on a real port: endpoints resolved as the
// library resolves them (a key the emulator wrote is enough, no DWD_EMULATOR_HOST), a .p12 key that went
// to Google by default says how to reach the emulator, and egress proxies carry (or, with NO_PROXY, do not
// carry) every request — counted by a local forward proxy.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv, dwd, dwdPath } from "./helpers.ts";

let keysDir: string;
let emulator: RunningEmulator;
let botJson: string;
let botP12: string;
let botEmail: string;
let proxy: Server;
let proxyUrl: string;
/** What passed through the proxy: absolute-form requests and CONNECT targets. */
const seen: string[] = [];

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), "dwd-cli-transport-"));
  emulator = await startEmulator({ scenario: "demo", port: 0, host: "127.0.0.1", keysDir });
  const bot = emulator.keyFiles["calendar-bot"];
  if (!bot) throw new Error("demo scenario without calendar-bot");
  botJson = bot.json;
  botP12 = bot.p12;
  botEmail = emulator.emulator.serviceAccount("calendar-bot").email;
  // A forward proxy: passes absolute-form requests on, refuses every CONNECT tunnel (nothing leaves
  // the machine) after noting whom it was asked to reach.
  proxy = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const upstream = request(req.url ?? "", { method: req.method, headers: req.headers }, (a) => {
      res.writeHead(a.statusCode ?? 502, a.headers);
      a.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.on("connect", (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await emulator.close();
  await rm(keysDir, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
});

const get = ["calendars", "get", "info@example.com", "--subject", "info@example.com"];

describe("endpoints, resolved one way", () => {
  it("a JSON key the emulator wrote is enough: token and Calendar calls go to its origin", async () => {
    const r = await dwd([...get, "--key", botJson], cleanEnv());
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });

  it("--token-uri on a loopback address takes the Calendar calls along", async () => {
    const r = await dwd(
      [...get, "--key", botP12, "--key-email", botEmail, "--token-uri", `${emulator.url}/token`],
      cleanEnv(),
    );
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });

  it("a .p12 key with no endpoint goes to Google, and the error says which setting reaches the emulator", async () => {
    const r = await dwd(
      [...get, "--key", botP12, "--key-email", botEmail],
      cleanEnv({ HTTPS_PROXY: proxyUrl }),
    );
    expect(seen).toEqual(["CONNECT oauth2.googleapis.com:443"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const [error, hint, end] = r.stderr.split("\n");
    expect(error).toMatch(
      /^error: Cannot get a token for "info@example\.com": the token endpoint "https:\/\/oauth2\.googleapis\.com\/token" cannot be reached \(/,
    );
    expect(hint).toBe(
      "hint: Check the network, proxy and DNS; if DWD_EMULATOR_HOST is set, check that the emulator is running. A .p12 key names no token endpoint, so this went to Google's; to use the emulator instead, set DWD_EMULATOR_HOST=host:port (tokens and Calendar calls both go there), or tokenUri (--token-uri) to http://host:port/token",
    );
    expect(end).toBe("");
  });

  it("the same .p12 key with DWD_EMULATOR_HOST reaches the emulator", async () => {
    const r = await dwd(
      [...get, "--key", botP12, "--key-email", botEmail],
      cleanEnv({ DWD_EMULATOR_HOST: new URL(emulator.url).host }),
    );
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });
});

describe("egress proxies", () => {
  const origin = (): string => emulator.url;
  const cases: { name: string; env: () => Record<string, string>; viaProxy: boolean }[] = [
    { name: "HTTP_PROXY", env: () => ({ HTTP_PROXY: proxyUrl }), viaProxy: true },
    { name: "http_proxy", env: () => ({ http_proxy: proxyUrl }), viaProxy: true },
    {
      name: "HTTP_PROXY with NO_PROXY=127.0.0.1",
      env: () => ({ HTTP_PROXY: proxyUrl, NO_PROXY: "127.0.0.1" }),
      viaProxy: false,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: the token request and the Calendar call ${c.viaProxy ? "pass through the proxy" : "bypass it"}`, async () => {
      const r = await dwd([...get, "--key", botJson], cleanEnv(c.env()));
      expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
      expect(seen).toEqual(
        c.viaProxy
          ? [
              `POST ${origin()}/token`,
              `GET ${origin()}/calendar/v3/users/me/calendarList/info%40example.com`,
            ]
          : [],
      );
    });
  }
});

/** 1 GiB of zeros, gzipped (about 4.7 MB), made without holding the decoded bytes. */
async function gzipBomb(): Promise<Buffer> {
  const gzip = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => out.push(chunk));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 1024; i++)
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once("drain", resolve));
  const ended = new Promise((resolve) => gzip.once("end", resolve));
  gzip.end();
  await ended;
  return Buffer.concat(out);
}

/** Runs the bundled CLI under /usr/bin/time; resolves with its output and its peak RSS in MiB. */
function dwdMeasured(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string; peakMiB: number }> {
  const report = join(keysDir, `time-${String(Math.random()).slice(2)}.txt`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      "/usr/bin/time",
      ["-f", "%M", "-o", report, process.execPath, dwdPath, ...args],
      { env, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000, killSignal: "SIGKILL" },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      readFile(report, "utf8").then(
        // GNU time puts "Command exited with non-zero status N" first when it did; the figure is last.
        (text) =>
          resolve({ code, stdout, stderr, peakMiB: Number(text.trim().split("\n").at(-1)) / 1024 }),
        reject,
      );
    });
  });
}

describe("hostile upstreams", { timeout: 180_000 }, () => {
  it("a gzip bomb from the Calendar API: answer_too_large, exit 1, peak memory far below 1 GiB", async () => {
    const bomb = await gzipBomb();
    const upstream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(bomb.length),
      });
      res.end(bomb);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const root = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/calendar/v3`;
    try {
      const r = await dwdMeasured([...get, "--key", botJson, "--api-root", root], cleanEnv());
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n")[0]).toBe(
        `error: Cannot call calendar.calendarList.get: the answer of "${root}" is too large (the answer is larger than 67,108,864 bytes once decoded)`,
      );
      // Inflating the whole answer peaked above 4 GB before the bound; the bound is 64 MiB.
      expect(r.peakMiB).toBeGreaterThan(0);
      expect(r.peakMiB).toBeLessThan(400);
    } finally {
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  it("a token endpoint answering 307 elsewhere: the assertion is never re-posted", async () => {
    const elsewhere: string[] = [];
    const target = createServer((req, res) => {
      elsewhere.push(`${req.method} ${req.url}`);
      req.resume();
      res.end("{}");
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const to = `http://127.0.0.1:${(target.address() as AddressInfo).port}/token`;
    const redirecting = createServer((req, res) => {
      req.resume();
      res.writeHead(307, { location: to }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
    const from = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/token`;
    try {
      const r = await dwd([...get, "--key", botJson, "--token-uri", from], cleanEnv());
      expect(r.code).toBe(1);
      expect(r.stderr.split("\n")[0]).toBe(
        `error: Cannot get a token for "info@example.com": the token endpoint "${from}" answered 307, a redirect to "${to}", which dwd does not follow with a signed assertion`,
      );
      expect(elsewhere).toEqual([]);
    } finally {
      for (const s of [target, redirecting]) {
        s.closeAllConnections();
        await new Promise((resolve) => s.close(resolve));
      }
    }
  });
});
