import { describe, expect, it } from "vitest";
import { CalendarApiError, createCalendarClient } from "../src/index.ts";
import type { CalendarClientOptions, RetryEvent } from "../src/index.ts";
import { boundaryOf, encodeBatch, parseBatch } from "../src/_internal/batch-wire.ts";
import { createFakeCalendar, fakeTokenSource, googleError } from "./fake-calendar.ts";

const root = "http://fake/calendar/v3";
const users = Array.from(
  { length: 200 },
  (_, i) => `user${String(i).padStart(3, "0")}@example.com`,
);

function setup(options: Partial<CalendarClientOptions> = {}) {
  const fake = createFakeCalendar();
  const retries: RetryEvent[] = [];
  const tokenSource = fakeTokenSource();
  const cal = createCalendarClient({
    tokenSource,
    rootUrl: root,
    fetch: fake.fetch,
    retry: { random: () => 0, sleep: () => Promise.resolve() },
    onRetry: (e) => retries.push(e),
    ...options,
  });
  return { fake, cal, retries, tokenSource };
}

describe("batch wire format", () => {
  it("writes one application/http part per call with its own headers and a closing delimiter", () => {
    const body = encodeBatch(
      [
        {
          contentId: "a-0",
          method: "GET",
          path: "/calendar/v3/calendars/primary/events?maxResults=2",
          headers: { authorization: "Bearer t1" },
        },
        {
          contentId: "a-1",
          method: "POST",
          path: "/calendar/v3/freeBusy",
          headers: { authorization: "Bearer t2", "content-type": "application/json" },
          body: '{"items":[]}',
        },
      ],
      "batch_x",
    );
    expect(body).toBe(
      "--batch_x\r\nContent-Type: application/http\r\nContent-ID: <a-0>\r\n\r\nGET /calendar/v3/calendars/primary/events?maxResults=2 HTTP/1.1\r\nauthorization: Bearer t1\r\n\r\n\r\n" +
        '--batch_x\r\nContent-Type: application/http\r\nContent-ID: <a-1>\r\n\r\nPOST /calendar/v3/freeBusy HTTP/1.1\r\nauthorization: Bearer t2\r\ncontent-type: application/json\r\n\r\n{"items":[]}\r\n' +
        "--batch_x--\r\n",
    );
  });

  it("reads Google's response: response- Content-IDs, parts in any order, status, headers and body", () => {
    const text =
      "--batch_abc\r\nContent-Type: application/http\r\nContent-ID: <response-item2>\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" +
      '{"error":{"code":404,"message":"Not Found","errors":[{"domain":"global","reason":"notFound","message":"Not Found"}]}}\r\n' +
      '--batch_abc\r\nContent-Type: application/http\r\nContent-ID: <response-item1>\r\n\r\nHTTP/1.1 200 OK\r\nETag: "e1"\r\n\r\n' +
      '{"id":"x"}\r\n--batch_abc--\r\n';
    expect(boundaryOf("multipart/mixed; boundary=batch_abc")).toBe("batch_abc");
    const answers = parseBatch(text, "batch_abc");
    expect([...answers.keys()]).toEqual(["item2", "item1"]);
    expect(answers.get("item1")).toMatchObject({ status: 200, text: '{"id":"x"}' });
    expect(answers.get("item1")?.headers.get("ETag")).toBe('"e1"');
    expect(answers.get("item2")?.status).toBe(404);
  });
});

