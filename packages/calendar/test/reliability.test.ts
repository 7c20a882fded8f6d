import { describe, expect, it } from "vitest";
import { CalendarApiError, createCalendarClient, wasNotModified } from "../src/index.ts";
import type { CalendarClientOptions, RetryEvent } from "../src/index.ts";
import { createFakeCalendar, fakeTokenSource, googleError } from "./fake-calendar.ts";
import type { FakeCalendar, FakeRequest } from "./fake-calendar.ts";

const root = "http://fake/calendar/v3";

function setup(options: Partial<CalendarClientOptions> = {}) {
  const fake = createFakeCalendar();
  const sleeps: number[] = [];
  const retries: RetryEvent[] = [];
  const cal = createCalendarClient({
    tokenSource: fakeTokenSource(),
    subject: "ana@example.com",
    rootUrl: root,
    fetch: fake.fetch,
    retry: { random: () => 0.5, sleep: (ms) => (sleeps.push(ms), Promise.resolve()) },
    onRetry: (e) => retries.push(e),
    ...options,
  });
  return { fake, cal, sleeps, retries };
}

/** Fails the first `times` calls of a method with `answer`. */
const failFirst = (
  fake: FakeCalendar,
  method: string,
  times: number,
  answer: () => Response | "reset",
) => {
  fake.fault = (r: FakeRequest) => (r.method === method && r.nth <= times ? answer() : undefined);
};

