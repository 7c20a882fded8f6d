import { request } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { CalendarApiError, createCalendarClient } from "@dwd/calendar";
import type { TokenSource } from "@dwd/auth";
import { afterAll, describe, expect, it } from "vitest";
import type { CalendarEvent, CalendarPort } from "../src/calendar-port.ts";
import { eventIdFor } from "../src/app.ts";
import { routes } from "../src/routes.ts";
import {
  BOOKING_TOKEN,
  CAL,
  INTRUDER_TOKEN,
  RO,
  SLOW_TOKEN,
  callers,
  expectNoSecrets,
  harness,
  seen,
  sharedEmulator,
  testConfig,
} from "./helpers.ts";
import type { Harness } from "./helpers.ts";

/**
 * Calendar data the fake client serves for events and free/busy (the real client's calendarList stays,
 * so the delegation check runs against the emulator). Each call records the subject and scope it ran as.
 */
function fakeCalendar() {
  const events = new Map<string, CalendarEvent>();
  const busy: Record<string, { start: string; end: string }[]> = {};
  const calls: { method: string; subject: string; scope: string }[] = [];
  const gates: { subject: string; open: () => void }[] = [];
  let blockSubject: string | undefined;
  const factory = (subject: string, scope: string, tokenSource: TokenSource): CalendarPort => {
    const real = createCalendarClient({
      tokenSource,
      subject,
      scopes: [scope],
      rootUrl: "http://emulator.test/calendar/v3",
      fetch: (url, init) => fakeFetch(url, init),
    });
    const record = async (method: string): Promise<void> => {
      calls.push({ method, subject, scope });
      if (subject === blockSubject)
        await new Promise<void>((open) => gates.push({ subject, open }));
    };
    const notFound = (eventId: string): CalendarApiError =>
      new CalendarApiError("not_found", `Cannot find event "${eventId}": not found`, {
        status: 404,
        reason: "notFound",
        method: "calendar.events.get",
        subject,
        scopes: [scope],
        hint: "Check the event ID",
      });
    return {
      calendarList: {
        async get(calendarId) {
          await record("calendarList.get");
          return await real.calendarList.get(calendarId);
        },
      },
      events: {
        async list(calendarId, params) {
          await record("events.list");
          const items = [...events.values()].filter(
            (e) =>
              e.calendar === `${subject}/${calendarId}` &&
              (params?.q === undefined || String(e.summary).includes(String(params.q))),
          );
          return { kind: "calendar#events", items };
        },
        async get(calendarId, eventId) {
          await record("events.get");
          const e = events.get(`${subject}/${calendarId}/${eventId}`);
          if (e === undefined) throw notFound(eventId);
          return e;
        },
        async insert(calendarId, event) {
          await record("events.insert");
          const id = event.id ?? `gen${events.size}`;
          const key = `${subject}/${calendarId}/${id}`;
          if (events.has(key)) {
            throw new CalendarApiError("api_error", "The requested identifier already exists", {
              status: 409,
              reason: "duplicate",
              method: "calendar.events.insert",
              subject,
              scopes: [scope],
              hint: "Choose a new id",
            });
          }
          const created = {
            ...event,
            id,
            calendar: `${subject}/${calendarId}`,
            status: "confirmed",
          };
          events.set(key, created);
          return created;
        },
        async patch(calendarId, eventId, patch) {
          await record("events.patch");
          const key = `${subject}/${calendarId}/${eventId}`;
          const e = events.get(key);
          if (e === undefined) throw notFound(eventId);
          events.set(key, { ...e, ...patch });
          return events.get(key)!;
        },
        async delete(calendarId, eventId) {
          await record("events.delete");
          if (!events.delete(`${subject}/${calendarId}/${eventId}`)) throw notFound(eventId);
          return undefined;
        },
      },
      freebusy: {
        async query(body) {
          await record("freebusy.query");
          // Acting as the subject: asking about anyone else would need their calendar shared.
          expect(body.items).toStrictEqual([{ id: subject }]);
          if (subject === "former@example.com")
            return {
              calendars: { [subject]: { errors: [{ domain: "global", reason: "notFound" }] } },
            };
          return { calendars: { [subject]: { busy: busy[subject] ?? [] } } };
        },
      },
    };
  };
  let fakeFetch: (url: string, init?: RequestInit) => Promise<Response>;
  return {
    events,
    busy,
    calls,
    gates,
    block(subject: string | undefined) {
      blockSubject = subject;
    },
    factory,
    bind(fetch: (url: string, init?: RequestInit) => Promise<Response>) {
      fakeFetch = fetch;
    },
  };
}

async function withFake(configOverrides = {}) {
  const fake = fakeCalendar();
  // Bound before the server starts: its delegation check already calls calendarList.get through it.
  const { emulator } = await sharedEmulator();
  fake.bind((url, init) => emulator.fetch(new Request(url, init)));
  const h = await harness({ calendar: fake.factory, config: await testConfig(configOverrides) });
  const report = await h.server.checked;
  expect(report.checks.filter((c) => c.status === "fail")).toStrictEqual([]);
  return { ...h, fake };
}

