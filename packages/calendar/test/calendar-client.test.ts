import { describe, expect, it } from "vitest";
import { CalendarApiError, createCalendarClient } from "../src/index.ts";
import type { CalendarTokenSource } from "../src/index.ts";

const sa = "calendar-bot@dwd-emulator.iam.gserviceaccount.com";
const readonly = "https://www.googleapis.com/auth/calendar.readonly";

function fakeTokenSource(): CalendarTokenSource & {
  calls: { subject?: string; scopes: readonly string[] }[];
} {
  const calls: { subject?: string; scopes: readonly string[] }[] = [];
  return {
    calls,
    signer: { clientEmail: sa },
    getToken(options) {
      calls.push(options);
      return Promise.resolve({
        accessToken: `tok-${options.subject ?? "sa"}`,
        expiresAt: 0,
        scopes: options.scopes,
      });
    },
  };
}

function fakeFetch(
  handler: (request: Request) => Response,
): typeof fetch & { requests: Request[] } {
  const requests: Request[] = [];
  const f = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    requests.push(request);
    return Promise.resolve(handler(request));
  };
  return Object.assign(f, { requests });
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("createCalendarClient()", () => {
  it("calendarList.get() sends the subject's token to users/me/calendarList/{id}", async () => {
    const tokenSource = fakeTokenSource();
    const f = fakeFetch(() =>
      json(200, {
        kind: "calendar#calendarListEntry",
        id: "info@example.com",
        summary: "info@example.com",
      }),
    );
    const client = createCalendarClient({
      tokenSource,
      subject: "info@example.com",
      fetch: f,
      rootUrl: "http://emu/calendar/v3/",
    });
    const entry = await client.calendarList.get("info@example.com");
    expect(entry.summary).toBe("info@example.com");
    expect(f.requests[0]?.url).toBe(
      "http://emu/calendar/v3/users/me/calendarList/info%40example.com",
    );
    expect(f.requests[0]?.headers.get("authorization")).toBe("Bearer tok-info@example.com");
    expect(tokenSource.calls.map(({ subject, scopes }) => ({ subject, scopes }))).toEqual([
      { subject: "info@example.com", scopes: [readonly] },
    ]);
  });

  const roots = [
    {
      name: "explicit rootUrl wins over DWD_EMULATOR_HOST",
      rootUrl: "http://x/api",
      env: { DWD_EMULATOR_HOST: "h:1" },
      expected: "http://x/api/users/me/calendarList",
    },
    {
      name: "DWD_EMULATOR_HOST points at the emulator",
      rootUrl: undefined,
      env: { DWD_EMULATOR_HOST: "127.0.0.1:9" },
      expected: "http://127.0.0.1:9/calendar/v3/users/me/calendarList",
    },
    {
      name: "Google is the default",
      rootUrl: undefined,
      env: {},
      expected: "https://www.googleapis.com/calendar/v3/users/me/calendarList",
    },
  ];
  for (const c of roots) {
    it(`calendarList.list(): ${c.name}`, async () => {
      const f = fakeFetch(() => json(200, { items: [] }));
      const client = createCalendarClient({
        tokenSource: fakeTokenSource(),
        fetch: f,
        rootUrl: c.rootUrl,
        env: c.env,
      });
      await client.calendarList.list();
      expect(f.requests[0]?.url).toBe(c.expected);
    });
  }

  it("calendarList.list() passes maxResults and pageToken", async () => {
    const f = fakeFetch(() => json(200, { items: [] }));
    const client = createCalendarClient({
      tokenSource: fakeTokenSource(),
      fetch: f,
      rootUrl: "http://e/calendar/v3",
    });
    await client.calendarList.list({ maxResults: 2, pageToken: "p2" });
    expect(f.requests[0]?.url).toBe(
      "http://e/calendar/v3/users/me/calendarList?maxResults=2&pageToken=p2",
    );
  });

  it("calendarList.listAll() follows nextPageToken across pages", async () => {
    const pages: Record<string, unknown> = {
      "": { items: [{ id: "a" }, { id: "b" }], nextPageToken: "p2" },
      p2: { items: [], nextPageToken: "p3" },
      p3: { items: [{ id: "c" }], nextSyncToken: "s" },
    };
    const f = fakeFetch((r) =>
      json(200, pages[new URL(r.url).searchParams.get("pageToken") ?? ""]),
    );
    const client = createCalendarClient({
      tokenSource: fakeTokenSource(),
      fetch: f,
      rootUrl: "http://e/calendar/v3",
    });
    const ids: (string | undefined)[] = [];
    for await (const entry of client.calendarList.listAll({ maxResults: 2 }))
      ids.push(entry.id ?? undefined);
    expect(ids).toEqual(["a", "b", "c"]);
    expect(f.requests.map((r) => new URL(r.url).search)).toEqual([
      "?maxResults=2",
      "?maxResults=2&pageToken=p2",
      "?maxResults=2&pageToken=p3",
    ]);
  });

  it("passes token-source errors through unchanged", async () => {
    const failure = new Error("delegation refused");
    const client = createCalendarClient({
      tokenSource: { getToken: () => Promise.reject(failure) },
      fetch: fakeFetch(() => json(200, {})),
      rootUrl: "http://e",
    });
    await expect(client.calendarList.get("x")).rejects.toBe(failure);
  });

  it("maps a network failure to api_unreachable", async () => {
    const client = createCalendarClient({
      tokenSource: fakeTokenSource(),
      fetch: () => Promise.reject(new TypeError("fetch failed")),
      rootUrl: "http://127.0.0.1:1/calendar/v3",
      retry: false,
    });
    const error = await client.calendarList.get("x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalendarApiError);
    expect(error).toMatchObject({
      code: "api_unreachable",
      status: 0,
      message:
        'Cannot call calendar.calendarList.get: the Calendar API at "http://127.0.0.1:1/calendar/v3" cannot be reached (fetch failed)',
    });
  });

  it("maps a 200 that is not JSON to unexpected_response", async () => {
    const client = createCalendarClient({
      tokenSource: fakeTokenSource(),
      fetch: fakeFetch(() => new Response("<html>")),
      rootUrl: "http://e",
    });
    await expect(client.calendarList.list()).rejects.toMatchObject({
      code: "unexpected_response",
      message: "Cannot read the answer of calendar.calendarList.list: the body is not JSON",
    });
  });

  it("rejects an empty calendar ID with a TypeError", async () => {
    const client = createCalendarClient({
      tokenSource: fakeTokenSource(),
      fetch: fakeFetch(() => json(200, {})),
      rootUrl: "http://e",
    });
    await expect(client.calendarList.get("")).rejects.toThrow(TypeError);
  });

  it("a client made by as() acts as its subject, rejects bad arguments, and makes its prepared calls once", async () => {
    const tokenSource = fakeTokenSource();
    const f = fakeFetch(() => json(200, { id: "primary" }));
    const root = createCalendarClient({ tokenSource, fetch: f, rootUrl: "http://e" });
    const ana = root.as("ana@example.com");
    expect(ana.subject).toBe("ana@example.com");
    await ana.calendarList.get("primary");
    expect(tokenSource.calls.at(-1)?.subject).toBe("ana@example.com");
    expect(f.requests.at(-1)?.headers.get("authorization")).toBe("Bearer tok-ana@example.com");
    await expect(ana.calendarList.get("")).rejects.toThrow(TypeError);
    expect(ana.calls).toBe(ana.calls);
    expect(ana.calls.calendarList.get("primary").subject).toBe("ana@example.com");
    expect(ana.calls.as("bob@example.com").calendarList.get("primary").subject).toBe(
      "bob@example.com",
    );
    expect(() => ana.calls.calendarList.get("")).toThrow(TypeError);
  });

  it("calendarList.get() invalidates the token and retries once after a 401", async () => {
    let generation = 0;
    const invalidated: unknown[] = [];
    const tokenSource: CalendarTokenSource = {
      getToken: (o) =>
        Promise.resolve({ accessToken: `gen-${generation}`, expiresAt: 0, scopes: o.scopes }),
      invalidate: (o) => {
        invalidated.push(o);
        generation++;
      },
    };
    const f = fakeFetch((r) =>
      r.headers.get("authorization") === "Bearer gen-0"
        ? json(401, {
            error: { code: 401, message: "Invalid Credentials", errors: [{ reason: "authError" }] },
          })
        : json(200, { id: "a" }),
    );
    const client = createCalendarClient({
      tokenSource,
      subject: "u@example.com",
      fetch: f,
      rootUrl: "http://e",
    });
    await expect(client.calendarList.get("a")).resolves.toEqual({ id: "a" });
    expect(invalidated).toEqual([{ subject: "u@example.com", scopes: [readonly] }]);
    expect(f.requests).toHaveLength(2);
  });

  it("calendarList.get() gives up with token_rejected when the fresh token is rejected too", async () => {
    const tokenSource: CalendarTokenSource = {
      getToken: (o) => Promise.resolve({ accessToken: "x", expiresAt: 0, scopes: o.scopes }),
      invalidate: () => undefined,
    };
    const f = fakeFetch(() =>
      json(401, {
        error: {
          code: 401,
          message: "Invalid Credentials",
          errors: [{ reason: "authError", message: "Invalid Credentials" }],
        },
      }),
    );
    const client = createCalendarClient({ tokenSource, fetch: f, rootUrl: "http://e" });
    await expect(client.calendarList.get("a")).rejects.toMatchObject({ code: "token_rejected" });
    expect(f.requests).toHaveLength(2);
  });

  it("never puts the access token into an error", async () => {
    const client = createCalendarClient({
      tokenSource: fakeTokenSource(),
      subject: "u@example.com",
      fetch: fakeFetch(() =>
        json(401, { error: { code: 401, message: "x", errors: [{ reason: "authError" }] } }),
      ),
      rootUrl: "http://e",
    });
    const error = (await client.calendarList.get("x").catch((e: unknown) => e)) as CalendarApiError;
    expect(JSON.stringify({ m: error.message, h: error.hint, c: error.cause })).not.toContain(
      "tok-",
    );
  });
});
