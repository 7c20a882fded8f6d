import { describe, expect, it } from "vitest";
import type { ServerConfig } from "../src/config.ts";
import type { MirrorConfig } from "../src/mirror/types.ts";
import type { CreateServerOptions } from "../src/server.ts";
import { createServer } from "../src/server.ts";
import {
  BOOKING_TOKEN,
  INTRUDER_TOKEN,
  RO,
  callers,
  expectNoSecrets,
  seen,
  sha256Hex,
  sharedEmulator,
  testConfig,
} from "./helpers.ts";
import { FakeMirror } from "./mirror-fake.ts";

const mirrorConfig: MirrorConfig = {
  users: ["list:sales"],
  pushUrl: "https://dwd.example.com/v1/push",
  horizonDays: 90,
  channelTtlHours: 168,
  reconcileMinutes: 15,
  callsPerSecond: 10,
};

/** A Monday 0:00 UTC one to two weeks ahead (the emulator's tokens follow the real clock). */
const day = ((): number => {
  let d = (Math.floor(Date.now() / 86_400_000) + 7) * 86_400_000;
  while (new Date(d).getUTCDay() !== 1) d += 86_400_000;
  return d;
})();
const iso = (ms: number): string => new Date(ms).toISOString();
/** Busy instants as Google writes them (whole seconds without `.000`), from either source. */
const googleIso = (ms: number): string => iso(ms).replace(".000Z", "Z");
const hour = 3_600_000;
const CHANNEL_TOKEN = "channel-secret-7d1e0c9a4b";
const NARROW_TOKEN = "test-narrow-token-6c0d2e";

/** One subject's entry of an answer. */
interface Entry {
  source: string;
  asOf: string;
  busy?: { start: string; end: string }[];
}

/** The answers' fields these tests read (each route fills some). */
type Body = Record<string, unknown> & {
  subjects?: Record<string, Entry>;
  sources?: Record<string, Entry>;
  slots?: { start: string }[];
  checks?: { id: string; status: string; detail: string; code?: string }[];
};

/** One subject's entry, which must be there. */
const entry = (map: Record<string, Entry> | undefined, subject: string): Entry => {
  const found = map?.[subject];
  if (found === undefined) throw new Error(`no entry for ${subject}`);
  return found;
};

/** A server over the emulator with a fake mirror; counts what reaches the emulator. */
async function setup(
  options: {
    mirror?: FakeMirror | null;
    config?: Partial<ServerConfig>;
    probeFetch?: CreateServerOptions["probeFetch"];
    pushRate?: CreateServerOptions["pushRate"];
  } = {},
) {
  const { emulator, key } = await sharedEmulator();
  const mirror =
    options.mirror === null
      ? undefined
      : (options.mirror ?? new FakeMirror(["ana@example.com", "bob@example.com"]));
  const upstream = { token: 0, calendar: 0, paths: [] as string[] };
  const logs: string[] = [];
  const audit: string[] = [];
  const clock = { now: Date.now() };
  const config = await testConfig({
    ...(mirror !== undefined ? { mirror: mirrorConfig } : {}),
    ...options.config,
  });
  const server = createServer({
    credentials: key,
    config,
    audit: (line) => {
      audit.push(line);
      seen.push(line);
    },
    log: (line) => {
      logs.push(line);
      seen.push(line);
    },
    fetch: (url, init) => {
      const path = new URL(url).pathname;
      upstream.paths.push(path);
      if (path === "/token") upstream.token++;
      else if (path.includes("calendar")) upstream.calendar++;
      return emulator.fetch(new Request(url, init));
    },
    now: () => clock.now,
    skipInitialCheck: true,
    ...(mirror !== undefined ? { mirror } : {}),
    ...(options.probeFetch ? { probeFetch: options.probeFetch } : {}),
    ...(options.pushRate ? { pushRate: options.pushRate } : {}),
  });
  const request = async (
    path: string,
    init: {
      method?: string;
      token?: string;
      json?: unknown;
      headers?: Record<string, string>;
      body?: string;
    } = {},
  ) => {
    const headers = new Headers(init.headers);
    if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    const response = await server.fetch(
      new Request(`http://dwd.test${path}`, {
        method: init.method ?? (body === undefined ? "GET" : "POST"),
        headers,
        ...(body !== undefined ? { body } : {}),
      }),
    );
    const text = await response.text();
    seen.push(text, [...response.headers].join("\n"));
    return {
      status: response.status,
      headers: response.headers,
      text,
      body: (text.startsWith("{") ? JSON.parse(text) : {}) as Body,
    };
  };
  return { server, mirror, upstream, logs, audit, clock, request, emulator };
}