afterAll(() => expectNoSecrets(seen));

describe("calendarList route (the seed call) against the emulator", () => {
  it("GET /v1/users/{subject}/calendarList/{calendarId} answers the entry as the subject and audits one line", async () => {
    const h = await harness();
    const r = await h.request("/v1/users/info@example.com/calendarList/primary", {
      token: BOOKING_TOKEN,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      kind: "calendar#calendarListEntry",
      id: "info@example.com",
      primary: true,
    });
    expect(r.headers.get("x-request-id")).toMatch(/\S+/);
    const line = h.audit.at(-1)!;
    expect(line).toMatchObject({
      caller: "booking-app",
      subject: "info@example.com",
      operation: "calendarList.get",
      calendar: "primary",
      outcome: "ok",
      status: 200,
    });
    expect(typeof line.durationMs).toBe("number");
    expect(Object.keys(line).sort()).toStrictEqual([
      "calendar",
      "caller",
      "durationMs",
      "operation",
      "outcome",
      "requestId",
      "status",
      "subject",
      "time",
    ]);
  });

  it("a Google refusal keeps its status, code, hint and reason, and the audit line names the reason", async () => {
    const h = await harness();
    const r = await h.request("/v1/users/info@example.com/calendarList/nope@example.com", {
      token: BOOKING_TOKEN,
    });
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body).toMatchObject({
      status: 404,
      code: "not_found",
      googleReason: "notFound",
      type: "urn:dwd:problem:not_found",
    });
    expect(r.body.detail).toMatch(/nope@example\.com/);
    expect(typeof r.body.hint).toBe("string");
    expect(h.audit.at(-1)).toMatchObject({
      outcome: "failed",
      status: 404,
      code: "not_found",
      googleReason: "notFound",
    });
  });

  it("a subject Google does not know fails at the token endpoint (404: the caller named no user)", async () => {
    const h = await harness();
    const r = await h.request("/v1/users/ghost@example.com/calendarList/primary", {
      token: BOOKING_TOKEN,
    });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: "unknown_subject", googleReason: "invalid_grant" });
    expect(h.audit.at(-1)).toMatchObject({
      outcome: "failed",
      status: 404,
      code: "unknown_subject",
      googleReason: "invalid_grant",
    });
  });
});

