// The batch answer read as it arrives: the same answers as from the whole text, whatever the pieces
// (delimiters and UTF-8 characters cut anywhere, gzip or not), parts handed on before the rest arrives,
// and a body that fails halfway keeps the answers it delivered.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCalendarClient } from "../src/index.ts";
import type { RetryEvent } from "../src/index.ts";
import { PartSplitter, parseBatch, readBatchAnswer } from "../src/_internal/batch-wire.ts";
import { createFakeCalendar, fakeTokenSource } from "./fake-calendar.ts";

const boundary = "batch_Zq9";

interface PartSpec {
  id: string;
  status: number;
  etag?: string;
  body: string;
}

/** A multipart/mixed batch answer as Google writes it. */
function answerText(parts: readonly PartSpec[], preamble = ""): string {
  let out = preamble;
  for (const p of parts) {
    out += `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-${p.id}>\r\n\r\n`;
    out += `HTTP/1.1 ${p.status} X\r\nContent-Type: application/json; charset=UTF-8\r\n`;
    if (p.etag !== undefined) out += `ETag: ${p.etag}\r\n`;
    out += `\r\n${p.body}\r\n`;
  }
  return `${out}--${boundary}--\r\n`;
}

/** `bytes` as a stream of pieces cut at `cuts` (byte offsets). */
function streamOf(bytes: Uint8Array, cuts: readonly number[]): ReadableStream<Uint8Array> {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    pieces.push(bytes.slice(from, c));
    from = c;
  }
  return new ReadableStream({
    pull(controller) {
      const next = pieces.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
}

async function readAll(
  body: ReadableStream<Uint8Array>,
): Promise<Map<string, { status: number; etag: string | null; text: string }>> {
  const got = new Map<string, { status: number; etag: string | null; text: string }>();
  await readBatchAnswer(
    body,
    boundary,
    (id, a) => got.set(id, { status: a.status, etag: a.headers.get("ETag"), text: a.text }),
    new AbortController().signal,
  );
  return got;
}

const gzip = async (bytes: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(
    await new Response(
      new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );

// Bodies with what trips a splitter: dashes, line breaks, a near-boundary, multi-byte characters.
const bodyText = fc
  .array(fc.constantFrom('{"a":1}', "--", "\r\n", "--batch_Zq", "é", "日本", "😀", "x", '"', "-"), {
    maxLength: 40,
  })
  .map((xs) => xs.join(""));
const partSpecs = fc.uniqueArray(
  fc.record(
    {
      id: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
      status: fc.constantFrom(200, 204, 304, 403, 404, 503),
      etag: fc.constantFrom('"e1"', '"1767225600002000"'),
      body: bodyText,
    },
    { requiredKeys: ["id", "status", "body"] },
  ),
  { selector: (p) => p.id, maxLength: 12 },
);

describe("reading a batch answer as it arrives", () => {
  it("gives the answers of the whole text, wherever the pieces are cut (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        partSpecs,
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        fc.constantFrom("", "preamble\r\n"),
        async (parts, cuts, zipped, preamble) => {
          const text = answerText(parts, preamble);
          let bytes: Uint8Array = new TextEncoder().encode(text);
          if (zipped) bytes = await gzip(bytes);
          const got = await readAll(streamOf(bytes, cuts));
          const whole = parseBatch(text, boundary);
          expect([...got.keys()]).toEqual(parts.map((p) => p.id));
          for (const p of parts) {
            expect(got.get(p.id)).toEqual({ status: p.status, etag: p.etag ?? null, text: p.body });
            expect(whole.get(p.id)?.text).toBe(p.body);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("splits text pieces like the whole text: one character at a time, and a body without its closing delimiter", () => {
    const text = answerText([
      { id: "a", status: 200, body: '{"x":"--batch_Zq"}' },
      { id: "b", status: 404, body: "😀" },
    ]);
    const bySplitter = (pieces: readonly string[]): string[] => {
      const s = new PartSplitter(boundary);
      return [...pieces.flatMap((p) => s.push(p)), ...s.end()];
    };
    const whole = bySplitter([text]);
    expect(whole).toHaveLength(2);
    expect(bySplitter([...text])).toEqual(whole);
    const unclosed = text.slice(0, text.lastIndexOf(`--${boundary}--`));
    expect(bySplitter([unclosed])).toEqual(whole);
    // What follows the closing delimiter is never a part.
    expect(
      bySplitter([
        `${text}--${boundary}\r\nContent-ID: <response-z>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{}`,
      ]),
    ).toEqual(whole);
  });

  it("finds the Content-ID in any case, and not in another header whose name ends the same", () => {
    const text =
      `--${boundary}\r\nX-Old-Content-ID: <response-wrong>\r\ncontent-id: <response-right>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{}\r\n` +
      `--${boundary}\r\nCONTENT-ID:<response-second>\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n{}\r\n--${boundary}--`;
    expect([...parseBatch(text, boundary).keys()]).toEqual(["right", "second"]);
  });

  it("hands a part on before the rest of the body has arrived", async () => {
    const text = answerText([
      { id: "first", status: 200, body: "{}" },
      { id: "second", status: 200, body: "{}" },
    ]);
    const cut = text.indexOf(`--${boundary}`, 10) + boundary.length + 2;
    const seen: string[] = [];
    const seenBeforeRest: string[][] = [];
    let pulls = 0;
    // highWaterMark 0: a piece is asked for only when the reader wants one.
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (pulls === 0) controller.enqueue(new TextEncoder().encode(text.slice(0, cut)));
          else if (pulls === 1) {
            seenBeforeRest.push([...seen]);
            controller.enqueue(new TextEncoder().encode(text.slice(cut)));
          } else controller.close();
          pulls++;
        },
      },
      { highWaterMark: 0 },
    );
    await readBatchAnswer(body, boundary, (id) => seen.push(id), new AbortController().signal);
    expect(seenBeforeRest).toEqual([["first"]]);
    expect(seen).toEqual(["first", "second"]);
  });

  it("rejects when the signal aborts, keeping the parts handed on", async () => {
    const text = answerText([
      { id: "a", status: 200, body: "{}" },
      { id: "b", status: 200, body: "{}" },
    ]);
    const controller = new AbortController();
    const seen: string[] = [];
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (pulls++ === 0) c.enqueue(new TextEncoder().encode(text.slice(0, text.length - 20)));
          else {
            controller.abort(new DOMException("No answer within 5 ms", "TimeoutError"));
            return new Promise<void>(() => {}); // never more
          }
        },
      },
      { highWaterMark: 0 },
    );
    await expect(
      readBatchAnswer(body, boundary, (id) => seen.push(id), controller.signal),
    ).rejects.toThrow("No answer within 5 ms");
    expect(seen).toEqual(["a"]); // b was not complete yet
  });
});

describe("cal.batch() over a body that fails halfway", () => {
  it("keeps the answers that arrived; only the parts still waiting are sent again", async () => {
    const fake = createFakeCalendar();
    const retries: RetryEvent[] = [];
    let broken = 0;
    const cal = createCalendarClient({
      tokenSource: fakeTokenSource(),
      rootUrl: "http://fake/calendar/v3",
      retry: { random: () => 0, sleep: () => Promise.resolve() },
      onRetry: (e) => retries.push(e),
      fetch: async (input, init) => {
        const res = await fake.fetch(input, init);
        if (!String(input).includes("/batch/") || broken++ > 0) return res;
        // The first batch's answer breaks off after its second part: the connection was reset.
        const text = await res.text();
        const b = /boundary=([^;]+)/.exec(res.headers.get("content-type") ?? "")![1]!;
        let at = -1;
        for (let i = 0; i < 3; i++) at = text.indexOf(`--${b}`, at + 1);
        const head = new TextEncoder().encode(text.slice(0, at + `--${b}`.length));
        let pulls = 0;
        const body = new ReadableStream<Uint8Array>(
          {
            pull(c) {
              if (pulls++ === 0) c.enqueue(head);
              else c.error(new TypeError("terminated", { cause: new Error("other side closed") }));
            },
          },
          { highWaterMark: 0 },
        );
        return new Response(body, { status: res.status, headers: res.headers });
      },
    });
    const users = ["a", "b", "c", "d", "e"].map((u) => `${u}@example.com`);
    for (const u of users) await cal.as(u).events.insert("primary", { summary: `of ${u}` });
    fake.log.length = 0;
    const results = await cal.batch((b) => users.map((u) => b.as(u).events.list("primary")));
    expect(results.map((r) => r.ok && r.value.items?.[0]?.summary)).toEqual(
      users.map((u) => `of ${u}`),
    );
    // The fake answers in reverse order: e's and d's answers arrived before the break, so only a, b
    // and c were retried, once each.
    expect(retries.map((r) => [r.subject, r.attempt, r.error.code])).toEqual([
      ["a@example.com", 1, "api_unreachable"],
      ["b@example.com", 1, "api_unreachable"],
      ["c@example.com", 1, "api_unreachable"],
    ]);
    expect(fake.log).toHaveLength(5 + 3);
  });
});
