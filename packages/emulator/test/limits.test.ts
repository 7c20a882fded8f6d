/* eslint-disable @typescript-eslint/no-unsafe-member-access -- JSON bodies are read as any */
import { beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "./calendar-helpers.ts";
import { harness, read } from "./calendar-helpers.ts";
import { maxPartHeaderBytes } from "../src/_internal/batch.ts";

const LIMIT = 10_485_760;
const tooLarge = JSON.stringify({
  error: {
    code: 400,
    message: `Request payload size exceeds the limit: ${LIMIT} bytes.`,
    errors: [
      {
        message: `Request payload size exceeds the limit: ${LIMIT} bytes.`,
        domain: "global",
        reason: "badRequest",
      },
    ],
    status: "INVALID_ARGUMENT",
  },
});

let h: Harness;
let t: string;
beforeEach(async () => {
  h = await harness();
  t = await h.token("info@example.com");
});

const boundary = "batch_limits";
function batch(parts: string[], epilogue = ""): string {
  return `${parts.map((p) => `--${boundary}\r\n${p}`).join("\r\n")}\r\n--${boundary}--\r\n${epilogue}`;
}
const getPrimary = [
  "Content-Type: application/http",
  "Content-ID: <p1>",
  "",
  "GET /calendar/v3/users/me/calendarList/primary HTTP/1.1",
  "",
].join("\r\n");

function postBatch(body: BodyInit, extra: Record<string, string> = {}): Promise<Response> {
  return h.emulator.fetch(
    new Request(`${h.emulator.baseUrl}/batch/calendar/v3`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${t}`,
        "content-type": `multipart/mixed; boundary=${boundary}`,
        ...extra,
      },
      body,
      duplex: "half",
    } as RequestInit),
  );
}

describe("request bodies are bounded as Google's front end bounds them (10 MiB)", () => {
  it("a batch of exactly 10485760 bytes runs; one byte more gets Google's 400 payload answer", async () => {
    const base = batch([getPrimary]);
    const exact = batch([getPrimary], "x".repeat(LIMIT - base.length));
    expect(new TextEncoder().encode(exact).byteLength).toBe(LIMIT);
    const ok = await read(await postBatch(exact));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("HTTP/1.1 200 OK");
    const over = await read(await postBatch(`${exact}x`));
    expect(over.status).toBe(400);
    expect(over.text).toBe(tooLarge);
  });

  it("an event insert over the limit is refused the same way and nothing is stored", async () => {
    const event = {
      summary: "big",
      description: "d".repeat(LIMIT),
      start: { dateTime: "2026-04-02T10:00:00Z" },
      end: { dateTime: "2026-04-02T11:00:00Z" },
    };
    const res = await h.call(t, "POST", "calendars/primary/events", { body: event });
    expect(res.status).toBe(400);
    expect(res.text).toBe(tooLarge);
    const list = await h.call(t, "GET", "calendars/primary/events?q=big");
    expect(list.json.items).toEqual([]);
  });

  it("a Content-Length over the limit is refused unread", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 65_536;
        controller.enqueue(new Uint8Array(65_536));
      },
    });
    const res = await read(
      await postBatch(endless, { "content-length": String(300 * 1024 * 1024) }),
    );
    expect(res.status).toBe(400);
    expect(res.text).toBe(tooLarge);
    expect(pulled).toBeLessThanOrEqual(2 * 65_536); // the stream's own read-ahead at most
  });

  it("an endless body without Content-Length is cut one chunk past the limit, not read to the end", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 65_536;
        controller.enqueue(new Uint8Array(65_536));
      },
    });
    const res = await read(await postBatch(endless));
    expect(res.status).toBe(400);
    expect(res.text).toBe(tooLarge);
    expect(pulled).toBeGreaterThan(LIMIT);
    expect(pulled).toBeLessThanOrEqual(LIMIT + 3 * 65_536);
  });

  it("maxBodyBytes lowers the limit and names it in the answer; a bad value is a RangeError", async () => {
    const small = await harness({ maxBodyBytes: 1024 });
    const token = await small.token("info@example.com");
    const res = await small.call(token, "POST", "calendars/primary/events", {
      body: { summary: "s".repeat(2000) },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toBe("Request payload size exceeds the limit: 1024 bytes.");
    await expect(harness({ maxBodyBytes: 0 })).rejects.toThrow(
      new RangeError("maxBodyBytes must be a positive integer, got 0"),
    );
  });
});

describe("batch part headers are bounded", () => {
  it(`a part whose header section is over ${maxPartHeaderBytes} bytes is a 400 part; at the bound it runs; the other parts run`, async () => {
    const head = (pad: number): string =>
      [
        "Content-Type: application/http",
        "",
        "GET /calendar/v3/users/me/calendarList/primary HTTP/1.1",
        `X-Pad: ${"p".repeat(pad)}`,
        "",
      ].join("\r\n");
    // Header lines counted with their CRLF: the two MIME lines, the request line and X-Pad.
    const fixed =
      "Content-Type: application/http".length +
      2 +
      "GET /calendar/v3/users/me/calendarList/primary HTTP/1.1".length +
      2 +
      "X-Pad: ".length +
      2;
    const atBound = head(maxPartHeaderBytes - fixed);
    const over = head(maxPartHeaderBytes - fixed + 1);
    const res = await read(await postBatch(batch([atBound, over, getPrimary])));
    expect(res.status).toBe(200);
    const statuses = [...res.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(["200", "400", "200"]);
    expect(res.text).toContain('"reason":"badRequest","message":"Bad Request"');
  });
});

describe("over a real socket", () => {
  it("a 300 MB batch upload is answered 400 after about 10 MiB; the rest is never sent", async () => {
    const { startEmulator } = await import("../src/node.ts");
    const { request } = await import("node:http");
    const running = await startEmulator({ port: 0 });
    try {
      const total = 300 * 1024 * 1024;
      const chunk = Buffer.alloc(1024 * 1024, 0x78);
      let written = 0;
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${running.url}/batch/calendar/v3`, {
          method: "POST",
          headers: { "content-type": `multipart/mixed; boundary=${boundary}` },
        });
        let answered = false;
        req.on("response", (res) => {
          answered = true;
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => (text += d));
          res.on("end", () => {
            resolve({ status: res.statusCode ?? 0, text });
            req.destroy();
          });
        });
        req.on("error", (err) => {
          if (!answered) reject(err);
        });
        // Write as the socket drains, until answered: a server that read everything would take all 300 MB.
        const pump = (): void => {
          while (!answered && written < total) {
            written += chunk.byteLength;
            if (!req.write(chunk)) {
              req.once("drain", pump);
              return;
            }
          }
          if (!answered) req.end();
        };
        pump();
      });
      expect(answer.status).toBe(400);
      expect(answer.text).toBe(tooLarge);
      expect(written).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await running.close();
    }
  }, 60_000);
});