describe("deny by default", () => {
  const cases: {
    name: string;
    path: string;
    token?: string;
    init?: RequestInit & { json?: unknown };
    status: number;
    code: string;
    detail: RegExp;
    caller?: string;
  }[] = [
    {
      name: "no token → 401 missing_token",
      path: "/v1/users/info@example.com/calendarList/primary",
      status: 401,
      code: "missing_token",
      detail:
        /^No bearer token in the Authorization header: every request must carry the caller's$/,
    },
    {
      name: "a token that matches no caller → 401 unknown_token",
      path: "/v1/users/info@example.com/calendarList/primary",
      token: "not-a-caller-token-1234",
      status: 401,
      code: "unknown_token",
      detail: /^The bearer token matches no caller of this server$/,
    },
    {
      name: "a subject outside the policy → 403 subject_not_allowed",
      path: "/v1/users/ceo@other.org/calendarList/primary",
      token: BOOKING_TOKEN,
      status: 403,
      code: "subject_not_allowed",
      detail:
        /^Caller "booking-app" may not act as "ceo@other\.org": the subject is outside its policy$/,
      caller: "booking-app",
    },
    {
      name: "an operation outside the policy → 403 operation_not_allowed",
      path: "/v1/users/nobody@example.org/calendars/primary/events",
      token: INTRUDER_TOKEN,
      status: 403,
      code: "operation_not_allowed",
      detail:
        /^Caller "intruder" may not call the "events\.list" operation: its policy allows "calendarList\.get"$/,
      caller: "intruder",
    },
    {
      name: "a scope outside the policy → 403 scope_not_allowed",
      path: "/v1/token",
      token: SLOW_TOKEN,
      init: { method: "POST", json: { subject: "ana@example.com", scopes: [CAL] } },
      status: 403,
      code: "scope_not_allowed",
      detail:
        /^Caller "slow-app" may not use "https:\/\/www\.googleapis\.com\/auth\/calendar" in the "token" operation: its policy allows "https:\/\/www\.googleapis\.com\/auth\/calendar\.readonly"$/,
      caller: "slow-app",
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const h = await harness();
      const r = await h.request(c.path, { ...c.init, ...(c.token ? { token: c.token } : {}) });
      expect(r.status).toBe(c.status);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      expect(r.body).toMatchObject({
        status: c.status,
        code: c.code,
        type: `urn:dwd:problem:${c.code}`,
      });
      expect(r.body.detail).toMatch(c.detail);
      expect(typeof r.body.hint).toBe("string");
      if (c.status === 401)
        expect(r.headers.get("www-authenticate")).toMatch(/^Bearer realm="dwd-server"/);
      expect(h.audit.at(-1)).toMatchObject({
        outcome: "denied",
        status: c.status,
        code: c.code,
        ...(c.caller ? { caller: c.caller } : {}),
      });
    });
  }

  it("refuses a subject outside the policy the same way whether the user exists or not", async () => {
    const h = await harness();
    const a = await h.request("/v1/users/info@example.org/calendarList/primary", {
      token: INTRUDER_TOKEN,
    });
    const b = await h.request("/v1/users/ghost@example.org/calendarList/primary", {
      token: INTRUDER_TOKEN,
    });
    expect([a.status, b.status]).toStrictEqual([403, 403]);
    expect(a.body.detail).toBe(
      'Caller "intruder" may not act as "info@example.org": the subject is outside its policy',
    );
    expect(b.body.detail).toBe(
      'Caller "intruder" may not act as "ghost@example.org": the subject is outside its policy',
    );
  });

  it("does not reach Google for a refused request", async () => {
    const h = await harness();
    const before = { api: h.emulator.stats.apiRequests, token: h.emulator.stats.tokenRequests };
    await h.request("/v1/users/ceo@other.org/calendarList/primary", { token: BOOKING_TOKEN });
    await h.request("/v1/users/info@example.com/calendarList/primary", {
      token: "not-a-caller-token-1234",
    });
    expect({
      api: h.emulator.stats.apiRequests,
      token: h.emulator.stats.tokenRequests,
    }).toStrictEqual(before);
  });

  it("a caller over its rate gets 429 with Retry-After, and its budget refills with time", async () => {
    const h = await harness();
    const path = "/v1/users/ana@example.com/calendarList/primary";
    expect((await h.request(path, { token: SLOW_TOKEN })).status).toBe(200);
    expect((await h.request(path, { token: SLOW_TOKEN })).status).toBe(200);
    const r = await h.request(path, { token: SLOW_TOKEN });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("30");
    expect(r.body).toMatchObject({
      code: "rate_limited",
      detail: 'Caller "slow-app" is over its rate of 2 requests per minute',
    });
    expect(h.audit.at(-1)).toMatchObject({
      caller: "slow-app",
      outcome: "denied",
      status: 429,
      code: "rate_limited",
    });
    h.clock.now += 30_000;
    expect((await h.request(path, { token: SLOW_TOKEN })).status).toBe(200);
  });

  it("a named subject list allows exactly its members", async () => {
    const h = await harness();
    expect(
      (await h.request("/v1/users/Bob@Example.com/calendarList/primary", { token: SLOW_TOKEN }))
        .status,
    ).toBe(200);
    const r = await h.request("/v1/users/info@example.com/calendarList/primary", {
      token: SLOW_TOKEN,
    });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("subject_not_allowed");
  });

  it("SIGHUP's reload swaps the policy between requests: a removed caller is refused, a new one allowed", async () => {
    const h = await harness();
    const path = "/v1/users/info@example.com/calendarList/primary";
    expect((await h.request(path, { token: BOOKING_TOKEN })).status).toBe(200);
    const [booking, intruder] = await callers();
    h.server.reload(
      await testConfig({
        callers: [
          {
            ...intruder!,
            tokenSha256: booking!.tokenSha256!.replace(/^./, (c) => (c === "0" ? "1" : "0")),
          },
          { ...booking!, name: "booking-v2", tokenSha256: intruder!.tokenSha256 },
        ],
      }),
    );
    expect((await h.request(path, { token: BOOKING_TOKEN })).status).toBe(401);
    expect((await h.request(path, { token: INTRUDER_TOKEN })).status).toBe(200);
    expect(h.audit.at(-1)).toMatchObject({ caller: "booking-v2", status: 200 });
  });
});

