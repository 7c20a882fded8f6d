// gzip as Google serves it (reference §4.6), over a socket: only when the request accepts gzip and names
// gzip in its User-Agent. In-process, `emulator.fetch` answers as a fetch would: decoded.
import { get } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../src/node.ts";
import type { RunningEmulator } from "../src/node.ts";
import { mint, signerFor } from "./helpers.ts";

let running: RunningEmulator;
let ana: string;
beforeAll(async () => {
  running = await startEmulator({ scenario: "demo" });
  const bot = await signerFor(running.emulator, "calendar-bot", () => Date.now());
  ana = await mint(running.emulator, bot, { sub: "ana@example.com" });
});
afterAll(() => running.close());

/** A GET over node:http, which neither asks for nor decodes gzip by itself: the bytes as sent. */
function raw(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; bytes: Uint8Array }> {
  return new Promise((resolve, reject) => {
    get(`${running.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes: Buffer.concat(chunks),
        }),
      );
    }).on("error", reject);
  });
}

const gunzip = async (bytes: Uint8Array): Promise<string> =>
  await new Response(
    new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).text();

describe("gzip over a socket", () => {
  it("compresses an API answer only for Accept-Encoding gzip and a User-Agent naming gzip", async () => {
    const path = "/calendar/v3/calendars/primary/events?maxResults=50";
    const auth = { authorization: `Bearer ${ana}` };
    const plain = await raw(path, { ...auth, "accept-encoding": "gzip", "user-agent": "app/1.0" });
    expect(plain.status).toBe(200);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const text = new TextDecoder().decode(plain.bytes);
    expect(JSON.parse(text)).toMatchObject({ kind: "calendar#events" });

    const refused = await raw(path, {
      ...auth,
      "accept-encoding": "gzip;q=0, br",
      "user-agent": "app/1.0 (gzip)",
    });
    expect(refused.headers["content-encoding"]).toBeUndefined();

    const zipped = await raw(path, {
      ...auth,
      "accept-encoding": "deflate, gzip",
      "user-agent": "app/1.0 (gzip)",
    });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers["content-length"]).toBeUndefined();
    expect(zipped.headers.etag).toBe(plain.headers.etag);
    expect([zipped.bytes[0], zipped.bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(zipped.bytes.byteLength).toBeLessThan(plain.bytes.byteLength);
    expect(await gunzip(zipped.bytes)).toBe(text);
  });

  it("leaves the token endpoint and the control API plain, and emulator.fetch decoded", async () => {
    const asks = { "accept-encoding": "gzip", "user-agent": "app/1.0 (gzip)" };
    const stats = await raw("/_emulator/stats", asks);
    expect(stats.headers["content-encoding"]).toBeUndefined();
    const inProcess = await running.emulator.fetch(
      new Request(`${running.url}/calendar/v3/users/me/calendarList/primary`, {
        headers: { ...asks, authorization: `Bearer ${ana}` },
      }),
    );
    expect(inProcess.headers.get("content-encoding")).toBeNull();
    expect(((await inProcess.json()) as { id: string }).id).toBe("ana@example.com");
  });
});
