// Egress proxies through createNodeFetch, against a local forward proxy that counts what passes through
// it: HTTP goes as absolute-form requests to the proxy, HTTPS through a CONNECT tunnel (the proxy here
// refuses the tunnel, so nothing leaves the machine, and says whom it was asked to reach), NO_PROXY
// bypasses it, lowercase variables count as well.
import { createTokenSource, loadKey } from "@dwd/auth";
import { generateKeyPairSync } from "node:crypto";
import { createServer, request } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CalendarApiError, createCalendarClient } from "../src/index.ts";
import { createNodeFetch } from "../src/node.ts";
import { nodeProxiesNatively } from "../src/_internal/node-fetch.node.ts";

interface Server {
  url: string;
  seen: string[];
  close: () => Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  onConnect?: (req: IncomingMessage, socket: Duplex) => void,
): Promise<Server> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  if (onConnect)
    server.on("connect", (req: IncomingMessage, socket) => {
      seen.push(`CONNECT ${req.url}`);
      onConnect(req, socket);
    });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let target: Server;
let proxy: Server;

beforeAll(async () => {
  target = await listen((req, res) => {
    req.resume();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ path: req.url }));
  });
  // A forward proxy: absolute-form requests are passed on; tunnels are refused with 403.
  proxy = await listen(
    (req, res) => {
      const upstream = request(
        req.url ?? "",
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
    },
    (_req, socket) => {
      socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
    },
  );
});

afterAll(async () => {
  await Promise.all([target.close(), proxy.close()]);
});

const hostOf = (url: string): string => new URL(url).host;

describe("createNodeFetch behind an egress proxy", { timeout: 60_000 }, () => {
  const cases: { name: string; env: Record<string, string>; viaProxy: boolean }[] = [
    { name: "HTTP_PROXY", env: { HTTP_PROXY: "<proxy>" }, viaProxy: true },
    { name: "http_proxy (lowercase)", env: { http_proxy: "<proxy>" }, viaProxy: true },
    {
      name: "NO_PROXY naming the host bypasses HTTP_PROXY",
      env: { HTTP_PROXY: "<proxy>", NO_PROXY: "example.com,127.0.0.1" },
      viaProxy: false,
    },
    {
      name: "no_proxy with the host and port bypasses http_proxy",
      env: { http_proxy: "<proxy>", no_proxy: "<target-host>" },
      viaProxy: false,
    },
    {
      name: "HTTPS_PROXY alone leaves http:// alone",
      env: { HTTPS_PROXY: "<proxy>" },
      viaProxy: false,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.viaProxy ? "through the proxy" : "straight to the host"}`, async () => {
      proxy.seen.length = 0;
      target.seen.length = 0;
      const env = Object.fromEntries(
        Object.entries(c.env).map(([k, v]) => [
          k,
          v.replace("<proxy>", proxy.url).replace("<target-host>", hostOf(target.url)),
        ]),
      );
      const fetch = createNodeFetch({ proxyEnv: env });
      const res = await fetch(`${target.url}/calendar/v3/colors?x=1`);
      expect(JSON.parse(await res.text())).toEqual({ path: "/calendar/v3/colors?x=1" });
      expect(target.seen).toEqual(["GET /calendar/v3/colors?x=1"]);
      expect(proxy.seen).toEqual(c.viaProxy ? [`GET ${target.url}/calendar/v3/colors?x=1`] : []);
    });
  }

  it("HTTPS_PROXY: Calendar calls and token requests to Google go through CONNECT tunnels", async () => {
    proxy.seen.length = 0;
    const fetch = createNodeFetch({ proxyEnv: { HTTPS_PROXY: proxy.url } });
    const tokenSource = createTokenSource(
      await loadKey(
        JSON.stringify({
          type: "service_account",
          client_email: "bot@test-project.iam.gserviceaccount.com",
          private_key: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
            type: "pkcs8",
            format: "pem",
          }),
        }),
      ),
      { fetch, env: {} },
    );
    const token = await tokenSource
      .getToken({
        subject: "ana@example.com",
        scopes: ["https://www.googleapis.com/auth/calendar"],
      })
      .catch((e: unknown) => e);
    expect((token as Error).message).toMatch(
      /^Cannot get a token for "ana@example\.com": the token endpoint "https:\/\/oauth2\.googleapis\.com\/token" cannot be reached/,
    );
    const cal = createCalendarClient({
      tokenSource: {
        getToken: () => Promise.resolve({ accessToken: "ya29.x", expiresAt: Infinity, scopes: [] }),
      },
      fetch,
      retry: false,
      env: {},
    });
    const error = await cal.colors.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalendarApiError);
    expect((error as CalendarApiError).code).toBe("api_unreachable");
    expect((error as CalendarApiError).message).toMatch(
      /^Cannot call calendar\.colors\.get: the Calendar API at "https:\/\/www\.googleapis\.com\/calendar\/v3" cannot be reached \(Failed to establish tunnel to www\.googleapis\.com:443 via http:\/\/127\.0\.0\.1:\d+: HTTP\/1\.1 403 Forbidden/,
    );
    expect(proxy.seen).toEqual([
      "CONNECT oauth2.googleapis.com:443",
      "CONNECT www.googleapis.com:443",
    ]);
  });

  it("by default the variables come from process.env (dwd-server's transport)", async () => {
    proxy.seen.length = 0;
    const saved = process.env["HTTP_PROXY"];
    process.env["HTTP_PROXY"] = proxy.url;
    try {
      const fetch = createNodeFetch();
      await (await fetch(`${target.url}/from-env`)).text();
    } finally {
      if (saved === undefined) delete process.env["HTTP_PROXY"];
      else process.env["HTTP_PROXY"] = saved;
    }
    expect(proxy.seen).toEqual([`GET ${target.url}/from-env`]);
  });

  it("proxyEnv: null sends straight to the host whatever the variables say", async () => {
    proxy.seen.length = 0;
    const fetch = createNodeFetch({ proxyEnv: null });
    const res = await fetch(`${target.url}/direct`);
    expect(res.status).toBe(200);
    expect(proxy.seen).toEqual([]);
  });
});

describe("which Node proxies natively", () => {
  const cases: [string, boolean][] = [
    ["22.18.0", false],
    ["22.20.1", false],
    ["22.21.0", true],
    ["23.11.0", false], // ended before the feature came
    ["24.4.1", false],
    ["24.5.0", true],
    ["25.0.0", true],
  ];
  for (const [version, native] of cases)
    it(`Node ${version}: ${native ? "agents read proxyEnv" : "a proxied request fails instead"}`, () => {
      expect(nodeProxiesNatively(version)).toBe(native);
    });
});