describe("validation and limits", () => {
  const cases: {
    name: string;
    path: string;
    init: RequestInit & { json?: unknown };
    status: number;
    code: string;
    detail: string;
  }[] = [
    {
      name: "a bad date-time",
      path: "/v1/freebusy",
      init: {
        method: "POST",
        json: {
          subjects: ["ana@example.com"],
          timeMin: "tomorrow",
          timeMax: "2026-12-02T00:00:00Z",
        },
      },
      status: 400,
      code: "invalid_request",
      detail:
        'The request is invalid: "timeMin" must be an RFC 3339 date-time with an offset, e.g. "2026-12-01T09:00:00Z", got "tomorrow"',
    },
    {
      name: "a missing field",
      path: "/v1/freebusy",
      init: {
        method: "POST",
        json: { subjects: ["ana@example.com"], timeMin: "2026-12-01T00:00:00Z" },
      },
      status: 400,
      code: "invalid_request",
      detail: 'The request is invalid: "timeMax" is required',
    },
    {
      name: "an unknown field",
      path: "/v1/freebusy",
      init: {
        method: "POST",
        json: {
          subjects: ["ana@example.com"],
          timeMin: "2026-12-01T00:00:00Z",
          timeMax: "2026-12-02T00:00:00Z",
          extra: 1,
        },
      },
      status: 400,
      code: "invalid_request",
      detail: 'The request is invalid: "extra" is not a known field',
    },
    {
      name: "a range backwards",
      path: "/v1/freebusy",
      init: {
        method: "POST",
        json: {
          subjects: ["ana@example.com"],
          timeMin: "2026-12-02T00:00:00Z",
          timeMax: "2026-12-01T00:00:00Z",
        },
      },
      status: 400,
      code: "invalid_request",
      detail:
        'The request is invalid: "timeMax" must be after timeMin ("2026-12-02T00:00:00Z"), got "2026-12-01T00:00:00Z"',
    },
    {
      name: "an unknown query parameter",
      path: "/v1/users/ana@example.com/calendars/primary/events?color=red",
      init: {},
      status: 400,
      code: "invalid_request",
      detail: 'The request is invalid: "color" is not a query parameter of this route',
    },
    {
      name: "maxResults out of range",
      path: "/v1/users/ana@example.com/calendars/primary/events?maxResults=0",
      init: {},
      status: 400,
      code: "invalid_request",
      detail: 'The request is invalid: "maxResults" must be at least 1, got 0',
    },
    {
      name: "a body that is not JSON",
      path: "/v1/freebusy",
      init: { method: "POST", body: "{", headers: { "content-type": "application/json" } },
      status: 400,
      code: "invalid_json",
      detail: "Cannot read the body: it is not JSON (",
    },
    {
      name: "a body that is not declared JSON",
      path: "/v1/freebusy",
      init: {
        method: "POST",
        body: "subjects=a",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      status: 415,
      code: "unsupported_media_type",
      detail:
        'Cannot read the body: its content type is "application/x-www-form-urlencoded", not JSON',
    },
    {
      name: "a body over the size limit",
      path: "/v1/freebusy",
      init: {
        method: "POST",
        json: {
          subjects: Array.from(
            { length: 50 },
            (_, i) => `user-with-a-rather-long-name-to-fill-the-body-${i}@example.com`,
          ),
          timeMin: "2026-12-01T00:00:00Z",
          timeMax: "2026-12-02T00:00:00Z",
        },
      },
      status: 413,
      code: "body_too_large",
      detail: "Cannot read the body: it is larger than 2048 bytes",
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const h = await harness();
      const r = await h.request(c.path, { ...c.init, token: BOOKING_TOKEN });
      expect(r.status).toBe(c.status);
      expect(r.body.code).toBe(c.code);
      expect(String(r.body.detail).startsWith(c.detail)).toBe(true);
      expect(h.audit.at(-1)).toMatchObject({ outcome: "invalid", status: c.status, code: c.code });
    });
  }

  it("lists every invalid field in errors", async () => {
    const h = await harness();
    const r = await h.request("/v1/availability", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: {
        subjects: ["not-an-email"],
        timeMin: "x",
        timeMax: "2026-12-02T00:00:00Z",
        durationMinutes: 1,
        timeZone: "Europe/Berlin",
      },
    });
    expect(r.status).toBe(400);
    expect((r.body.errors as { field: string }[]).map((e) => e.field)).toStrictEqual([
      "subjects[0]",
      "timeMin",
      "durationMinutes",
    ]);
  });

  it("limits requests in flight per subject: past the line, 429 subject_busy", async () => {
    const h = await withFake({
      limits: {
        bodyBytes: 2048,
        subjectConcurrency: 1,
        subjectQueue: 1,
        upstreamTimeoutMs: 5000,
        shutdownGraceMs: 1000,
      },
    });
    h.fake.block("bob@example.com");
    const path = "/v1/users/bob@example.com/calendars/primary/events";
    const first = h.request(path, { token: BOOKING_TOKEN });
    const second = h.request(path, { token: BOOKING_TOKEN });
    await expect.poll(() => h.fake.gates.length).toBe(1);
    const third = await h.request(path, { token: BOOKING_TOKEN });
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({
      code: "subject_busy",
      detail:
        'Too many requests for "bob@example.com" at once: at most 1 run and 1 wait per subject',
    });
    expect(third.headers.get("retry-after")).toBe("1");
    // Another subject is not held up by bob's line.
    expect(
      (
        await h.request("/v1/users/ana@example.com/calendars/primary/events", {
          token: BOOKING_TOKEN,
        })
      ).status,
    ).toBe(200);
    h.fake.gates.shift()!.open();
    await expect.poll(() => h.fake.gates.length).toBe(1);
    h.fake.gates.shift()!.open();
    expect([(await first).status, (await second).status]).toStrictEqual([200, 200]);
  });

  it("a subject's budget (limits.subjectRate) is shared by every caller: over it, 429 subject_over_budget", async () => {
    const h = await harness({
      config: await testConfig({
        limits: {
          bodyBytes: 2048,
          subjectConcurrency: 4,
          subjectQueue: 4,
          upstreamTimeoutMs: 5000,
          shutdownGraceMs: 1000,
          subjectRate: { requests: 2, per: "minute" },
        },
      }),
    });
    const path = "/v1/users/Bob@example.com/calendarList/primary";
    expect((await h.request(path, { token: BOOKING_TOKEN })).status).toBe(200);
    const other = await h.request("/v1/users/bob@example.com/calendarList/primary", {
      token: SLOW_TOKEN,
    });
    expect(other.status).toBe(200);
    const r = await h.request(path, { token: BOOKING_TOKEN });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("30");
    expect(r.body).toMatchObject({
      code: "subject_over_budget",
      detail:
        'Requests for "bob@example.com" are over the budget of 2 per minute that every caller shares',
    });
    expect(h.audit.at(-1)).toMatchObject({
      outcome: "denied",
      status: 429,
      code: "subject_over_budget",
    });
    // Another subject has its own budget.
    expect(
      (await h.request("/v1/users/ana@example.com/calendarList/primary", { token: BOOKING_TOKEN }))
        .status,
    ).toBe(200);
  });

  it("an upstream call that times out is 504 upstream_timeout", async () => {
    const timeout = (): Promise<Response> =>
      Promise.reject(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    const { emulator } = await harness();
    const h = await harness({
      fetch: (url, init) =>
        url.includes("/calendar/v3/") ? timeout() : emulator.fetch(new Request(url, init)),
    });
    const r = await h.request("/v1/users/ana@example.com/calendarList/primary", {
      token: BOOKING_TOKEN,
    });
    expect(r.status).toBe(504);
    expect(r.body.code).toBe("upstream_timeout");
    expect(String(r.body.detail)).toMatch(/^Google did not answer in time: /);
  });
});