describe("cal.batch()", () => {
  it("200 users' events.list go out as 4 batch requests of 50, each part with its own user's token", async () => {
    const { fake, cal, tokenSource } = setup();
    for (const u of users.slice(0, 3))
      await cal.as(u).events.insert("primary", { summary: `of ${u}` });
    fake.httpRequests = 0;
    const results = await cal.batch((b) => users.map((u) => b.as(u).events.list("primary")));
    expect(fake.httpRequests).toBe(4);
    expect(fake.batchRequests).toBe(4);
    expect(results).toHaveLength(200);
    expect(results.every((r) => r.ok)).toBe(true);
    const first = results[0]!;
    expect(first.ok && first.value.items?.map((e) => e.summary)).toEqual([
      "of user000@example.com",
    ]);
    const last = results[199]!;
    expect(last.ok && last.value.items).toEqual([]);
    expect(tokenSource.calls).toBeGreaterThanOrEqual(200);
  });

  it("mixes methods and users in one typed batch; results come back in input order", async () => {
    const { cal, fake } = setup({ subject: "ana@example.com" });
    const made = await cal.events.insert("primary", { summary: "held" });
    const [list, insert, get] = await cal.batch(
      (b) =>
        [
          b.events.list("primary"),
          b.as("bob@example.com").events.insert("primary", { summary: "bob's" }),
          b.events.get("primary", made.id!),
        ] as const,
    );
    expect(list.ok && list.value.items?.map((e) => e.summary)).toEqual(["held"]);
    expect(insert.ok && insert.value.summary).toBe("bob's");
    expect(get.ok && get.value.id).toBe(made.id);
    expect(fake.events("bob@example.com").map((e) => e.summary)).toEqual(["bob's"]);
  });

  it("prepared calls from cal.calls work the same", async () => {
    const { cal } = setup({ subject: "ana@example.com" });
    const call = cal.calls.events.list("primary", { maxResults: 3 });
    expect(call.path).toBe("calendars/primary/events");
    expect(call.query).toEqual([["maxResults", "3"]]);
    const [r] = await cal.batch([call]);
    expect(r.ok).toBe(true);
  });

  it("one part's failure never fails the others", async () => {
    const { cal, fake } = setup();
    fake.fault = (r) =>
      r.subject === "user002@example.com" ? googleError(404, "notFound", "Not Found") : undefined;
    const results = await cal.batch((b) =>
      users.slice(0, 5).map((u) => b.as(u).events.list("primary")),
    );
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true]);
    const failed = results[2]!;
    expect(!failed.ok && failed.error).toBeInstanceOf(CalendarApiError);
    expect(!failed.ok && failed.error).toMatchObject({
      code: "not_found",
      status: 404,
      subject: "user002@example.com",
      method: "calendar.events.list",
    });
  });

  it("only the failed retryable parts are sent again", async () => {
    const { cal, fake, retries } = setup();
    const seen = new Map<string, number>();
    fake.fault = (r) => {
      const n = (seen.get(r.subject) ?? 0) + 1;
      seen.set(r.subject, n);
      return n <= 2 && (r.subject === "user001@example.com" || r.subject === "user003@example.com")
        ? googleError(503, "backendError", "Backend Error")
        : undefined;
    };
    const results = await cal.batch((b) =>
      users.slice(0, 5).map((u) => b.as(u).events.list("primary")),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    // Round 1: 5 parts; round 2: the 2 that failed; round 3: the 2 again (their second failure).
    expect(fake.batchRequests).toBe(3);
    expect(fake.log).toHaveLength(5 + 2 + 2);
    expect(retries.map((r) => [r.subject, r.attempt, r.inBatch, r.error.code])).toEqual([
      ["user001@example.com", 1, true, "backend_error"],
      ["user003@example.com", 1, true, "backend_error"],
      ["user001@example.com", 2, true, "backend_error"],
      ["user003@example.com", 2, true, "backend_error"],
    ]);
  });

  it("a permanent failure in a part is not retried", async () => {
    const { cal, fake, retries } = setup();
    fake.fault = (r) =>
      r.subject === "user001@example.com"
        ? googleError(403, "quotaExceeded", "Calendar usage limits exceeded.", "usageLimits")
        : undefined;
    const results = await cal.batch((b) =>
      users.slice(0, 3).map((u) => b.as(u).events.list("primary")),
    );
    expect(results[1]).toMatchObject({ ok: false, error: { code: "quota_exceeded" } });
    expect(fake.batchRequests).toBe(1);
    expect(retries).toEqual([]);
  });

  it("a part answered 401 gets a fresh token once", async () => {
    const { cal, fake, tokenSource } = setup();
    fake.fault = (r) =>
      r.subject === "user000@example.com" && r.nth === 1
        ? googleError(401, "authError", "Invalid Credentials")
        : undefined;
    const [r] = await cal.batch((b) => [b.as("user000@example.com").events.list("primary")]);
    expect(r.ok).toBe(true);
    expect(tokenSource.invalidated).toBe(1);
  });

  it("a refused batch request (503 at the door) retries its parts; a retried insert that was stored resolves to it", async () => {
    const { cal, fake } = setup({ subject: "ana@example.com" });
    let outer = 0;
    const inner = fake.fetch;
    fake.fetch = async (input, init) => {
      const request = new Request(input, init);
      if (new URL(request.url).pathname === "/batch/calendar/v3" && ++outer === 1) {
        await inner(request.clone()); // processed, but the answer is lost
        return new Response("<html>503</html>", { status: 503 });
      }
      return await inner(request);
    };
    const cal2 = createCalendarClient({
      tokenSource: fakeTokenSource(),
      subject: "ana@example.com",
      rootUrl: root,
      fetch: fake.fetch,
      retry: { random: () => 0, sleep: () => Promise.resolve() },
    });
    void cal;
    const [ins, list] = await cal2.batch((b) => [
      b.events.insert("primary", { id: "abcdef0003", summary: "once" }),
      b.events.list("primary"),
    ]);
    expect(ins).toMatchObject({ ok: true, value: { id: "abcdef0003", summary: "once" } });
    expect(list.ok).toBe(true);
    expect(fake.events("ana@example.com")).toHaveLength(1);
  });

  it("refuses chunks above Google's 1,000 calls", async () => {
    const { cal } = setup();
    await expect(cal.batch([], { chunkSize: 1001 })).rejects.toThrow(RangeError);
  });

  it("sends chunks of the given size", async () => {
    const { cal, fake } = setup();
    await cal.batch((b) => users.slice(0, 10).map((u) => b.as(u).colors.get()), { chunkSize: 3 });
    expect(fake.batchRequests).toBe(4);
  });
});