const range = { timeMin: iso(day), timeMax: iso(day + 24 * hour) };

describe("answers from the mirror (/v1/freebusy, /v1/availability)", () => {
  it("answers mirrored users from the mirror: source, asOf, busy; no token exchange, no Calendar call", async () => {
    const t = await setup();
    const asOf = t.clock.now - 5000;
    t.mirror!.answers.set("ana@example.com", {
      asOf,
      busy: [[day + 9 * hour, day + 10 * hour]],
    });
    t.mirror!.answers.set("bob@example.com", { asOf, busy: [] });
    const r = await t.request("/v1/freebusy", {
      token: BOOKING_TOKEN,
      json: { subjects: ["Ana@example.com", "bob@example.com"], ...range },
    });
    expect(r.status).toBe(200);
    expect(r.body.subjects).toStrictEqual({
      "ana@example.com": {
        busy: [{ start: googleIso(day + 9 * hour), end: googleIso(day + 10 * hour) }],
        source: "mirror",
        asOf: iso(asOf),
      },
      "bob@example.com": { busy: [], source: "mirror", asOf: iso(asOf) },
    });
    expect(t.mirror!.reads).toStrictEqual([
      { subject: "ana@example.com", from: day, to: day + 24 * hour },
      { subject: "bob@example.com", from: day, to: day + 24 * hour },
    ]);

    const a = await t.request("/v1/availability", {
      token: BOOKING_TOKEN,
      json: {
        subjects: ["ana@example.com", "bob@example.com"],
        ...range,
        durationMinutes: 60,
        timeZone: "UTC",
        workingHours: { start: "08:00", end: "11:00" },
      },
    });
    expect(a.status).toBe(200);
    expect(a.body.slots?.map((s) => s.start)).toStrictEqual([
      iso(day + 8 * hour),
      iso(day + 10 * hour),
    ]);
    expect(a.body.sources).toStrictEqual({
      "ana@example.com": { source: "mirror", asOf: iso(asOf) },
      "bob@example.com": { source: "mirror", asOf: iso(asOf) },
    });
    expect(t.upstream).toStrictEqual({ token: 0, calendar: 0, paths: [] });
  });

  it("reads the mirror's spans as Google writes them, in whole seconds, for both routes", async () => {
    // ana is busy 09:00:00.700–09:59:59.600 (a fraction, as a range edge can give): Google would
    // write 09:00:00Z–09:59:59Z, so the 10:00 slot is free and the 09:00 one is not, from either route.
    const t = await setup();
    t.mirror!.answers.set("ana@example.com", {
      asOf: day,
      busy: [[day + 9 * hour + 700, day + 10 * hour - 400]],
    });
    t.mirror!.answers.set("bob@example.com", {
      asOf: day,
      busy: [[day + 11 * hour + 999, day + 12 * hour + 999]],
    });
    const r = await t.request("/v1/freebusy", {
      token: BOOKING_TOKEN,
      json: { subjects: ["ana@example.com", "bob@example.com"], ...range },
    });
    expect(r.status).toBe(200);
    expect(entry(r.body.subjects, "ana@example.com").busy).toStrictEqual([
      { start: googleIso(day + 9 * hour), end: googleIso(day + 10 * hour - 1000) },
    ]);
    expect(entry(r.body.subjects, "bob@example.com").busy).toStrictEqual([
      { start: googleIso(day + 11 * hour), end: googleIso(day + 12 * hour) },
    ]);
    const a = await t.request("/v1/availability", {
      token: BOOKING_TOKEN,
      json: {
        subjects: ["ana@example.com", "bob@example.com"],
        ...range,
        durationMinutes: 60,
        stepMinutes: 60,
        timeZone: "UTC",
        workingHours: { start: "08:00", end: "13:00" },
      },
    });
    expect(a.status).toBe(200);
    // bob's busy 11:00:00–12:00:00 (whole seconds) leaves 12:00 free; read in ms it would not.
    expect(a.body.slots?.map((s) => s.start)).toStrictEqual([
      iso(day + 8 * hour),
      iso(day + 10 * hour),
      iso(day + 12 * hour),
    ]);
    expect(t.upstream).toStrictEqual({ token: 0, calendar: 0, paths: [] });
  });

  it("mixes mirrored and live users in one answer; only the live ones reach Google", async () => {
    const t = await setup();
    t.mirror!.answers.set("ana@example.com", { asOf: day - 60_000, busy: [[day, day + hour]] });
    // bob is mirrored but not synced yet (read → undefined): live; info is not mirrored: live.
    const r = await t.request("/v1/freebusy", {
      token: BOOKING_TOKEN,
      json: { subjects: ["ana@example.com", "bob@example.com", "info@example.com"], ...range },
    });
    expect(r.status).toBe(200);
    const subjects = r.body.subjects as Record<string, { source: string; asOf: string }>;
    expect(subjects["ana@example.com"]).toStrictEqual({
      busy: [{ start: googleIso(day), end: googleIso(day + hour) }],
      source: "mirror",
      asOf: iso(day - 60_000),
    });
    for (const s of ["bob@example.com", "info@example.com"]) {
      expect(subjects[s]!.source).toBe("google");
      expect(subjects[s]!.asOf).toBe(iso(t.clock.now));
      expect(subjects[s]).toHaveProperty("busy");
    }
    // The mirror is asked only about its users; Google only about the two live ones.
    expect(t.mirror!.reads.map((x) => x.subject)).toStrictEqual([
      "ana@example.com",
      "bob@example.com",
    ]);
    expect(t.upstream.token).toBe(2);
    expect(t.upstream.calendar).toBeGreaterThan(0);
  });

  it("fresh=true asks Google for every subject and never reads the mirror", async () => {
    const t = await setup();
    t.mirror!.answers.set("ana@example.com", { asOf: day, busy: [[day, day + hour]] });
    const r = await t.request("/v1/freebusy", {
      token: BOOKING_TOKEN,
      json: { subjects: ["ana@example.com"], ...range, fresh: true },
    });
    expect(r.status).toBe(200);
    expect(entry(r.body.subjects, "ana@example.com").source).toBe("google");
    expect(t.mirror!.reads).toStrictEqual([]);
    expect(t.upstream.token).toBe(1);

    const a = await t.request("/v1/availability", {
      token: BOOKING_TOKEN,
      json: {
        subjects: ["ana@example.com"],
        ...range,
        durationMinutes: 30,
        timeZone: "UTC",
        fresh: true,
      },
    });
    expect(a.status).toBe(200);
    expect(entry(a.body.sources, "ana@example.com").source).toBe("google");
    expect(t.mirror!.reads).toStrictEqual([]);
  });

  it("a mirror that fails to read is answered live, and the failure logged", async () => {
    const t = await setup();
    t.mirror!.answers.set("ana@example.com", { asOf: day, busy: [] });
    t.mirror!.failReads = true;
    const r = await t.request("/v1/freebusy", {
      token: BOOKING_TOKEN,
      json: { subjects: ["ana@example.com"], ...range },
    });
    expect(r.status).toBe(200);
    expect(entry(r.body.subjects, "ana@example.com").source).toBe("google");
    expect(t.upstream.token).toBe(1);
    expect(t.logs.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain(
      'mirror: cannot read "ana@example.com", asking Google: the store is unreachable',
    );
  });

  it("does not widen access: the policy refuses a mirrored user as before, without reading the mirror", async () => {
    const narrow = {
      name: "narrow",
      tokenSha256: await sha256Hex(NARROW_TOKEN),
      subjects: ["bob@example.com"],
      operations: ["freebusy" as const],
      scopes: [RO],
    };
    const t = await setup({ config: { callers: [...(await callers()), narrow] } });
    t.mirror!.answers.set("ana@example.com", { asOf: day, busy: [] });
    t.mirror!.answers.set("bob@example.com", { asOf: day, busy: [] });
    const r = await t.request("/v1/freebusy", {
      token: NARROW_TOKEN,
      json: { subjects: ["bob@example.com", "ana@example.com"], ...range },
    });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe("subject_not_allowed");
    const op = await t.request("/v1/availability", {
      token: NARROW_TOKEN,
      json: { subjects: ["bob@example.com"], ...range, durationMinutes: 30, timeZone: "UTC" },
    });
    expect(op.status).toBe(403);
    expect(op.body.code).toBe("operation_not_allowed");
    const intruder = await t.request("/v1/freebusy", {
      token: INTRUDER_TOKEN,
      json: { subjects: ["ana@example.com"], ...range },
    });
    expect(intruder.status).toBe(403);
    expect(t.mirror!.reads).toStrictEqual([]);
    const allowed = await t.request("/v1/freebusy", {
      token: NARROW_TOKEN,
      json: { subjects: ["bob@example.com"], ...range },
    });
    expect(entry(allowed.body.subjects, "bob@example.com").source).toBe("mirror");
    const none = await t.request("/v1/freebusy", {
      json: { subjects: ["ana@example.com"], ...range },
    });
    expect(none.status).toBe(401);
    expect(t.mirror!.reads.map((r) => r.subject)).toStrictEqual(["bob@example.com"]);
  });

  it("without a mirror, every subject is live with source google", async () => {
    const t = await setup({ mirror: null });
    const r = await t.request("/v1/freebusy", {
      token: BOOKING_TOKEN,
      json: { subjects: ["ana@example.com"], ...range },
    });
    expect(r.status).toBe(200);
    expect(entry(r.body.subjects, "ana@example.com").source).toBe("google");
    expect(entry(r.body.subjects, "ana@example.com").asOf).toBe(iso(t.clock.now));
  });
});

const goog = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [`x-goog-${k}`, v]));