describe("events", () => {
  it("lists, inserts, patches and deletes as the subject, with the narrowest scope the policy allows", async () => {
    const h = await withFake({
      callers: [
        {
          ...(await callers())[0]!,
          operations: [
            "events.list",
            "events.insert",
            "events.patch",
            "events.delete",
            "calendarList.get",
          ],
        },
      ],
    });
    const base = "/v1/users/ana@example.com/calendars/primary/events";
    const created = await h.request(base, {
      method: "POST",
      token: BOOKING_TOKEN,
      json: {
        summary: "Planning",
        start: { dateTime: "2026-12-01T10:00:00Z" },
        end: { dateTime: "2026-12-01T11:00:00Z" },
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ summary: "Planning", status: "confirmed" });
    const id = String(created.body.id);
    const list = await h.request(`${base}?q=Plan&maxResults=10`, { token: BOOKING_TOKEN });
    expect(list.status).toBe(200);
    expect((list.body.items as CalendarEvent[]).map((e) => e.id)).toStrictEqual([id]);
    const patched = await h.request(`${base}/${id}`, {
      method: "PATCH",
      token: BOOKING_TOKEN,
      json: { summary: "Planning (moved)" },
    });
    expect(patched.body.summary).toBe("Planning (moved)");
    const deleted = await h.request(`${base}/${id}`, { method: "DELETE", token: BOOKING_TOKEN });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expect(deleted.headers.get("x-request-id")).toBe(h.audit.at(-1)!.requestId);
    const gone = await h.request(`${base}/${id}`, { method: "DELETE", token: BOOKING_TOKEN });
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe("not_found");
    expect(
      h.fake.calls
        .filter((c) => c.method.startsWith("events."))
        .map((c) => [c.method, c.subject, c.scope]),
    ).toStrictEqual([
      ["events.insert", "ana@example.com", CAL],
      ["events.list", "ana@example.com", RO],
      ["events.patch", "ana@example.com", CAL],
      ["events.delete", "ana@example.com", CAL],
      ["events.delete", "ana@example.com", CAL],
    ]);
    expect(h.audit.map((a) => [a.operation, a.status, a.calendar])).toStrictEqual([
      ["events.insert", 201, "primary"],
      ["events.list", 200, "primary"],
      ["events.patch", 200, "primary"],
      ["events.delete", 204, "primary"],
      ["events.delete", 404, "primary"],
    ]);
    expect(JSON.stringify(h.audit)).not.toContain("Planning"); // never an event body in the audit
  });

  it("an Idempotency-Key makes a retried insert land once: the same event, 200 and Idempotent-Replayed", async () => {
    const h = await withFake();
    const base = "/v1/users/ana@example.com/calendars/primary/events";
    const event = {
      summary: "Booked",
      start: { dateTime: "2026-12-01T10:00:00Z" },
      end: { dateTime: "2026-12-01T10:30:00Z" },
    };
    const first = await h.request(base, {
      method: "POST",
      token: BOOKING_TOKEN,
      json: event,
      headers: { "idempotency-key": "order-42" },
    });
    const retry = await h.request(base, {
      method: "POST",
      token: BOOKING_TOKEN,
      json: event,
      headers: { "idempotency-key": "order-42" },
    });
    expect([first.status, retry.status]).toStrictEqual([201, 200]);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.id).toBe(first.body.id);
    expect(first.body.id).toBe(
      await eventIdFor(["booking-app", "ana@example.com", "primary", "order-42"]),
    );
    expect(String(first.body.id)).toMatch(/^[0-9a-v]{51}$/);
    expect(h.fake.events.size).toBe(1);
    const other = await h.request(base, {
      method: "POST",
      token: BOOKING_TOKEN,
      json: event,
      headers: { "idempotency-key": "order-43" },
    });
    expect(other.status).toBe(201);
    expect(h.fake.events.size).toBe(2);
  });

  it("refuses an insert without start and end before calling Google", async () => {
    const h = await withFake();
    const r = await h.request("/v1/users/ana@example.com/calendars/primary/events", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: { summary: "x" },
    });
    expect(r.status).toBe(400);
    expect((r.body.errors as { field: string }[]).map((e) => e.field)).toStrictEqual([
      "start",
      "end",
    ]);
    expect(h.fake.calls.some((c) => c.method === "events.insert")).toBe(false);
  });
});

