// The bundled CLI's transport, end to end against the emulator on a real port: endpoints resolved as the
// library resolves them (a key the emulator wrote is enough, no DWD_EMULATOR_HOST), a .p12 key that went
// to Google by default says how to reach the emulator, and egress proxies carry (or, with NO_PROXY, do not
// carry) every request — counted by a local forward proxy.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv, dwd } from "./helpers.ts";

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