describe("POST /v1/push", () => {
  it("hands Google's headers to the mirror and answers 200 for accepted, sync and duplicate", async () => {
    const t = await setup();
    t.mirror!.channels.set("ch-1", { token: CHANNEL_TOKEN, subject: "ana@example.com", last: 0 });
    const headers = {
      "channel-id": "ch-1",
      "channel-token": CHANNEL_TOKEN,
      "resource-id": "res-1",
      "resource-state": "sync",
      "message-number": "1",
    };
    const sync = await t.request("/v1/push", { method: "POST", headers: goog(headers) });
    expect([sync.status, sync.text]).toStrictEqual([200, ""]);
    const accepted = await t.request("/v1/push", {
      method: "POST",
      headers: goog({ ...headers, "resource-state": "exists", "message-number": "2" }),
      body: "ignored",
    });
    expect([accepted.status, accepted.text]).toStrictEqual([200, ""]);
    const duplicate = await t.request("/v1/push", {
      method: "POST",
      headers: goog({ ...headers, "resource-state": "exists", "message-number": "2" }),
    });
    expect([duplicate.status, duplicate.text]).toStrictEqual([200, ""]);
    expect(t.mirror!.pushes[1]).toStrictEqual({
      channelId: "ch-1",
      channelToken: CHANNEL_TOKEN,
      resourceId: "res-1",
      resourceState: "exists",
      messageNumber: "2",
    });
    expect(t.mirror!.synced).toStrictEqual(["ana@example.com"]);
    // Google cannot send a caller's token, and none is asked for.
    expect(t.upstream.token).toBe(0);
  });

  it("refuses an unknown channel or a wrong token with 404, counted, never logged or audited with the token", async () => {
    const t = await setup();
    t.mirror!.channels.set("ch-1", { token: CHANNEL_TOKEN, subject: "ana@example.com", last: 0 });
    const wrong = await t.request("/v1/push", {
      method: "POST",
      headers: goog({
        "channel-id": "ch-1",
        "channel-token": "guessed-token-0000",
        "resource-state": "exists",
        "message-number": "5",
      }),
    });
    expect(wrong.status).toBe(404);
    expect(wrong.body).toMatchObject({
      code: "no_such_channel",
      detail: "No channel of this server matches",
      hint: "Notifications are taken only for channels this server created, with their token",
    });
    const unknown = await t.request("/v1/push", {
      method: "POST",
      headers: goog({
        "channel-id": "ch-9",
        "channel-token": CHANNEL_TOKEN,
        "message-number": "1",
      }),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("no_such_channel");
    expect(t.mirror!.synced).toStrictEqual([]);
    const metrics = (await t.request("/metrics")).text;
    expect(metrics).toContain("\ndwd_mirror_notifications_refused_total 2\n");
    expect(metrics).toContain(
      'dwd_http_requests_total{route="/v1/push",method="POST",status="404"} 2',
    );
    for (const line of [...t.logs, ...t.audit]) expect(line).not.toContain(CHANNEL_TOKEN);
    expect(t.audit).toStrictEqual([]);
  });

  it("refuses a body over 4096 bytes with 413 before the mirror sees it", async () => {
    const t = await setup();
    const r = await t.request("/v1/push", {
      method: "POST",
      headers: goog({ "channel-id": "ch-1", "channel-token": CHANNEL_TOKEN }),
      body: "x".repeat(5000),
    });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe("body_too_large");
    expect(r.body.detail).toBe("A notification's body is at most 4096 bytes");
    expect(t.mirror!.pushes).toStrictEqual([]);
  });

  it("has its own rate budget: over it 429 with Retry-After, the callers' budget untouched", async () => {
    const t = await setup({ pushRate: { requests: 2, per: "minute" } });
    t.mirror!.channels.set("ch-1", { token: CHANNEL_TOKEN, subject: "ana@example.com", last: 0 });
    const send = (n: number) =>
      t.request("/v1/push", {
        method: "POST",
        headers: goog({
          "channel-id": "ch-1",
          "channel-token": CHANNEL_TOKEN,
          "resource-state": "exists",
          "message-number": String(n),
        }),
      });
    expect((await send(1)).status).toBe(200);
    expect((await send(2)).status).toBe(200);
    const over = await send(3);
    expect(over.status).toBe(429);
    expect(over.body.code).toBe("push_rate_limited");
    expect(over.body.detail).toBe("Notifications are over this server's budget of 2 per minute");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(t.mirror!.pushes).toHaveLength(2);
    t.mirror!.answers.set("ana@example.com", { asOf: day, busy: [] });
    const caller = await t.request("/v1/freebusy", {
      token: BOOKING_TOKEN,
      json: { subjects: ["ana@example.com"], ...range },
    });
    expect(caller.status).toBe(200);
  });

  it("is 404 mirror_off without a mirror; GET answers 405 with X-Dwd-Push for the doctor", async () => {
    const off = await setup({ mirror: null });
    const r = await off.request("/v1/push", {
      method: "POST",
      headers: goog({ "channel-id": "x" }),
    });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({
      code: "mirror_off",
      detail: "This server keeps no mirror: /v1/push is off",
    });
    expect((await off.request("/v1/push")).headers.get("x-dwd-push")).toBe("off");
    const on = await setup();
    const probe = await on.request("/v1/push");
    expect(probe.status).toBe(405);
    expect(probe.headers.get("allow")).toBe("POST");
    expect(probe.headers.get("x-dwd-push")).toBe("on");
    expect(probe.body.code).toBe("method_not_allowed");
  });

  it("is in the OpenAPI document, and freebusy/availability take fresh", async () => {
    const t = await setup();
    type Op = {
      operationId: string;
      security: unknown[];
      responses: Record<string, unknown>;
      parameters: { name: string }[];
      requestBody: {
        content: Record<string, { schema: { properties: Record<string, { type: string }> } }>;
      };
    };
    const doc = (await t.request("/openapi.json")).body as unknown as {
      paths: Record<string, { post: Op }>;
    };
    const push = doc.paths["/v1/push"]!.post;
    expect(push.operationId).toBe("push");
    expect(push.security).toStrictEqual([]);
    expect(Object.keys(push.responses).sort()).toStrictEqual(["200", "404", "413", "429"]);
    expect(push.parameters.map((p) => p.name)).toContain("x-goog-channel-token");
    for (const path of ["/v1/freebusy", "/v1/availability"])
      expect(
        doc.paths[path]!.post.requestBody.content["application/json"]!.schema.properties.fresh!
          .type,
      ).toBe("boolean");
  });
});

describe("the mirror in /metrics, /readyz and the doctor", () => {
  it("renders lag (max and histogram), channels, notifications and syncs", async () => {
    const t = await setup();
    Object.assign(t.mirror!.counters, {
      syncs: 7,
      fullSyncs: 3,
      fullResyncs: 1,
      reconcileRepairs: 2,
      syncErrors: 4,
      notificationsAccepted: 5,
      notificationsDuplicate: 6,
    });
    t.mirror!.state = {
      ...t.mirror!.state,
      channelsLive: 2,
      channelsExpiring: 1,
      lagsMs: [1500, 40_000],
    };
    const text = (await t.request("/metrics")).text;
    for (const line of [
      "dwd_mirror_lag_max_seconds 40",
      'dwd_mirror_lag_seconds_bucket{le="1"} 0',
      'dwd_mirror_lag_seconds_bucket{le="2"} 1',
      'dwd_mirror_lag_seconds_bucket{le="60"} 2',
      'dwd_mirror_lag_seconds_bucket{le="+Inf"} 2',
      "dwd_mirror_lag_seconds_sum 41.5",
      "dwd_mirror_lag_seconds_count 2",
      "dwd_mirror_channels_live 2",
      "dwd_mirror_channels_expiring 1",
      "dwd_mirror_notifications_accepted_total 5",
      "dwd_mirror_notifications_duplicate_total 6",
      "dwd_mirror_notifications_refused_total 0",
      "dwd_mirror_syncs_total 7",
      "dwd_mirror_full_syncs_total 3",
      "dwd_mirror_full_resyncs_total 1",
      "dwd_mirror_reconcile_repairs_total 2",
      "dwd_mirror_sync_errors_total 4",
      "dwd_mirror_ready 0",
    ])
      expect(text.split("\n")).toContain(line);
    expect(text).toContain("# TYPE dwd_mirror_lag_seconds histogram");
    const off = await setup({ mirror: null });
    expect((await off.request("/metrics")).text).not.toContain("dwd_mirror_");
  });

  it("/readyz reports warming, then ready, and stays 200 while warming", async () => {
    const t = await setup();
    // The delegation check (the doctor runs it; the mirror's checks are not part of readiness).
    expect((await t.request("/v1/doctor", { token: BOOKING_TOKEN })).body.checks).toBeDefined();
    const warming = await t.request("/readyz");
    expect(warming.status).toBe(200);
    expect(warming.body.mirror).toStrictEqual({
      state: "warming",
      users: 2,
      synced: 0,
      channelsLive: 0,
    });
    t.mirror!.state = { ...t.mirror!.state, state: "ready", synced: 2, channelsLive: 2 };
    const ready = await t.request("/readyz");
    expect(ready.status).toBe(warming.status);
    expect(ready.body.mirror).toStrictEqual({
      state: "ready",
      users: 2,
      synced: 2,
      channelsLive: 2,
    });
  });

  it("the doctor checks the push address reaches this server and that channels are live", async () => {
    let target: ((r: Request) => Promise<Response>) | undefined;
    const t = await setup({
      probeFetch: async (url, init) => await target!(new Request(url, init)),
    });
    target = (r) => t.server.fetch(r);
    t.mirror!.state = {
      ...t.mirror!.state,
      state: "ready",
      synced: 1,
      channelsLive: 1,
      failing: [{ subject: "bob@example.com", reason: "watch: 403 push.webhookUrlUnauthorized" }],
    };
    const doctor = await t.request("/v1/doctor", { token: BOOKING_TOKEN });
    const checks = doctor.body.checks as {
      id: string;
      status: string;
      detail: string;
      code?: string;
    }[];
    expect(checks.find((c) => c.id === "push")).toStrictEqual({
      id: "push",
      status: "pass",
      detail: 'The push address "https://dwd.example.com/v1/push" reaches this server\'s /v1/push',
    });
    expect(checks.find((c) => c.id === "channels")).toMatchObject({
      status: "fail",
      code: "channels_missing",
      detail:
        "1 of 2 mirrored user(s) have a live channel, 0 expiring soon; failing: bob@example.com (watch: 403 push.webhookUrlUnauthorized)",
    });
    expect(doctor.status).toBe(503);
    expect(doctor.body.ok).toBe(false);

    // Another service at the address: fails, with the fix.
    target = () => Promise.resolve(new Response("not here", { status: 404 }));
    t.mirror!.state = { ...t.mirror!.state, state: "warming", failing: [] };
    const elsewhere = await t.request("/v1/doctor", { token: BOOKING_TOKEN });
    const c2 = elsewhere.body.checks as {
      id: string;
      status: string;
      detail: string;
      code?: string;
    }[];
    expect(c2.find((c) => c.id === "push")).toMatchObject({
      status: "fail",
      code: "push_address_elsewhere",
      detail:
        'GET "https://dwd.example.com/v1/push" answered 404 without X-Dwd-Push: the address does not reach a dwd-server whose mirror runs',
    });
    // While warming, missing channels are skipped, not failed.
    expect(c2.find((c) => c.id === "channels")?.status).toBe("skip");
    target = () => Promise.reject(new TypeError("fetch failed"));
    const down = await t.request("/v1/doctor", { token: BOOKING_TOKEN });
    expect(
      (down.body.checks as { id: string; code?: string; detail: string }[]).find(
        (c) => c.id === "push",
      ),
    ).toMatchObject({
      code: "push_address_unreachable",
      detail: 'Cannot reach the push address "https://dwd.example.com/v1/push": fetch failed',
    });
    expectNoSecrets();
  });

  it("exposes the mirror on the server, and creates none without a mirror section", async () => {
    const t = await setup();
    expect(t.server.mirror).toBe(t.mirror);
    const off = await setup({ mirror: null });
    expect(off.server.mirror).toBeUndefined();
  });
});