describe("free/busy and availability", () => {
  it("POST /v1/freebusy asks as each subject (one token each) and answers each one's busy intervals", async () => {
    const h = await withFake();
    h.fake.busy["ana@example.com"] = [
      { start: "2026-12-01T09:00:00Z", end: "2026-12-01T10:00:00Z" },
    ];
    h.fake.busy["bob@example.com"] = [
      { start: "2026-12-01T13:00:00Z", end: "2026-12-01T14:00:00Z" },
    ];
    const before = h.emulator.stats.tokensIssued;
    const r = await h.request("/v1/freebusy", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: {
        subjects: ["ana@example.com", "Bob@example.com", "former@example.com"],
        timeMin: "2026-12-01T00:00:00Z",
        timeMax: "2026-12-02T00:00:00Z",
      },
    });
    expect(r.status).toBe(200);
    // Asked of Google now (no mirror): source "google", asOf the time of the answer.
    const live = { source: "google", asOf: new Date(h.clock.now).toISOString() };
    expect(r.body.subjects).toStrictEqual({
      "ana@example.com": {
        busy: [{ start: "2026-12-01T09:00:00Z", end: "2026-12-01T10:00:00Z" }],
        ...live,
      },
      "bob@example.com": {
        busy: [{ start: "2026-12-01T13:00:00Z", end: "2026-12-01T14:00:00Z" }],
        ...live,
      },
      "former@example.com": {
        error: {
          code: "freebusy_error",
          status: 404,
          detail: 'Google could not answer for "former@example.com": notFound',
          googleReason: "notFound",
        },
        ...live,
      },
    });
    expect(
      h.fake.calls
        .filter((c) => c.method === "freebusy.query")
        .map((c) => c.subject)
        .sort(),
    ).toStrictEqual(["ana@example.com", "bob@example.com", "former@example.com"]);
    expect(h.emulator.stats.tokensIssued).toBe(before); // the fake does not mint; the scope chosen is the policy's narrowest:
    expect(
      new Set(h.fake.calls.filter((c) => c.method === "freebusy.query").map((c) => c.scope)),
    ).toStrictEqual(new Set([RO]));
    expect(h.audit.at(-1)).toMatchObject({
      operation: "freebusy",
      subject: ["ana@example.com", "bob@example.com", "former@example.com"],
      status: 200,
    });
  });

  it("POST /v1/availability answers the common free slots inside working hours in the time zone", async () => {
    const h = await withFake();
    // Berlin is UTC+1 in December: working hours 09:00–12:00 local are 08:00–11:00 UTC.
    h.fake.busy["ana@example.com"] = [
      { start: "2026-12-01T08:00:00Z", end: "2026-12-01T09:00:00Z" },
    ];
    h.fake.busy["bob@example.com"] = [
      { start: "2026-12-01T09:30:00Z", end: "2026-12-01T10:00:00Z" },
    ];
    const body = {
      subjects: ["ana@example.com", "bob@example.com"],
      timeMin: "2026-12-01T00:00:00Z",
      timeMax: "2026-12-02T00:00:00Z",
      durationMinutes: 30,
      stepMinutes: 30,
      timeZone: "Europe/Berlin",
      workingHours: { start: "09:00", end: "12:00" },
    };
    const all = await h.request("/v1/availability", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: body,
    });
    expect(all.status).toBe(200);
    // The answer is written by the route (availabilityJson), sent with the headers of every JSON answer.
    expect(all.headers.get("content-type")).toBe("application/json");
    expect(all.headers.get("cache-control")).toBe("no-store");
    expect(all.headers.get("x-request-id")).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);
    expect((all.body.slots as { start: string }[]).map((s) => s.start)).toStrictEqual([
      "2026-12-01T09:00:00.000Z",
      "2026-12-01T10:00:00.000Z",
      "2026-12-01T10:30:00.000Z",
    ]);
    const any = await h.request("/v1/availability", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: { ...body, minAttendees: 1 },
    });
    expect(
      (any.body.slots as { start: string; available: string[] }[]).map((s) => [
        s.start.slice(11, 16),
        s.available,
      ]),
    ).toStrictEqual([
      ["08:00", ["bob@example.com"]],
      ["08:30", ["bob@example.com"]],
      ["09:00", ["ana@example.com", "bob@example.com"]],
      ["09:30", ["ana@example.com"]],
      ["10:00", ["ana@example.com", "bob@example.com"]],
      ["10:30", ["ana@example.com", "bob@example.com"]],
    ]);
  });

  it("refuses an unknown time zone and minAttendees above the subjects", async () => {
    const h = await withFake();
    const base = {
      subjects: ["ana@example.com"],
      timeMin: "2026-12-01T00:00:00Z",
      timeMax: "2026-12-02T00:00:00Z",
      durationMinutes: 30,
    };
    const tz = await h.request("/v1/availability", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: { ...base, timeZone: "Mars/Olympus" },
    });
    expect(tz.body).toMatchObject({
      status: 400,
      detail:
        'The request is invalid: "timeZone" must be an IANA time zone such as "Europe/Berlin", got "Mars/Olympus"',
    });
    const n = await h.request("/v1/availability", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: { ...base, timeZone: "UTC", minAttendees: 2 },
    });
    expect(n.body).toMatchObject({
      status: 400,
      detail:
        'The request is invalid: "minAttendees" must be at most the number of subjects (1), got 2',
    });
  });
});