const rate429 = () =>
  new Response(
    JSON.stringify({
      error: {
        code: 429,
        message: "Rate Limit Exceeded",
        errors: [
          { domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate Limit Exceeded" },
        ],
      },
    }),
    { status: 429, headers: { "retry-after": "7" } },
  );
const rate403 = () => googleError(403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits");
const user403 = () =>
  googleError(403, "userRateLimitExceeded", "User Rate Limit Exceeded", "usageLimits");
const quota403 = () =>
  googleError(403, "quotaExceeded", "Calendar usage limits exceeded.", "usageLimits");
const status =
  (code: number, reason = "backendError") =>
  () =>
    googleError(code, reason, "Backend Error");
const reset = () => "reset" as const;

describe("retries", () => {
  const cases: {
    name: string;
    answer: () => Response | "reset";
    method: "list" | "calendarsInsert";
    attempts: number;
    code?: string;
  }[] = [
    { name: "429 with Retry-After", answer: rate429, method: "list", attempts: 3 },
    { name: "403 rateLimitExceeded", answer: rate403, method: "list", attempts: 3 },
    { name: "403 userRateLimitExceeded", answer: user403, method: "list", attempts: 3 },
    { name: "500", answer: status(500), method: "list", attempts: 3 },
    { name: "502", answer: status(502), method: "list", attempts: 3 },
    { name: "503", answer: status(503), method: "list", attempts: 3 },
    { name: "504", answer: status(504), method: "list", attempts: 3 },
    { name: "a connection reset", answer: reset, method: "list", attempts: 3 },
    {
      name: "429 on a write that is not repeatable (refused before processing)",
      answer: rate429,
      method: "calendarsInsert",
      attempts: 3,
    },
    {
      name: "503 on a write that is not repeatable is not retried",
      answer: status(503),
      method: "calendarsInsert",
      attempts: 1,
      code: "backend_error",
    },
    {
      name: "a reset on a write that is not repeatable is not retried",
      answer: reset,
      method: "calendarsInsert",
      attempts: 1,
      code: "api_unreachable",
    },
    {
      name: "400 is permanent",
      answer: status(400, "invalid"),
      method: "list",
      attempts: 1,
      code: "bad_request",
    },
    {
      name: "403 insufficientPermissions is permanent",
      answer: () => googleError(403, "insufficientPermissions", "Insufficient Permission"),
      method: "list",
      attempts: 1,
      code: "insufficient_scope",
    },
    {
      name: "403 accessNotConfigured is permanent",
      answer: () => googleError(403, "accessNotConfigured", "off", "usageLimits"),
      method: "list",
      attempts: 1,
      code: "api_not_enabled",
    },
    {
      name: "403 forbiddenForServiceAccounts is permanent",
      answer: () => googleError(403, "forbiddenForServiceAccounts", "x", "calendar"),
      method: "list",
      attempts: 1,
      code: "forbidden_for_service_accounts",
    },
    {
      name: "403 requiredAccessLevel is permanent",
      answer: () => googleError(403, "requiredAccessLevel", "x", "calendar"),
      method: "list",
      attempts: 1,
      code: "required_access_level",
    },
    {
      name: "403 forbiddenForNonOrganizer is permanent",
      answer: () => googleError(403, "forbiddenForNonOrganizer", "x", "calendar"),
      method: "list",
      attempts: 1,
      code: "forbidden_for_non_organizer",
    },
    {
      name: "403 forbidden is permanent",
      answer: () => googleError(403, "forbidden", "Forbidden"),
      method: "list",
      attempts: 1,
      code: "forbidden",
    },
    {
      name: "403 quotaExceeded is diagnosed, not hammered",
      answer: quota403,
      method: "list",
      attempts: 1,
      code: "quota_exceeded",
    },
    {
      name: "404 is permanent",
      answer: status(404, "notFound"),
      method: "list",
      attempts: 1,
      code: "not_found",
    },
    {
      name: "409 is permanent",
      answer: status(409, "duplicate"),
      method: "list",
      attempts: 1,
      code: "duplicate",
    },
    {
      name: "410 is permanent",
      answer: status(410, "fullSyncRequired"),
      method: "list",
      attempts: 1,
      code: "full_sync_required",
    },
    {
      name: "412 is permanent",
      answer: status(412, "conditionNotMet"),
      method: "list",
      attempts: 1,
      code: "precondition_failed",
    },
  ];
  for (const c of cases) {
    it(`${c.attempts > 1 ? "retries" : "does not retry"} ${c.name}`, async () => {
      const { fake, cal, retries } = setup();
      const httpMethod = c.method === "list" ? "GET" : "POST";
      failFirst(fake, httpMethod, 2, c.answer);
      fake.fault = ((inner) => (r: FakeRequest) =>
        r.path.includes("/events") || r.method === "POST"
          ? inner(r)
          : googleError(404, "notFound", "Not Found"))(fake.fault!);
      const run =
        c.method === "list" ? cal.events.list("primary") : cal.calendars.insert({ summary: "x" });
      if (c.code === undefined) {
        await (c.method === "list"
          ? expect(run).resolves.toMatchObject({ kind: "calendar#events" })
          : expect(run).rejects.toMatchObject({ code: "not_found" }));
      } else {
        const error = (await run.catch((e: unknown) => e)) as CalendarApiError;
        expect(error).toBeInstanceOf(CalendarApiError);
        expect(error.code).toBe(c.code);
      }
      expect(fake.log.filter((l) => l.startsWith(httpMethod))).toHaveLength(c.attempts);
      expect(retries).toHaveLength(c.attempts - 1);
    });
  }

  it("backs off with full jitter, capped, and never below Retry-After; onRetry sees each retry", async () => {
    const { fake, cal, sleeps, retries } = setup({
      retry: {
        random: () => 0.5,
        baseDelayMs: 1000,
        maxDelayMs: 3000,
        retries: 4,
        sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      },
    });
    let n = 0;
    fake.fault = () => (++n <= 4 ? (n === 2 ? rate429() : status(503)()) : undefined);
    await cal.events.list("primary");
    // 0.5 × min(3000, 1000·2^i) = 500, 1000, 1500, 1500; the second answer said Retry-After: 7.
    expect(sleeps).toEqual([500, 7000, 1500, 1500]);
    expect(
      retries.map((r) => [r.attempt, r.delayMs, r.error.code, r.method, r.subject, r.inBatch]),
    ).toEqual([
      [1, 500, "backend_error", "calendar.events.list", "ana@example.com", false],
      [2, 7000, "rate_limited", "calendar.events.list", "ana@example.com", false],
      [3, 1500, "backend_error", "calendar.events.list", "ana@example.com", false],
      [4, 1500, "backend_error", "calendar.events.list", "ana@example.com", false],
    ]);
  });

  // One rule (issue 13): `retries` is the one budget of every retryable failure; a connection refused
  // or a host that does not exist is not retryable at all (nothing answers there sooner by waiting).
  const unreachableCases = [
    {
      name: "a refused connection",
      code: "ECONNREFUSED",
      text: "connect ECONNREFUSED 127.0.0.1:9",
      attempts: 1,
      retryable: false,
    },
    {
      name: "an unknown host",
      code: "ENOTFOUND",
      text: "getaddrinfo ENOTFOUND nowhere.invalid",
      attempts: 1,
      retryable: false,
    },
    {
      name: "a reset connection",
      code: "ECONNRESET",
      text: "read ECONNRESET",
      attempts: 6,
      retryable: true,
    },
    {
      name: "a temporary DNS failure",
      code: "EAI_AGAIN",
      text: "getaddrinfo EAI_AGAIN calendar.test",
      attempts: 6,
      retryable: true,
    },
  ];
  for (const c of unreachableCases) {
    it(`${c.name} is tried ${c.attempts === 1 ? "once (not retryable)" : "1 + retries times"} with retries: 5`, async () => {
      let attempts = 0;
      const cal = createCalendarClient({
        tokenSource: fakeTokenSource(),
        rootUrl: "http://127.0.0.1:9/calendar/v3",
        retry: { retries: 5, random: () => 0, sleep: () => Promise.resolve() },
        fetch: () => (
          attempts++,
          Promise.reject(
            new TypeError("fetch failed", {
              cause: Object.assign(new Error(c.text), { code: c.code }),
            }),
          )
        ),
      });
      await expect(cal.colors.get()).rejects.toMatchObject({
        code: "api_unreachable",
        retryable: c.retryable,
        message: `Cannot call calendar.colors.get: the Calendar API at "http://127.0.0.1:9/calendar/v3" cannot be reached (fetch failed: ${c.text})`,
      });
      expect(attempts).toBe(c.attempts);
    });
  }

  it("gives up after the configured retries with the last error, retryable", async () => {
    const { fake, cal } = setup({
      retry: { retries: 2, random: () => 0, sleep: () => Promise.resolve() },
    });
    fake.fault = () => status(503)();
    const error = (await cal.events.list("primary").catch((e: unknown) => e)) as CalendarApiError;
    expect(error).toMatchObject({ code: "backend_error", retryable: true, status: 503 });
    expect(fake.log).toHaveLength(3);
  });
});

describe("exactly-once writes", () => {
  it("events.insert sends a client-chosen base32hex id", async () => {
    const { fake, cal } = setup();
    const event = await cal.events.insert("primary", { summary: "standup" });
    expect(event.id).toMatch(/^[0-9a-v]{26}$/);
    expect(fake.events("ana@example.com").map((e) => e.id)).toEqual([event.id]);
  });

  it("a retried insert that finds its id stored (409) resolves to the stored event", async () => {
    const { fake, cal } = setup();
    // The first attempt is applied but its answer is lost (connection reset after processing).
    fake.fault = (r) => {
      if (r.method === "POST" && r.nth === 1) {
        fake.fault = undefined;
        void fake.fetch(`${root}/calendars/primary/events`, {
          method: "POST",
          headers: { authorization: "Bearer tok-ana@example.com" },
          body: JSON.stringify({ id: "abcdef0001", summary: "once" }),
        });
        return "reset";
      }
      return undefined;
    };
    const event = await cal.events.insert("primary", { id: "abcdef0001", summary: "once" });
    expect(event).toMatchObject({ id: "abcdef0001", summary: "once", status: "confirmed" });
    expect(fake.events("ana@example.com")).toHaveLength(1);
    expect(
      fake.log
        .filter((l) => !l.startsWith("POST /calendar/v3/calendars/primary/events "))
        .slice(-1),
    ).toEqual(["GET /calendar/v3/calendars/primary/events/abcdef0001"]);
  });

  it("a first-attempt 409 is a real duplicate", async () => {
    const { cal } = setup();
    await cal.events.insert("primary", { id: "abcdef0002" });
    await expect(cal.events.insert("primary", { id: "abcdef0002" })).rejects.toMatchObject({
      code: "duplicate",
      status: 409,
      message:
        'Cannot call calendar "primary" with calendar.events.insert as "ana@example.com": the requested identifier already exists',
    });
  });

  it("rejects an event id that is not base32hex", async () => {
    const { cal } = setup();
    await expect(cal.events.insert("primary", { id: "Not_Valid" })).rejects.toThrow(TypeError);
  });

  it("a retried delete that finds the event already deleted (410) succeeds", async () => {
    const { fake, cal } = setup();
    const e = await cal.events.insert("primary", { summary: "x" });
    fake.fault = (r) => {
      if (r.method === "DELETE" && r.nth === 1) {
        fake.fault = undefined;
        void fake.fetch(`${root}/calendars/primary/events/${e.id}`, {
          method: "DELETE",
          headers: { authorization: "Bearer tok-ana@example.com" },
        });
        return status(503)();
      }
      return undefined;
    };
    await expect(cal.events.delete("primary", e.id!)).resolves.toBeUndefined();
  });
});

describe("time limits and cancellation", () => {
  it("a hung endpoint ends in a timeout error at the deadline", async () => {
    const cal = createCalendarClient({
      tokenSource: fakeTokenSource(),
      rootUrl: root,
      timeoutMs: 50,
      fetch: () => new Promise(() => undefined),
    });
    const error = (await cal.colors.get().catch((e: unknown) => e)) as CalendarApiError;
    expect(error).toMatchObject({
      code: "timeout",
      retryable: true,
      status: 0,
      message: "Cannot call calendar.colors.get: no answer within 50 ms",
    });
  });

  it("an aborted signal rejects with its reason, also while waiting to retry", async () => {
    const controller = new AbortController();
    const { fake, cal } = setup({
      retry: {
        sleep: (_ms, signal) =>
          new Promise((_r, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason as Error)),
          ),
      },
    });
    fake.fault = () => status(503)();
    const pending = cal.events.list("primary", { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });

  it("the fetch receives the signal", async () => {
    let seen: AbortSignal | undefined;
    const cal = createCalendarClient({
      tokenSource: fakeTokenSource(),
      rootUrl: root,
      fetch: (_url, init) => ((seen = init?.signal), Promise.resolve(new Response("{}"))),
    });
    await cal.colors.get();
    expect(seen).toBeInstanceOf(AbortSignal);
  });
});

describe("ETags, fields, gzip", () => {
  it("ifNoneMatch with the held event: 304 returns that very object", async () => {
    const { fake, cal } = setup();
    const held = await cal.events.insert("primary", { summary: "x" });
    const again = await cal.events.get("primary", held.id!, { ifNoneMatch: held });
    expect(again).toBe(held);
    expect(wasNotModified(again)).toBe(true);
    expect(fake.log.at(-1)).toBe(`GET /calendar/v3/calendars/primary/events/${held.id}`);
    await cal.events.patch("primary", held.id!, { summary: "y" });
    const changed = await cal.events.get("primary", held.id!, { ifNoneMatch: held });
    expect(changed).toMatchObject({ summary: "y" });
    expect(wasNotModified(changed)).toBe(false);
  });

  it("ifNoneMatch with only an etag: 304 is a not_modified error", async () => {
    const { cal } = setup();
    const held = await cal.events.insert("primary", { summary: "x" });
    await expect(
      cal.events.get("primary", held.id!, { ifNoneMatch: held.etag! }),
    ).rejects.toMatchObject({ code: "not_modified", status: 304 });
  });

  it("ifMatch with a stale etag: 412 precondition_failed says re-read then re-apply", async () => {
    const { cal } = setup();
    const held = await cal.events.insert("primary", { summary: "x" });
    await cal.events.patch("primary", held.id!, { summary: "by someone else" });
    const error = (await cal.events
      .patch("primary", held.id!, { summary: "mine" }, { ifMatch: held })
      .catch((e: unknown) => e)) as CalendarApiError;
    expect(error).toMatchObject({
      code: "precondition_failed",
      status: 412,
      reason: "conditionNotMet",
      retryable: false,
    });
    expect(error.message).toBe(
      `Cannot call calendar "primary" with calendar.events.patch as "ana@example.com": the resource changed since the ETag given in If-Match`,
    );
    expect(error.hint).toBe(
      "Re-read the resource (its new etag), re-apply your change to it, and send it again with the new etag",
    );
  });

  it("fields and quotaUser go into the query", async () => {
    const { fake, cal } = setup();
    await cal.events.list("primary", {
      fields: "items(id,summary),nextPageToken",
      quotaUser: "ana@example.com",
      maxResults: 5,
    });
    expect(fake.log.at(-1)).toBe(
      "GET /calendar/v3/calendars/primary/events?maxResults=5&fields=items%28id%2Csummary%29%2CnextPageToken&quotaUser=ana%40example.com",
    );
  });

  it("asks for gzip (Accept-Encoding and a (gzip) User-Agent) and inflates a gzipped body", async () => {
    let headers: Record<string, string> = {};
    const gz = new Uint8Array(
      await new Response(
        new Blob(['{"kind":"calendar#colors","calendar":{}}'])
          .stream()
          .pipeThrough(new CompressionStream("gzip")),
      ).arrayBuffer(),
    );
    const cal = createCalendarClient({
      tokenSource: fakeTokenSource(),
      rootUrl: root,
      gzip: true,
      userAgent: "my-app/1.0",
      fetch: (_url, init) => (
        (headers = init?.headers ?? {}),
        Promise.resolve(new Response(gz, { headers: { "content-encoding": "gzip" } }))
      ),
    });
    await expect(cal.colors.get()).resolves.toEqual({ kind: "calendar#colors", calendar: {} });
    expect(headers["accept-encoding"]).toBe("gzip");
    expect(headers["user-agent"]).toBe("my-app/1.0 dwd-calendar (gzip)");
  });

  it("does not ask for gzip with a custom fetch unless told", async () => {
    let headers: Record<string, string> = {};
    const cal = createCalendarClient({
      tokenSource: fakeTokenSource(),
      rootUrl: root,
      fetch: (_u, init) => ((headers = init?.headers ?? {}), Promise.resolve(new Response("{}"))),
    });
    await cal.colors.get();
    expect(headers["accept-encoding"]).toBeUndefined();
  });
});

describe("pages", () => {
  const cases = [
    {
      name: "events.all",
      run: (c: ReturnType<typeof setup>["cal"]) => c.events.all("primary"),
      path: "/calendar/v3/calendars/primary/events",
      max: 2500,
    },
    {
      name: "events.allInstances",
      run: (c: ReturnType<typeof setup>["cal"]) => c.events.allInstances("primary", "r1"),
      path: "/calendar/v3/calendars/primary/events/r1/instances",
      max: 2500,
    },
    {
      name: "calendarList.all",
      run: (c: ReturnType<typeof setup>["cal"]) => c.calendarList.all(),
      path: "/calendar/v3/users/me/calendarList",
      max: 250,
    },
    {
      name: "acl.all",
      run: (c: ReturnType<typeof setup>["cal"]) => c.acl.all("primary"),
      path: "/calendar/v3/calendars/primary/acl",
      max: 250,
    },
    {
      name: "settings.all",
      run: (c: ReturnType<typeof setup>["cal"]) => c.settings.all(),
      path: "/calendar/v3/users/me/settings",
      max: 250,
    },
  ];
  for (const c of cases) {
    it(`${c.name}() asks for ${c.max} a page and follows nextPageToken`, async () => {
      const seen: string[] = [];
      const cal = createCalendarClient({
        tokenSource: fakeTokenSource(),
        rootUrl: root,
        fetch: (url) => {
          const u = new URL(url);
          seen.push(`${u.pathname}?${u.searchParams.toString()}`);
          const token = u.searchParams.get("pageToken");
          return Promise.resolve(
            new Response(
              JSON.stringify(
                token === null
                  ? { items: [{ id: "a" }], nextPageToken: "p2" }
                  : { items: [{ id: "b" }] },
              ),
            ),
          );
        },
      });
      const ids: unknown[] = [];
      for await (const item of c.run(cal)) ids.push(item.id);
      expect(ids).toEqual(["a", "b"]);
      expect(seen).toEqual([
        `${c.path}?maxResults=${c.max}`,
        `${c.path}?maxResults=${c.max}&pageToken=p2`,
      ]);
    });
  }

  it("events.all() walks a real listing across pages", async () => {
    const { cal } = setup();
    for (let i = 0; i < 5; i++) await cal.events.insert("primary", { summary: `e${i}` });
    const summaries: unknown[] = [];
    for await (const e of cal.events.all("primary", { maxResults: 2 })) summaries.push(e.summary);
    expect(summaries).toEqual(["e0", "e1", "e2", "e3", "e4"]);
  });
});

describe("as()", () => {
  it("acts as another user with the same settings", async () => {
    const { fake, cal } = setup();
    await cal.as("bob@example.com").events.insert("primary", { summary: "bob's" });
    await cal.events.list("primary", { subject: "bob@example.com" });
    expect(fake.events("bob@example.com").map((e) => e.summary)).toEqual(["bob's"]);
    expect(fake.events("ana@example.com")).toEqual([]);
  });
});
