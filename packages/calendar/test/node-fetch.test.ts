// createNodeFetch against real sockets: the answer's headers resolve it, its body arrives as it is sent,
// and it is bounded by the caller's signal, by silence, by total time and by size. Then the whole way:
// the calendar client and the token source over it, against the emulator on a real port.
import { createTokenSource, loadKey } from "@dwd/auth";
import type { FetchLike } from "@dwd/auth";
import { demoScenario } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createCalendarClient } from "../src/index.ts";
import { createNodeFetch } from "../src/node.ts";

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of servers.splice(0)) await close();
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const causeCode = (e: unknown): unknown => ((e as Error).cause as { code?: unknown }).code;

describe("createNodeFetch", { timeout: 60_000 }, () => {
  it("loads node:https only when an https:// URL is first asked for", async () => {
    const url = await serve((_req, res) => res.end("ok"));
    const node = fileURLToPath(new URL("../src/node.ts", import.meta.url));
    const script = `
      import { createNodeFetch } from ${JSON.stringify(node)};
      const loaded = () => process.moduleLoadList.includes("NativeModule https");
      const fetch = createNodeFetch({ proxyEnv: null });
      const before = loaded();
      const text = await (await fetch(${JSON.stringify(url)})).text();
      const afterHttp = loaded();
      const error = await fetch("https://127.0.0.1:1/").then(() => "answered", (e) => e.cause.code);
      console.log(JSON.stringify({ before, text, afterHttp, error, afterHttps: loaded() }));`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    await new Promise((resolve) => child.on("close", resolve));
    expect(JSON.parse(out)).toEqual({
      before: false,
      text: "ok",
      afterHttp: false,
      error: "ECONNREFUSED",
      afterHttps: true,
    });
  });

  it("sends method, headers and body; answers status, headers (any case) and text", async () => {
    const url = await serve((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        res.writeHead(201, { "content-type": "application/json", etag: '"e1"' });
        res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body }));
      });
    });
    const res = await createNodeFetch()(`${url}/x`, {
      method: "POST",
      headers: { authorization: "Bearer t" },
      body: "hello",
    });
    expect([res.status, res.ok, res.headers.get("ETag")]).toEqual([201, true, '"e1"']);
    expect(JSON.parse(await res.text())).toEqual({
      method: "POST",
      auth: "Bearer t",
      body: "hello",
    });
  });

  it("resolves on the answer's headers; the body hands each piece on as it is sent", async () => {
    let sendRest!: () => void;
    const rest = new Promise<void>((r) => (sendRest = r));
    const url = await serve((_req, res) => {
      res.writeHead(200);
      res.write("first");
      void rest.then(() => res.end("second"));
    });
    const res = await createNodeFetch()(url);
    const pieces: string[] = [];
    for await (const chunk of res.body) {
      pieces.push(new TextDecoder().decode(chunk));
      if (pieces.length === 1) sendRest(); // the rest is sent only once the first piece was read
    }
    expect(pieces).toEqual(["first", "second"]);
  });

  it("rejects with the signal's reason, before the answer and while its body is read", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/slow-body") {
        res.writeHead(200);
        res.write("part");
      } // else: never answers
    });
    const fetch = createNodeFetch();
    const before = new AbortController();
    const pending = fetch(`${url}/never`, { signal: before.signal });
    before.abort(new DOMException("stopped by the caller", "AbortError"));
    await expect(pending).rejects.toThrow("stopped by the caller");

    const during = new AbortController();
    const res = await fetch(`${url}/slow-body`, { signal: during.signal });
    const reading = res.text();
    during.abort(new DOMException("stopped while reading", "AbortError"));
    await expect(reading).rejects.toThrow("stopped while reading");
  });

  it("fails as fetch does on silence, on a trickle past the deadline, on size, and on a refused connection", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/big") {
        res.writeHead(200);
        res.end("x".repeat(2048));
      } else if (req.url === "/trickle") {
        res.writeHead(200);
        const timer = setInterval(() => res.write("."), 20);
        res.on("close", () => clearInterval(timer));
      } // else: silence
    });
    const silent = await createNodeFetch({ timeoutMs: 100, deadlineMs: 60_000 })(
      `${url}/silent`,
    ).catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(TypeError);
    expect((silent as Error).message).toBe("no answer within 0.1 s");
    expect(causeCode(silent)).toBe("ETIMEDOUT");

    const trickle = await createNodeFetch({ timeoutMs: 1000, deadlineMs: 200 })(`${url}/trickle`);
    const trickled = await trickle.text().catch((e: unknown) => e);
    expect((trickled as Error).message).toBe("no complete answer within 0.2 s");
    expect(causeCode(trickled)).toBe("ETIMEDOUT");

    const big = await createNodeFetch({ maxBodyBytes: 1024 })(`${url}/big`);
    const tooBig = await big.text().catch((e: unknown) => e);
    expect((tooBig as Error).message).toBe("the answer is larger than 1024 bytes");
    expect(causeCode(tooBig)).toBe("EFBIG");

    const closed = await serve(() => {});
    await servers.pop()!();
    const refused = await createNodeFetch()(`${closed}/`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TypeError);
    expect(causeCode(refused)).toBe("ECONNREFUSED");
  });

  it("carries a token source and a calendar client against the emulator, batches read as they arrive", async () => {
    const running = await startEmulator({
      scenario: demoScenario,
      keysDir: mkdtempSync(join(tmpdir(), "dwd-node-fetch-")),
    });
    servers.push(() => running.close());
    const fetch = createNodeFetch({ timeoutMs: 10_000 });
    const asFetchLike: FetchLike = fetch;
    const key = await loadKey(running.keyFiles["calendar-bot"]!.json, { env: {} });
    const tokenSource = createTokenSource(key, { env: {}, fetch: asFetchLike });
    const cal = createCalendarClient({ tokenSource, fetch, env: {} });
    const users = ["info@example.com", "ana@example.com", "bob@example.com"];
    const results = await cal.batch((b) => users.map((u) => b.as(u).calendarList.get(u)));
    expect(results.map((r) => r.ok && r.value.id)).toEqual(users);
    const missing = await cal
      .as("ana@example.com")
      .events.get("primary", "nosuchevent0")
      .catch((e: unknown) => e);
    expect((missing as { code?: string }).code).toBe("not_found");
  });

  it("with gzip asked for, the emulator compresses and the client inflates, single calls and batches", async () => {
    const running = await startEmulator({
      scenario: demoScenario,
      keysDir: mkdtempSync(join(tmpdir(), "dwd-node-fetch-gzip-")),
    });
    servers.push(() => running.close());
    const nodeFetch = createNodeFetch({ timeoutMs: 10_000 });
    const encodings: (string | null)[] = [];
    const key = await loadKey(running.keyFiles["calendar-bot"]!.json, { env: {} });
    const cal = createCalendarClient({
      tokenSource: createTokenSource(key, { env: {}, fetch: nodeFetch }),
      env: {},
      gzip: true,
      fetch: async (url, init) => {
        const res = await nodeFetch(url, init);
        encodings.push(res.headers.get("content-encoding"));
        return res;
      },
    });
    const entry = await cal.as("ana@example.com").calendarList.get("ana@example.com");
    expect(entry.id).toBe("ana@example.com");
    const users = ["info@example.com", "ana@example.com", "bob@example.com"];
    const results = await cal.batch((b) => users.map((u) => b.as(u).events.list("primary")));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(encodings).toEqual(["gzip", "gzip"]);
  });
});