describe("a failed part's error is one of dwd's (issue 13)", () => {
  it("a batch aborted by its signal fails its open parts with aborted, the reason as cause", async () => {
    const reason = new Error("the caller gave up");
    const controller = new AbortController();
    let sent!: () => void;
    const waiting = new Promise<void>((resolve) => (sent = resolve));
    const cal = createCalendarClient({
      tokenSource: fakeTokenSource(),
      rootUrl: root,
      // The batch request is never answered: only the signal ends it.
      fetch: (_url, init) =>
        new Promise((_, reject) => {
          sent();
          init?.signal?.addEventListener("abort", () => reject(init.signal!.reason as Error));
        }),
    });
    const pending = cal.batch((b) => [b.as("ana@example.com").events.list("primary")], {
      signal: controller.signal,
    });
    await waiting;
    controller.abort(reason);
    const [r] = await pending;
    expect(r).toMatchObject({
      ok: false,
      method: "calendar.events.list",
      subject: "ana@example.com",
      error: {
        code: "aborted",
        status: 0,
        message: "Cannot call calendar.events.list: the batch was aborted (the caller gave up)",
        hint: "The signal passed to batch() aborted it; parts answered before keep their results",
      },
    });
    expect(r.ok ? undefined : r.error).toBeInstanceOf(CalendarApiError);
    expect(r.ok ? undefined : r.error.cause).toBe(reason);
  });

  it("a token source that is not dwd's failing for one user fails that part with token_source_error", async () => {
    const { fake } = setup();
    const base = fakeTokenSource();
    const cal = createCalendarClient({
      tokenSource: {
        getToken: (o) =>
          o.subject === "bad@example.com"
            ? Promise.reject(new Error("vault sealed"))
            : base.getToken({ ...o, scopes: [...o.scopes] }),
      },
      rootUrl: root,
      fetch: fake.fetch,
    });
    const results = await cal.batch((b) => [
      b.as("ana@example.com").events.list("primary"),
      b.as("bad@example.com").events.list("primary"),
    ]);
    expect(results.map((r) => (r.ok ? "ok" : r.error.code))).toEqual(["ok", "token_source_error"]);
    expect(results[1]).toMatchObject({
      subject: "bad@example.com",
      method: "calendar.events.list",
      error: {
        message: "Cannot call calendar.events.list: the token source failed (vault sealed)",
        hint: "The tokenSource given to createCalendarClient threw; see the cause",
      },
    });
  });
});
