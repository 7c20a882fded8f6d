// dwd-server's upstream transport on Node (node:http with keep-alive) and the deadline around every
// upstream call: answers read whole, the caller's signal and the deadline abort (with the signal's
// reason, as fetch does), a network failure is a TypeError with the system error as its cause, and
// the deadline covers the body as well as the headers, over node:http and over fetch.
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFetch } from "../src/_internal/node-fetch.ts";
import { fetchWithTimeout } from "../src/server.ts";

let server: Server;
let base = "";
const seen: { method?: string; headers: IncomingMessage["headers"]; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8").on("data", (d: string) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method, headers: req.headers, body });
      if (req.url === "/json") {
        res.writeHead(201, { "content-type": "application/json", "x-thing": "a" });
        res.end(JSON.stringify({ got: body, text: "é ✓" }));
      } else if (req.url === "/hang") {
        // never answers
      } else if (req.url === "/slow-body") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"part":');
        setTimeout(() => res.end("1}"), 1500).unref();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("nodeFetch", () => {
  it("sends the method, headers and body, and reads the whole answer", async () => {
    const r = await nodeFetch(`${base}/json`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Bearer t" },
      body: "a=1&b=é",
    });
    expect(r.status).toBe(201);
    expect(r.ok).toBe(true);
    expect(r.headers.get("Content-Type")).toBe("application/json");
    expect(r.headers.get("x-thing")).toBe("a");
    expect(r.headers.get("x-none")).toBeNull();
    expect(JSON.parse(await r.text())).toEqual({ got: "a=1&b=é", text: "é ✓" });
    expect(new TextDecoder().decode(await r.arrayBuffer())).toBe(await r.text());
    const sent = seen.at(-1)!;
    expect(sent.method).toBe("POST");
    expect(sent.headers["content-length"]).toBe(String(Buffer.byteLength("a=1&b=é")));
    expect(sent.headers.authorization).toBe("Bearer t");
    const missing = await nodeFetch(`${base}/missing`);
    expect(missing.status).toBe(404);
    expect(missing.ok).toBe(false);
    expect(await missing.text()).toBe("");
  });

  it("rejects with the signal's reason when aborted, before or during the call", async () => {
    const before = new AbortController();
    before.abort(new Error("stopped before"));
    await expect(nodeFetch(`${base}/json`, { signal: before.signal })).rejects.toThrow(
      "stopped before",
    );
    const during = new AbortController();
    const call = nodeFetch(`${base}/hang`, { signal: during.signal });
    setTimeout(() => during.abort(new DOMException("gave up", "TimeoutError")), 50);
    await expect(call).rejects.toMatchObject({ name: "TimeoutError", message: "gave up" });
  });

  it("a refused connection is a TypeError whose cause is the system error", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = (await nodeFetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect((error.cause as { code?: string }).code).toBe("ECONNREFUSED");
  });
});

describe("fetchWithTimeout", () => {
  for (const [name, transport] of [
    ["node:http", nodeFetch],
    ["fetch", (url: string, init?: RequestInit) => fetch(url, init)],
  ] as const) {
    it(`${name}: a call that does not answer, or whose body does not end, fails with a TimeoutError`, async () => {
      const f = fetchWithTimeout(transport, 300);
      const hang = await f(`${base}/hang`).catch((e: unknown) => e);
      expect(hang).toMatchObject({ name: "TimeoutError" });
      const slow = await f(`${base}/slow-body`)
        .then((r) => r.text())
        .catch((e: unknown) => e);
      expect(slow).toMatchObject({ name: "TimeoutError" });
      const ok = await f(`${base}/json`, { method: "POST", body: "x" });
      expect(JSON.parse(await ok.text())).toEqual({ got: "x", text: "é ✓" });
    });

    it(`${name}: the caller's signal still aborts, with its reason`, async () => {
      const f = fetchWithTimeout(transport, 10_000);
      const controller = new AbortController();
      const call = f(`${base}/hang`, { signal: controller.signal });
      setTimeout(() => controller.abort(new Error("caller left")), 50);
      await expect(call).rejects.toThrow("caller left");
    });
  }
});
