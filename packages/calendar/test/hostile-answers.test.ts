// A hostile Calendar upstream on a real port: a gzip bomb (a few MB that inflate to 1 GiB) is cut off at
// 64 MiB of DECODED bytes — by the runtime's fetch (which inflates) and by createNodeFetch (the client
// inflates), for single calls and for batches — in bounded memory; and a redirect is never followed
// with a bearer token.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createGzip } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CalendarApiError, createCalendarClient } from "../src/index.ts";
import type { CalendarFetch } from "../src/index.ts";
import { createNodeFetch } from "../src/node.ts";

const GiB = 1024 * 1024 * 1024;

/** `decodedBytes` of zeros, gzipped at level 1 (1 GiB → about 4.7 MB), made without holding them. */
async function gzipBomb(decodedBytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => out.push(chunk));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = decodedBytes; left > 0; left -= zeros.length)
    if (!gzip.write(zeros)) await new Promise((resolve) => gzip.once("drain", resolve));
  const ended = new Promise((resolve) => gzip.once("end", resolve));
  gzip.end();
  await ended;
  return Buffer.concat(out);
}

interface Server {
  url: string;
  received: string[];
  close: () => Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const tokenSource = {
  getToken: () =>
    Promise.resolve({ accessToken: "ya29.hostile-test-token", expiresAt: Infinity, scopes: [] }),
};

let bomb: Buffer;
let bombing: Server;
let elsewhere: Server;
let redirecting: Server;

beforeAll(async () => {
  bomb = await gzipBomb(GiB);
  bombing = await listen((req, res) => {
    const batch = req.url?.startsWith("/batch/") === true;
    res.writeHead(200, {
      "content-type": batch ? "multipart/mixed; boundary=batch_bomb" : "application/json",
      "content-encoding": "gzip",
      "content-length": String(bomb.length),
    });
    res.end(bomb);
  });
  elsewhere = await listen((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ kind: "calendar#events", items: [] }));
  });
  redirecting = await listen((req, res) => {
    res.writeHead(307, { location: `${elsewhere.url}${req.url ?? "/"}` }).end();
  });
});

afterAll(async () => {
  await Promise.all([bombing.close(), elsewhere.close(), redirecting.close()]);
});

/** Runs `work` and says how far the process's memory grew, in MiB. */
async function growth<T>(work: () => Promise<T>): Promise<{ result: T; rssMiB: number }> {
  const before = process.memoryUsage().rss;
  const result = await work();
  return { result, rssMiB: (process.memoryUsage().rss - before) / 2 ** 20 };
}

const transports: { name: string; fetch?: CalendarFetch; gzip?: boolean }[] = [
  { name: "the runtime's fetch (it inflates)" },
  { name: "createNodeFetch (the client inflates)", fetch: createNodeFetch(), gzip: true },
];

describe("gzip bombs", { timeout: 120_000 }, () => {
  for (const t of transports) {
    it(`a single call stops at 64 MiB decoded, with ${t.name}`, async () => {
      const cal = createCalendarClient({
        tokenSource,
        rootUrl: `${bombing.url}/calendar/v3`,
        retry: false,
        env: {},
        ...(t.fetch ? { fetch: t.fetch, gzip: t.gzip } : {}),
      });
      const { result: error, rssMiB } = await growth(() =>
        cal.events.list("primary").catch((e: unknown) => e),
      );
      expect(error).toBeInstanceOf(CalendarApiError);
      expect((error as CalendarApiError).code).toBe("answer_too_large");
      expect((error as CalendarApiError).message).toBe(
        `Cannot call calendar.events.list: the answer of "${bombing.url}/calendar/v3" is too large (the answer is larger than 67,108,864 bytes once decoded)`,
      );
      expect((error as CalendarApiError).retryable).toBe(false);
      // The bomb inflates to 1,024 MiB; only the bound (64 MiB) and the decoder's buffers are held.
      expect(rssMiB).toBeLessThan(256);
    });

    it(`a batch stops at 64 MiB decoded, with ${t.name}`, async () => {
      const cal = createCalendarClient({
        tokenSource,
        rootUrl: `${bombing.url}/calendar/v3`,
        retry: false,
        env: {},
        ...(t.fetch ? { fetch: t.fetch, gzip: t.gzip } : {}),
      });
      const { result, rssMiB } = await growth(() =>
        cal.batch((b) => [b.as("ana@example.com").events.list("primary"), b.colors.get()]),
      );
      expect(result).toHaveLength(2);
      for (const part of result) {
        expect(part.ok).toBe(false);
        if (part.ok) continue;
        expect((part.error as CalendarApiError).code).toBe("answer_too_large");
        expect(part.error.message).toMatch(
          /: the answer of "http:\/\/127\.0\.0\.1:\d+\/batch\/calendar\/v3" is too large \(the answer is larger than 67,108,864 bytes once decoded\)$/,
        );
      }
      expect(rssMiB).toBeLessThan(256);
    });
  }
});

describe("redirects", () => {
  for (const t of transports) {
    it(`a 307 from the API is an error and the token never reaches its target, with ${t.name}`, async () => {
      elsewhere.received.length = 0;
      const cal = createCalendarClient({
        tokenSource,
        rootUrl: `${redirecting.url}/calendar/v3`,
        retry: false,
        env: {},
        ...(t.fetch ? { fetch: t.fetch } : {}),
      });
      const error = await cal.events.list("primary").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CalendarApiError);
      expect((error as CalendarApiError).code).toBe("redirected");
      expect((error as CalendarApiError).message).toBe(
        "Cannot call calendar.events.list: the Calendar API answered HTTP 307, a redirect, which dwd does not follow with an access token",
      );
      const [part] = await cal.batch((b) => [b.as("ana@example.com").events.list("primary")]);
      expect(part.ok).toBe(false);
      if (!part.ok) expect((part.error as CalendarApiError).code).toBe("redirected");
      expect(elsewhere.received).toEqual([]);
    });
  }
});
