/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- JSON bodies are read as any */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { beforeEach, describe, expect, it } from "vitest";
import type { Harness } from "./calendar-helpers.ts";
import { harness, legacyError, read } from "./calendar-helpers.ts";
import { flushBytes } from "../src/_internal/batch.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});

function batchBody(
  boundary: string,
  parts: { id: string; method: string; path: string; auth?: string; body?: unknown }[],
): string {
  const chunks = parts.map((p) => {
    const lines = [
      `--${boundary}`,
      "Content-Type: application/http",
      `Content-ID: <${p.id}>`,
      "",
      `${p.method} ${p.path} HTTP/1.1`,
    ];
    if (p.auth !== undefined) lines.push(`Authorization: Bearer ${p.auth}`);
    if (p.body !== undefined)
      lines.push("Content-Type: application/json", "", JSON.stringify(p.body));
    else lines.push("");
    return lines.join("\r\n");
  });
  return `${chunks.join("\r\n")}\r\n--${boundary}--\r\n`;
}

function parseMultipart(
  contentType: string,
  text: string,
): { contentId: string; status: number; body: string }[] {
  const boundary = /boundary=(\S+)/.exec(contentType)?.[1] ?? "";
  return text
    .split(`--${boundary}`)
    .slice(1)
    .filter((c) => !c.startsWith("--"))
    .map((chunk) => {
      const contentId = /Content-ID: (<[^>]+>)/.exec(chunk)?.[1] ?? "";
      const status = Number(/HTTP\/1\.1 (\d{3})/.exec(chunk)?.[1]);
      const body = chunk.split("\r\n\r\n").slice(2).join("\r\n\r\n").trim();
      return { contentId, status, body };
    });
}