describe("token broker", () => {
  it("POST /v1/token hands out a delegated token, audited without it", async () => {
    const h = await harness();
    const r = await h.request("/v1/token", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: { subject: "Ana@example.com", scopes: [RO] },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tokenType: "Bearer", subject: "ana@example.com", scopes: [RO] });
    expect(String(r.body.accessToken)).toMatch(/^ya29\./);
    expect(Number(r.body.expiresIn)).toBeGreaterThan(3000);
    // The token works at the (emulated) Calendar API.
    const api = await h.emulator.fetch(
      new Request("http://emulator.test/calendar/v3/users/me/calendarList/primary", {
        headers: { authorization: `Bearer ${String(r.body.accessToken)}` },
      }),
    );
    expect(api.status).toBe(200);
    const line = JSON.stringify(h.audit.at(-1));
    expect(line).not.toContain(String(r.body.accessToken));
    expect(h.audit.at(-1)).toMatchObject({
      operation: "token",
      caller: "booking-app",
      subject: "ana@example.com",
      scopes: [RO],
      status: 200,
    });
  });
});

describe("request bodies over HTTP (the Node adapter, as dwd-server listens)", () => {
  const body = JSON.stringify({ subject: "ana@example.com", scopes: [RO] });
  async function listen(): Promise<{ url: string; h: Harness; close: () => Promise<void> }> {
    const h = await harness();
    const http = createAdaptorServer({ fetch: h.server.fetch }) as Server;
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const { port } = http.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      h,
      close: () => new Promise((resolve) => http.close(() => resolve())),
    };
  }
  /** POSTs `chunks` to /v1/token with a declared length or chunked; answers status and code. */
  function post(
    url: string,
    chunks: string[],
    length?: number,
  ): Promise<{ status: number; code?: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${url}/v1/token`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${BOOKING_TOKEN}`,
          "content-type": "application/json",
          ...(length !== undefined ? { "content-length": String(length) } : {}),
        },
      });
      req.on("error", reject);
      req.on("response", (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () =>
          resolve({ status: res.statusCode!, code: (JSON.parse(text) as { code?: string }).code }),
        );
      });
      for (const c of chunks) req.write(c);
      req.end();
    });
  }

  it("reads a body with a declared length, and one sent chunked", async () => {
    const { url, close } = await listen();
    try {
      expect(await post(url, [body], Buffer.byteLength(body))).toEqual({ status: 200 });
      expect(await post(url, [body.slice(0, 10), body.slice(10)])).toEqual({ status: 200 });
    } finally {
      await close();
    }
  });

  it("refuses a body over the limit: declared (413 before reading) or chunked (413 once past it)", async () => {
    const { url, h, close } = await listen();
    try {
      const big = JSON.stringify({
        subject: "ana@example.com",
        scopes: [RO],
        pad: "x".repeat(3000),
      });
      expect(await post(url, [big], Buffer.byteLength(big))).toEqual({
        status: 413,
        code: "body_too_large",
      });
      expect(await post(url, [big.slice(0, 1000), big.slice(1000, 2000), big.slice(2000)])).toEqual(
        {
          status: 413,
          code: "body_too_large",
        },
      );
      expect(h.audit.at(-1)).toMatchObject({ outcome: "invalid", status: 413 });
    } finally {
      await close();
    }
  });

  it("refuses a body longer than its declared length says, whoever built the request", async () => {
    const h = await harness();
    const r = await h.request("/v1/token", {
      method: "POST",
      token: BOOKING_TOKEN,
      headers: { "content-type": "application/json", "content-length": "10" },
      body: JSON.stringify({ subject: "ana@example.com", scopes: [RO], pad: "x".repeat(3000) }),
    });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe("body_too_large");
  });
});

describe("operations", () => {
  it("/healthz and /readyz answer without a token; /v1/doctor and / to a caller allowed doctor", async () => {
    const h = await harness();
    expect((await h.request("/healthz")).body).toStrictEqual({ status: "ok" });
    expect(await h.request("/readyz")).toMatchObject({
      status: 200,
      body: { ready: true, delegation: "checked: ok", cache: "memory" },
    });
    const doctor = await h.request("/v1/doctor", { token: BOOKING_TOKEN });
    expect(doctor.status).toBe(200);
    expect(
      (doctor.body.checks as { id: string; status: string }[]).map((c) => `${c.id}:${c.status}`),
    ).toStrictEqual(["key:pass", "clock:pass", "token:pass", "token:pass", "api:pass"]);
    const page = await h.request("/", { token: BOOKING_TOKEN });
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).toContain("Delegation healthy");
  });

  it("/readyz is 503 until the delegation has been checked", async () => {
    const h = await harness();
    const { createServer } = await import("../src/server.ts");
    const server = createServer({
      credentials: h.key,
      config: await testConfig(),
      audit: () => undefined,
      log: () => undefined,
      fetch: (url, init) => h.emulator.fetch(new Request(url, init)),
      skipInitialCheck: true,
    });
    const r = await server.fetch(new Request("http://dwd.test/readyz"));
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ ready: false, delegation: "not checked yet" });
  });

  it("/metrics counts requests by route and status, latency, token exchanges, cache hits, Google errors and denials", async () => {
    const h = await harness();
    await h.request("/v1/users/info@example.com/calendarList/primary", { token: BOOKING_TOKEN });
    await h.request("/v1/users/info@example.com/calendarList/primary", { token: BOOKING_TOKEN });
    await h.request("/v1/users/info@example.com/calendarList/nope@example.com", {
      token: BOOKING_TOKEN,
    });
    await h.request("/v1/users/ceo@other.org/calendarList/primary", { token: BOOKING_TOKEN });
    const text = (await h.request("/metrics")).text;
    const route = 'route="/v1/users/{subject}/calendarList/{calendarId}",method="GET"';
    expect(text).toContain(`dwd_http_requests_total{${route},status="200"} 2`);
    expect(text).toContain(`dwd_http_requests_total{${route},status="404"} 1`);
    expect(text).toContain(`dwd_http_requests_total{${route},status="403"} 1`);
    expect(text).toContain(`dwd_http_request_duration_seconds_count{${route}} 4`);
    expect(text).toMatch(
      new RegExp(
        `dwd_http_request_duration_seconds_bucket\\{${route.replace(/[{}/.]/g, "\\$&")},le="\\+Inf"\\} 4`,
      ),
    );
    expect(text).toContain('dwd_google_errors_total{reason="notFound"} 1');
    expect(text).toContain(
      'dwd_policy_denials_total{code="subject_not_allowed",caller="booking-app"} 1',
    );
    expect(text).toMatch(/^dwd_token_exchanges_total [1-9]\d*$/m);
    expect(text).toMatch(/^dwd_token_cache_hits_total [1-9]\d*$/m);
    expect(text).toContain("dwd_token_cache_fallback 0");
  });

  it("/openapi.json is OpenAPI 3.1 generated from the route definitions that validate requests", async () => {
    const h = await harness();
    const doc = (await h.request("/openapi.json")).body as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            operationId: string;
            requestBody?: { content: Record<string, { schema: unknown }> };
            parameters?: { name: string; schema: unknown }[];
          }
        >
      >;
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method];
      expect(op?.operationId).toBe(r.operationId);
      if (r.body)
        expect(op?.requestBody?.content["application/json"]?.schema).toStrictEqual(
          JSON.parse(JSON.stringify(r.body)),
        );
      for (const [name, schema] of Object.entries(r.query ?? {}))
        expect(op?.parameters?.find((p) => p.name === name)?.schema).toStrictEqual(schema);
    }
    // The schema that refuses a request is the published one: its maximum appears in both.
    const freebusy = doc.paths["/v1/freebusy"]!.post!.requestBody!.content["application/json"]!
      .schema as { properties: { subjects: { maxItems: number } } };
    const r = await h.request("/v1/freebusy", {
      method: "POST",
      token: BOOKING_TOKEN,
      json: {
        subjects: Array.from(
          { length: freebusy.properties.subjects.maxItems + 1 },
          (_, i) => `u${i}@example.com`,
        ),
        timeMin: "2026-12-01T00:00:00Z",
        timeMax: "2026-12-02T00:00:00Z",
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors).toStrictEqual([
      { field: "subjects", problem: "must have at most 50 items, got 51" },
    ]);
  });

  it("every policy-guarded answer carries x-request-id, the requestId of its audit line", async () => {
    const h = await harness();
    const token = { subject: "ana@example.com", scopes: [RO] };
    const cases: [string, Parameters<Harness["request"]>[1], number, string][] = [
      ["/v1/token", { method: "POST", token: BOOKING_TOKEN, json: token }, 200, "application/json"],
      ["/v1/token", { method: "POST", json: token }, 401, "application/problem+json"],
      [
        "/v1/token",
        { method: "POST", token: INTRUDER_TOKEN, json: token },
        403,
        "application/problem+json",
      ],
      [
        "/v1/freebusy",
        { method: "POST", token: BOOKING_TOKEN, json: {} },
        400,
        "application/problem+json",
      ],
    ];
    const ids = new Set<string>();
    for (const [path, init, status, type] of cases) {
      const r = await h.request(path, init);
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toBe(type);
      expect(r.headers.get("cache-control")).toBe("no-store");
      const id = r.headers.get("x-request-id")!;
      expect(id).toBe(h.audit.at(-1)!.requestId);
      ids.add(id);
    }
    expect(ids.size).toBe(cases.length);
  });

  it("unknown routes are problem+json 404s", async () => {
    const h = await harness();
    const r = await h.request("/v2/anything");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: "no_such_route", detail: "No such route" });
  });
});