function postBatch(token: string, body: string, boundary = "batch_test"): Promise<Response> {
  return h.emulator.fetch(
    new Request(`${h.emulator.baseUrl}/batch/calendar/v3`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/mixed; boundary=${boundary}`,
      },
      body,
    }),
  );
}

describe("POST /batch/calendar/v3", () => {
  it("runs each part alone, inner Authorization overriding the outer, Content-IDs answered as <response-…>", async () => {
    const info = await h.token("info@example.com");
    const ana = await h.token("ana@example.com");
    const body = batchBody("batch_test", [
      { id: "a1", method: "GET", path: "/calendar/v3/users/me/calendarList/primary" },
      { id: "a2", method: "GET", path: "/calendar/v3/users/me/calendarList/primary", auth: ana },
      { id: "a3", method: "GET", path: "/calendar/v3/calendars/primary/events/nosuchevent" },
      {
        id: "a4",
        method: "POST",
        path: "/calendar/v3/calendars/primary/events",
        body: { summary: "From batch", start: { date: "2026-04-02" }, end: { date: "2026-04-03" } },
      },
    ]);
    const res = await postBatch(info, body);
    expect(res.status).toBe(200);
    const contentType = res.headers.get("content-type") ?? "";
    expect(contentType).toMatch(/^multipart\/mixed; boundary=batch_[0-9a-f]+$/);
    const parts = parseMultipart(contentType, await res.text());
    expect(parts.map((p) => [p.contentId, p.status])).toEqual([
      ["<response-a1>", 200],
      ["<response-a2>", 200],
      ["<response-a3>", 404],
      ["<response-a4>", 200],
    ]);
    expect((JSON.parse(parts[0]?.body ?? "{}") as { id: string }).id).toBe("info@example.com");
    expect((JSON.parse(parts[1]?.body ?? "{}") as { id: string }).id).toBe("ana@example.com");
    expect(parts[2]?.body).toBe(legacyError(404, "global", "notFound", "Not Found"));
    const stats = h.emulator.stats;
    expect(stats.batchRequests).toBe(1);
    expect(stats.batchParts).toBe(4);
    expect(stats.bySubject["ana@example.com"]?.apiRequests).toBe(1);
  });

  it("refuses more than 1000 parts and a body that is not multipart", async () => {
    const t = await h.token();
    const many = batchBody(
      "b",
      Array.from({ length: 1001 }, (_, i) => ({
        id: `p${i}`,
        method: "GET",
        path: "/calendar/v3/colors",
      })),
    );
    const res = await read(await postBatch(t, many, "b"));
    expect(res.status).toBe(400);
    expect(res.json.error.errors[0].reason).toBe("batchSizeTooLarge");
    const empty = await read(await postBatch(t, "not multipart", "zzz"));
    expect(empty.text).toBe(
      legacyError(400, "global", "badRequest", "Invalid multipart request with 0 mime parts."),
    );
  });

  it("frames events.list parts with their exact UTF-8 Content-Length, streams the batch (no length of its own), and counts the bytes sent", async () => {
    const ana = await h.token("ana@example.com");
    const summary = "Café ☕ 𝄞 ünïcødé";
    const inserted = await h.emulator.fetch(
      new Request(`${h.emulator.baseUrl}/calendar/v3/calendars/primary/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${ana}`, "content-type": "application/json" },
        body: JSON.stringify({
          summary,
          start: { dateTime: "2026-04-02T10:00:00Z" },
          end: { dateTime: "2026-04-02T11:00:00Z" },
        }),
      }),
    );
    expect(inserted.status).toBe(200);
    const before = h.emulator.stats.bytesSent;
    const body = batchBody("batch_test", [
      { id: "l1", method: "GET", path: "/calendar/v3/calendars/primary/events?maxResults=2500" },
      { id: "l2", method: "GET", path: "/calendar/v3/calendars/primary/events?q=caf%C3%A9" },
    ]);
    const res = await postBatch(ana, body);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(res.headers.get("content-length")).toBeNull();
    expect(h.emulator.stats.bytesSent - before).toBe(bytes.byteLength);
    const text = new TextDecoder().decode(bytes);
    const boundary = /boundary=(\S+)/.exec(res.headers.get("content-type") ?? "")?.[1] ?? "";
    const chunks = text.split(`--${boundary}`).slice(1, -1);
    expect(chunks).toHaveLength(2);
    for (const chunk of chunks) {
      const [, inner = ""] = chunk.split("\r\n\r\n", 2);
      const head = inner.split("\r\n");
      expect(head[0]).toBe("HTTP/1.1 200 OK");
      expect(head).toContain("Content-Type: application/json; charset=UTF-8");
      const length = Number(/^Content-Length: (\d+)$/m.exec(chunk)?.[1]);
      const partBody = chunk.slice(chunk.indexOf("\r\n\r\n", chunk.indexOf("HTTP/1.1")) + 4, -2);
      expect(new TextEncoder().encode(partBody).byteLength).toBe(length);
      const list = JSON.parse(partBody) as { etag: string; items: { summary: string }[] };
      expect(head).toContain(`ETag: ${list.etag}`);
      expect(list.items.map((i) => i.summary)).toContain(summary);
    }
  });

  it("writes the answers as they are made, in pieces of at least flushBytes: the first piece holds only the first parts", async () => {
    const ana = await h.token("ana@example.com");
    // Six answers of a third of flushBytes and a little more each (an event with a long description).
    const long = "x".repeat(Math.floor(flushBytes / 3));
    const ids = ["p1", "p2", "p3", "p4", "p5", "p6"];
    const res = await postBatch(
      ana,
      batchBody(
        "batch_test",
        ids.map((id) => ({
          id,
          method: "POST",
          path: "/calendar/v3/calendars/primary/events",
          body: {
            summary: id,
            description: long,
            start: { dateTime: "2026-04-02T10:00:00Z" },
            end: { dateTime: "2026-04-02T11:00:00Z" },
          },
        })),
      ),
    );
    const boundary = /boundary=(\S+)/.exec(res.headers.get("content-type") ?? "")?.[1] ?? "";
    const reader = res.body!.getReader();
    const pieces: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read())
      pieces.push(new TextDecoder().decode(r.value));
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces.slice(0, -1))
      expect(new TextEncoder().encode(piece).byteLength).toBeGreaterThanOrEqual(flushBytes);
    const partsIn = (piece: string): string[] =>
      [...piece.matchAll(/Content-ID: <response-(\w+)>/g)].map((m) => m[1]!);
    expect(partsIn(pieces[0]!)).toEqual(["p1", "p2", "p3"]);
    expect(pieces.flatMap(partsIn)).toEqual(ids);
    expect(pieces.at(-1)!.endsWith(`--${boundary}--\r\n`)).toBe(true);
  });

  it("an events.list part answers exactly what the same call sent alone answers", async () => {
    const ana = await h.token("ana@example.com");
    const path = "/calendar/v3/calendars/primary/events?maxResults=3";
    const alone = await h.emulator.fetch(
      new Request(`${h.emulator.baseUrl}${path}`, { headers: { authorization: `Bearer ${ana}` } }),
    );
    const aloneText = await alone.text();
    expect(Number(alone.headers.get("content-length"))).toBe(
      new TextEncoder().encode(aloneText).byteLength,
    );
    const res = await postBatch(ana, batchBody("batch_test", [{ id: "x", method: "GET", path }]));
    const [part] = parseMultipart(res.headers.get("content-type") ?? "", await res.text());
    expect(part?.body).toBe(aloneText);
  });

  it("answers a part with a header no request can carry 400, and runs the others", async () => {
    const t = await h.token();
    const body = [
      "--b",
      "Content-Type: application/http",
      "Content-ID: <bad>",
      "",
      "GET /calendar/v3/colors HTTP/1.1",
      "X-Bad Name: value",
      "",
      "--b",
      "Content-Type: application/http",
      "Content-ID: <good>",
      "",
      "GET /calendar/v3/colors HTTP/1.1",
      "",
      "--b--",
      "",
    ].join("\r\n");
    const res = await postBatch(t, body, "b");
    expect(res.status).toBe(200);
    const parts = parseMultipart(res.headers.get("content-type") ?? "", await res.text());
    expect(parts.map((p) => [p.contentId, p.status])).toEqual([
      ["<response-bad>", 400],
      ["<response-good>", 200],
    ]);
    expect(parts[0]?.body).toBe(legacyError(400, "global", "badRequest", "Bad Request"));
  });

  it("accepts exactly 1000 parts", async () => {
    const t = await h.token();
    const body = batchBody(
      "b",
      Array.from({ length: 1000 }, (_, i) => ({
        id: `p${i}`,
        method: "GET",
        path: "/calendar/v3/colors",
      })),
    );
    const res = await postBatch(t, body, "b");
    const parts = parseMultipart(res.headers.get("content-type") ?? "", await res.text());
    expect(parts).toHaveLength(1000);
    expect(parts.every((p) => p.status === 200)).toBe(true);
  }, 60_000);
});

describe("control API", () => {
  const control = (method: string, path: string, body?: unknown) =>
    h.emulator
      .fetch(
        new Request(`${h.emulator.baseUrl}/_emulator/${path}`, {
          method,
          body: body === undefined ? null : JSON.stringify(body),
        }),
      )
      .then(read);

  it("GET /_emulator/stats counts token exchanges, API calls by method and subject, and bytes", async () => {
    const t = await h.token("ana@example.com");
    await h.call(t, "GET", "users/me/calendarList");
    await h.call(t, "GET", "calendars/primary/events");
    const stats = await control("GET", "stats");
    expect(stats.json).toMatchObject({
      tokenRequests: 1,
      tokensIssued: 1,
      apiRequests: 2,
      batchRequests: 0,
      byEndpoint: { token: 1, "calendar.calendarList.list": 1, "calendar.events.list": 1 },
      bySubject: { "ana@example.com": { tokenRequests: 1, apiRequests: 2 } },
    });
    expect(stats.json.bytesSent).toBeGreaterThan(500);
  });

  it("GET /_emulator/scenario lists who is in it (users, accounts with client IDs, grants) and no secret", async () => {
    const res = await control("GET", "scenario");
    expect(res.status).toBe(200);
    expect(res.json.domain).toBe("example.com");
    const view = res.json as {
      users: { email: string }[];
      serviceAccounts: { name: string }[];
    };
    expect(view.users.map((u) => u.email)).toContain("info@example.com");
    const bot = view.serviceAccounts.find((a) => a.name === "calendar-bot");
    expect(bot).toEqual({
      name: "calendar-bot",
      email: h.emulator.serviceAccount("calendar-bot").email,
      clientId: h.emulator.serviceAccount("calendar-bot").clientId,
    });
    expect(res.json.grants.length).toBeGreaterThan(0);
    expect(res.text).not.toMatch(/PRIVATE KEY|refresh_token|refreshToken|ya29\./);
  });

  it("PUT /_emulator/faults validates, injects seeded 429 with Retry-After and 403 rateLimitExceeded", async () => {
    const bad = await control("PUT", "faults", { errorRates: { "418": 0.5 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toBe(
      'Invalid faults: errorRates has unknown kind "418": use "429", "403", "500", "503", "reset"',
    );
    const t = await h.token();
    expect(
      (await control("PUT", "faults", { errorRates: { "429": 1 }, retryAfterSeconds: 7 })).status,
    ).toBe(200);
    const limited = await h.call(t, "GET", "colors");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.text).toBe(
      legacyError(429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    );
    await control("PUT", "faults", { errorRates: { "403": 1 } });
    expect((await h.call(t, "GET", "colors")).text).toBe(
      legacyError(403, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    );
    await control("PUT", "faults", {});
    expect((await h.call(t, "GET", "colors")).status).toBe(200);
    expect((await control("GET", "stats")).json.faultsInjected).toEqual({ "429": 1, "403": 1 });
  });

  it("the same seed fails the same calls", async () => {
    const t = await h.token();
    const run = async () => {
      await control("PUT", "faults", { errorRates: { "500": 0.3, "503": 0.2 }, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await h.call(t, "GET", "colors")).status);
      return statuses;
    };
    const first = await run();
    expect(first.filter((s) => s !== 200).length).toBeGreaterThan(5);
    expect(await run()).toEqual(first);
  });

  it("a reset fault processes the call and rejects like fetch on ECONNRESET", async () => {
    const t = await h.token();
    await control("PUT", "faults", { errorRates: { reset: 1 } });
    const err = await h
      .call(t, "POST", "calendars/primary/events", {
        body: {
          id: "resetcase1",
          summary: "x",
          start: { date: "2026-04-02" },
          end: { date: "2026-04-03" },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as TypeError).message).toBe("fetch failed");
    expect(((err as TypeError).cause as { code: string }).code).toBe("ECONNRESET");
    await control("PUT", "faults", {});
    expect((await h.call(t, "GET", "calendars/primary/events/resetcase1")).json.summary).toBe("x");
  });

  it("token-endpoint outage answers 503 temporarily_unavailable", async () => {
    await control("PUT", "faults", { tokenOutage: true });
    await expect(h.token("bob@example.com")).rejects.toThrow(/mint failed: 503/);
  });

  it("POST /_emulator/reset puts the scenario's data back and zeroes the stats; tokens stay valid", async () => {
    const t = await h.token();
    await h.call(t, "POST", "calendars/primary/events", {
      body: {
        id: "gone00001",
        summary: "x",
        start: { date: "2026-04-02" },
        end: { date: "2026-04-03" },
      },
    });
    expect((await control("POST", "reset")).status).toBe(200);
    expect(h.emulator.stats.apiRequests).toBe(0);
    expect((await h.call(t, "GET", "calendars/primary/events/gone00001")).status).toBe(404);
    expect((await h.call(t, "GET", "calendars/primary/events/qbr00001")).json.summary).toBe(
      "Quarterly review",
    );
  });

  it("faults can be given as an emulator option, and bad ones are refused", async () => {
    const slow = await harness({ faults: { errorRates: { "503": 1 } } });
    const res = await slow.call(await slow.token(), "GET", "colors");
    expect(res.status).toBe(503);
    expect(res.json.error.status).toBe("UNAVAILABLE");
    await expect(harness({ faults: { latencyMs: -1 } })).rejects.toThrow(
      "Invalid faults option: latencyMs must be a number of milliseconds from 0 to 600000, got -1",
    );
  });
});

describe("watch and channels.stop", () => {
  it("POSTs sync, then exists on a change, to a local http address; stop ends it", async () => {
    const received: Record<string, string>[] = [];
    const server = createServer((req, res) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (k.startsWith("x-goog-")) headers[k] = String(v);
      received.push(headers);
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const address = `${origin}/hook`;
      h = await harness({ pushAllowedOrigins: [origin] });
      const t = await h.token();
      const channel = await h.call(t, "POST", "calendars/primary/events/watch", {
        body: { id: "chan-1", type: "web_hook", address, token: "secret-1" },
      });
      expect(channel.json).toMatchObject({ kind: "api#channel", id: "chan-1", token: "secret-1" });
      await h.call(t, "POST", "calendars/primary/events", {
        body: { summary: "x", start: { date: "2026-04-02" }, end: { date: "2026-04-03" } },
      });
      await h.emulator.pushIdle();
      expect(received.map((r) => [r["x-goog-resource-state"], r["x-goog-message-number"]])).toEqual(
        [
          ["sync", "1"],
          ["exists", "2"],
        ],
      );
      expect(received[0]).toMatchObject({
        "x-goog-channel-id": "chan-1",
        "x-goog-channel-token": "secret-1",
        "x-goog-resource-id": channel.json.resourceId,
      });
      expect(received[0]?.["x-goog-resource-uri"]).toMatch(
        /\/calendar\/v3\/calendars\/primary\/events\?alt=json$/,
      );
      const stop = await h.call(t, "POST", "channels/stop", {
        body: { id: "chan-1", resourceId: channel.json.resourceId },
      });
      expect(stop.status).toBe(204);
      await h.call(t, "POST", "calendars/primary/events", {
        body: { summary: "y", start: { date: "2026-04-02" }, end: { date: "2026-04-03" } },
      });
      await h.emulator.pushIdle();
      expect(received).toHaveLength(2);
      expect(
        (
          await h.call(t, "POST", "channels/stop", {
            body: { id: "chan-1", resourceId: channel.json.resourceId },
          })
        ).status,
      ).toBe(404);
    } finally {
      server.close();
    }
  });

  it("refuses a plain-http address that is not local", async () => {
    const res = await h.call(await h.token(), "POST", "calendars/primary/events/watch", {
      body: { id: "c2", type: "web_hook", address: "http://example.com/hook" },
    });
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      legacyError(
        400,
        "global",
        "push.webhookUrlNotHttps",
        "WebHook callback must be HTTPS: http://example.com/hook",
      ),
    );
  });
});
