/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- JSON bodies are read as any */
/**
 * Push delivery as Google does it: Google's headers, a notification for every change to the watched
 * calendar (attendee copies included), channel expiry, the drop and delay faults, loopback only.
 * Google's guide: https://developers.google.com/workspace/calendar/api/guides/push
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EmulatorOptions } from "../src/index.ts";
import type { ApiResponse, Harness } from "./calendar-helpers.ts";
import { START, harness, legacyError } from "./calendar-helpers.ts";

/** One POST a channel made. */
interface Delivery {
  url: string;
  channel: string;
  state: string;
  number: number;
  headers: Record<string, string>;
  body: string;
}

/** A receiver on a real port (node:http) that records every POST. */
async function receiver(): Promise<{ server: Server; origin: string; got: Delivery[] }> {
  const got: Delivery[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (k.startsWith("x-goog-")) headers[k] = String(v);
      got.push({
        url: req.url ?? "",
        channel: headers["x-goog-channel-id"] ?? "",
        state: headers["x-goog-resource-state"] ?? "",
        number: Number(headers["x-goog-message-number"]),
        headers,
        body,
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

const servers: Server[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const s of servers.splice(0)) s.close();
});

/** A harness whose deliveries are captured by a `pushFetch` (no socket), for counting. */
async function captured(options: EmulatorOptions = {}): Promise<{ h: Harness; got: Delivery[] }> {
  const got: Delivery[] = [];
  const h = await harness({
    pushAllowedOrigins: ["https://hooks.example.com"],
    pushFetch: (input, init) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((init?.headers ?? {}) as Record<string, string>))
        headers[k.toLowerCase()] = v;
      got.push({
        url: input instanceof Request ? input.url : input.toString(),
        channel: headers["x-goog-channel-id"] ?? "",
        state: headers["x-goog-resource-state"] ?? "",
        number: Number(headers["x-goog-message-number"]),
        headers,
        body: typeof init?.body === "string" ? init.body : "(not a string)",
      });
      return Promise.resolve(new Response(null));
    },
    ...options,
  });
  return { h, got };
}

async function watchAs(
  h: Harness,
  token: string,
  path: string,
  id: string,
  address = "https://hooks.example.com/push",
  extra: Record<string, unknown> = {},
): Promise<ApiResponse> {
  const res = await h.call(token, "POST", path, {
    body: { id, type: "web_hook", address, ...extra },
  });
  expect({ id, status: res.status, text: res.text }).toMatchObject({ id, status: 200 });
  return res;
}

const of = (got: Delivery[], channel: string): string[] =>
  got.filter((d) => d.channel === channel).map((d) => `${d.number}:${d.state}`);

const allDay = (summary: string, day = "2026-04-09"): Record<string, unknown> => ({
  summary,
  start: { date: day },
  end: { date: day.replace(/\d\d$/, (d) => String(Number(d) + 1).padStart(2, "0")) },
});

async function control(h: Harness, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await h.emulator.fetch(
    new Request(`${h.emulator.baseUrl}/_emulator/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    }),
  );
  return res.json();
}

describe("Google's headers on every notification", () => {
  it("a real receiver gets channel ID, token, RFC 1123 expiration, resource ID/URI/state and increasing message numbers, and an empty body", async () => {
    const r = await receiver();
    servers.push(r.server);
    const h = await harness({ pushAllowedOrigins: ["loopback"] });
    const t = await h.token();
    const made = await watchAs(h, t, "calendars/primary/events/watch", "c-1", `${r.origin}/hook`, {
      token: "per-channel-secret",
      params: { ttl: "3600" },
    });
    expect(made.json).toEqual({
      kind: "api#channel",
      id: "c-1",
      resourceId: made.json.resourceId,
      resourceUri: `${h.emulator.baseUrl}/calendar/v3/calendars/primary/events?alt=json`,
      token: "per-channel-secret",
      expiration: String(START + 3_600_000),
    });
    await watchAs(h, t, "calendars/primary/events/watch", "c-2", `${r.origin}/other`);
    await h.call(t, "POST", "calendars/primary/events", { body: allDay("one") });
    await h.call(t, "POST", "calendars/primary/events", { body: allDay("two") });
    await h.emulator.pushIdle();

    const one = r.got.filter((d) => d.channel === "c-1");
    expect(one.map((d) => [d.url, d.state, d.number])).toEqual([
      ["/hook", "sync", 1],
      ["/hook", "exists", 2],
      ["/hook", "exists", 3],
    ]);
    expect(one[1]?.headers).toEqual({
      "x-goog-channel-id": "c-1",
      "x-goog-channel-token": "per-channel-secret",
      "x-goog-channel-expiration": "Wed, 01 Apr 2026 13:00:00 GMT",
      "x-goog-resource-id": made.json.resourceId,
      "x-goog-resource-uri": `${h.emulator.baseUrl}/calendar/v3/calendars/primary/events?alt=json`,
      "x-goog-resource-state": "exists",
      "x-goog-message-number": "2",
    });
    expect(one.every((d) => d.body === "")).toBe(true);
    // No token given: no token header; the default lifetime is Google's 604800 s.
    const two = r.got.filter((d) => d.channel === "c-2");
    expect(two.map((d) => d.number)).toEqual([1, 2, 3]);
    expect(two[0]?.headers["x-goog-channel-token"]).toBeUndefined();
    expect(two[0]?.headers["x-goog-channel-expiration"]).toBe("Wed, 08 Apr 2026 12:00:00 GMT");
  });

  it("caps a longer lifetime at 30 days, by params.ttl or by expiration", async () => {
    const { h } = await captured();
    const t = await h.token();
    const byTtl = await watchAs(h, t, "calendars/primary/events/watch", "t1", undefined, {
      params: { ttl: String(90 * 86_400) },
    });
    expect(byTtl.json.expiration).toBe(String(START + 30 * 86_400_000));
    const byExpiration = await watchAs(h, t, "calendars/primary/events/watch", "t2", undefined, {
      expiration: START + 2 * 3_600_000,
    });
    expect(byExpiration.json.expiration).toBe(String(START + 2 * 3_600_000));
  });
});

describe("a notification on every change to the watched calendar, attendee copies included", () => {
  it("the organizer's insert, patch and delete notify the guest's channel; the guest's answer notifies the organizer's", async () => {
    const { h, got } = await captured();
    const info = await h.token("info@example.com");
    const ana = await h.token("ana@example.com");
    await watchAs(h, info, "calendars/primary/events/watch", "organizer");
    await watchAs(h, ana, "calendars/primary/events/watch", "guest");
    const bob = await h.token("bob@example.com");
    await watchAs(h, bob, "calendars/primary/events/watch", "bystander");
    await h.emulator.pushIdle();
    expect(of(got, "organizer")).toEqual(["1:sync"]);

    const sent = await h.call(info, "POST", "calendars/primary/events", {
      body: { ...allDay("Review"), attendees: [{ email: "ana@example.com" }] },
    });
    expect(sent.status).toBe(200);
    await h.emulator.pushIdle();
    expect(of(got, "guest")).toEqual(["1:sync", "2:exists"]);

    await h.call(info, "PATCH", `calendars/primary/events/${sent.json.id}`, {
      body: { summary: "Review (moved)" },
    });
    await h.emulator.pushIdle();
    expect(of(got, "guest")).toHaveLength(3);

    const organizerBefore = of(got, "organizer").length;
    const answered = await h.call(ana, "PATCH", `calendars/primary/events/${sent.json.id}`, {
      body: { attendees: [{ email: "ana@example.com", responseStatus: "accepted" }] },
    });
    expect(answered.status).toBe(200);
    await h.emulator.pushIdle();
    expect(of(got, "organizer").length).toBeGreaterThan(organizerBefore);

    const guestBefore = of(got, "guest").length;
    expect((await h.call(info, "DELETE", `calendars/primary/events/${sent.json.id}`)).status).toBe(
      204,
    );
    await h.emulator.pushIdle();
    expect(of(got, "guest").length).toBeGreaterThan(guestBefore);
    // Someone not invited hears nothing about it.
    expect(of(got, "bystander")).toEqual(["1:sync"]);
  });

  it("recurring-instance edits, quickAdd, import, calendars.clear and events.move (both calendars) each notify", async () => {
    const { h, got } = await captured();
    const info = await h.token("info@example.com");
    const ana = await h.token("ana@example.com");
    await watchAs(h, info, "calendars/primary/events/watch", "info");
    await watchAs(h, ana, "calendars/primary/events/watch", "ana");
    const count = async (): Promise<[number, number]> => {
      await h.emulator.pushIdle();
      return [of(got, "info").length, of(got, "ana").length];
    };
    const steps: [string, () => Promise<ApiResponse>, [number, number]][] = [];
    let series = "";
    steps.push([
      "insert a series",
      async () => {
        const r = await h.call(info, "POST", "calendars/primary/events", {
          body: { ...allDay("Daily", "2026-04-06"), recurrence: ["RRULE:FREQ=DAILY;COUNT=3"] },
        });
        series = String(r.json.id);
        return r;
      },
      [1, 0],
    ]);
    steps.push([
      "patch one instance",
      () =>
        h.call(info, "PATCH", `calendars/primary/events/${series}_20260407`, {
          body: { summary: "Moved" },
        }),
      [1, 0],
    ]);
    steps.push([
      "delete one instance",
      () => h.call(info, "DELETE", `calendars/primary/events/${series}_20260408`),
      [1, 0],
    ]);
    steps.push([
      "quickAdd",
      () =>
        h.call(
          info,
          "POST",
          `calendars/primary/events/quickAdd?text=${encodeURIComponent("Lunch tomorrow 12pm")}`,
        ),
      [1, 0],
    ]);
    steps.push([
      "import",
      () =>
        h.call(info, "POST", "calendars/primary/events/import", {
          body: { ...allDay("Imported", "2026-04-10"), iCalUID: "imported-1@example.com" },
        }),
      [1, 0],
    ]);
    steps.push([
      "move from info's calendar to ana's",
      async () => {
        const r = await h.call(info, "POST", "calendars/primary/events", {
          body: allDay("To hand over", "2026-04-11"),
        });
        const acl = await h.call(ana, "POST", "calendars/primary/acl", {
          body: { role: "writer", scope: { type: "user", value: "info@example.com" } },
        });
        expect(acl.status).toBe(200);
        await h.emulator.pushIdle();
        return h.call(
          info,
          "POST",
          `calendars/primary/events/${r.json.id}/move?destination=ana%40example.com`,
        );
      },
      [2, 1],
    ]);
    steps.push([
      "clear ana's calendar",
      () => h.call(ana, "POST", "calendars/primary/clear"),
      [0, 1],
    ]);
    for (const [name, step, added] of steps) {
      const before = await count();
      const res = await step();
      expect({ name, ok: res.status < 300, text: res.status < 300 ? "" : res.text }).toEqual({
        name,
        ok: true,
        text: "",
      });
      const after = await count();
      // At least one notification on each calendar the step changed, none on the other.
      const delta: [number, number] = [after[0] - before[0], after[1] - before[1]];
      expect({ name, info: delta[0] > 0, ana: delta[1] > 0 }).toEqual({
        name,
        info: added[0] > 0,
        ana: added[1] > 0,
      });
    }
  });
});

describe("channel expiry and channels.stop", () => {
  it("delivers nothing after expiration on the emulated clock; the expired channel is gone (404 notFound) and its ID free again", async () => {
    const { h, got } = await captured();
    const t = await h.token();
    const made = await watchAs(h, t, "calendars/primary/events/watch", "short", undefined, {
      params: { ttl: "60" },
    });
    await h.call(t, "POST", "calendars/primary/events", { body: allDay("before") });
    await h.emulator.pushIdle();
    expect(of(got, "short")).toEqual(["1:sync", "2:exists"]);
    h.clock.now = START + 60_000;
    const fresh = await h.token("bob@example.com");
    await h.call(t, "POST", "calendars/primary/events", { body: allDay("after") });
    await h.emulator.pushIdle();
    expect(of(got, "short")).toEqual(["1:sync", "2:exists"]);
    const stop = await h.call(fresh, "POST", "channels/stop", {
      body: { id: "short", resourceId: made.json.resourceId },
    });
    expect(stop.status).toBe(404);
    expect(stop.text).toBe(legacyError(404, "global", "notFound", "Not Found"));
    const again = await watchAs(h, t, "calendars/primary/events/watch", "short");
    expect(again.json.resourceId).not.toBe(made.json.resourceId);
  });

  it("a notification still held back by a delay when the channel expires is not delivered", async () => {
    const { h, got } = await captured();
    const t = await h.token();
    await watchAs(h, t, "calendars/primary/events/watch", "brief", undefined, {
      params: { ttl: "60" },
    });
    await h.emulator.pushIdle();
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    h.emulator.faults.pushDelayMs = 1000;
    await h.call(t, "POST", "calendars/primary/events", { body: allDay("late") });
    h.clock.now = START + 60_000;
    const idle = h.emulator.pushIdle();
    await vi.advanceTimersByTimeAsync(1000);
    await idle;
    expect(of(got, "brief")).toEqual(["1:sync"]);
  });

  it("deleting the watched calendar sends not_exists and ends the channel", async () => {
    const { h, got } = await captured();
    const t = await h.token();
    const cal = await h.call(t, "POST", "calendars", { body: { summary: "Temporary" } });
    expect(cal.status).toBe(200);
    const path = `calendars/${encodeURIComponent(String(cal.json.id))}`;
    const made = await watchAs(h, t, `${path}/events/watch`, "temp");
    expect((await h.call(t, "DELETE", path)).status).toBe(204);
    await h.emulator.pushIdle();
    expect(of(got, "temp")).toEqual(["1:sync", "2:not_exists"]);
    const stop = await h.call(t, "POST", "channels/stop", {
      body: { id: "temp", resourceId: made.json.resourceId },
    });
    expect(stop.status).toBe(404);
  });

  it("stops a live channel (204), after which nothing is delivered and a second stop is 404", async () => {
    const { h, got } = await captured();
    const t = await h.token();
    const made = await watchAs(h, t, "calendars/primary/events/watch", "live");
    const stop = await h.call(t, "POST", "channels/stop", {
      body: { id: "live", resourceId: made.json.resourceId },
    });
    expect(stop.status).toBe(204);
    await h.call(t, "POST", "calendars/primary/events", { body: allDay("later") });
    await h.emulator.pushIdle();
    expect(of(got, "live")).toEqual(["1:sync"]);
    const second = await h.call(t, "POST", "channels/stop", {
      body: { id: "live", resourceId: made.json.resourceId },
    });
    expect(second.text).toBe(legacyError(404, "global", "notFound", "Not Found"));
  });
});

describe("fault switches: dropped and delayed notifications", () => {
  async function dropRun(seed: number): Promise<{ numbers: number[]; dropped: number }> {
    const { h, got } = await captured({ faults: { pushDropRate: 0.3, seed } });
    const t = await h.token();
    await watchAs(h, t, "calendars/primary/events/watch", "lossy");
    for (let i = 0; i < 100; i++)
      await h.call(t, "POST", "calendars/primary/events", { body: allDay(`e${i}`) });
    await h.emulator.pushIdle();
    const stats = (await control(h, "GET", "stats")) as Record<string, number>;
    expect(stats["pushDeliveries"]).toBe(got.length);
    return {
      numbers: of(got, "lossy").map((s) => Number(s.split(":")[0])),
      dropped: stats["pushDropped"] ?? -1,
    };
  }

  it("pushDropRate 0.3 drops about 30 % of change notifications, each still using its message number; the same seed drops the same ones", async () => {
    const a = await dropRun(7);
    // The sync message is never dropped; 100 changes, numbers 2..101, the dropped ones missing.
    expect(a.numbers[0]).toBe(1);
    expect(a.numbers.length + a.dropped).toBe(101);
    expect(a.dropped).toBeGreaterThanOrEqual(15);
    expect(a.dropped).toBeLessThanOrEqual(45);
    for (let i = 1; i < a.numbers.length; i++)
      expect(a.numbers[i]).toBeGreaterThan(a.numbers[i - 1] ?? 0);
    expect(a.numbers.at(-1)).toBeLessThanOrEqual(101);
    const gaps = a.numbers.reduce(
      (sum, n, i) => sum + (i === 0 ? 0 : n - (a.numbers[i - 1] ?? 0) - 1),
      0,
    );
    expect(gaps + (101 - (a.numbers.at(-1) ?? 0))).toBe(a.dropped);
    expect(await dropRun(7)).toEqual(a);
    expect((await dropRun(8)).numbers).not.toEqual(a.numbers);
  });

  it("pushDelayMs holds each notification back that long (fake timers), and pushIdle waits for it", async () => {
    const { h, got } = await captured();
    const t = await h.token();
    await watchAs(h, t, "calendars/primary/events/watch", "slow");
    await h.emulator.pushIdle();
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    h.emulator.faults.pushDelayMs = 200;
    await h.call(t, "POST", "calendars/primary/events", { body: allDay("held") });
    let idle = false;
    const waiting = h.emulator.pushIdle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(199);
    expect({ delivered: of(got, "slow"), idle }).toEqual({ delivered: ["1:sync"], idle: false });
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect({ delivered: of(got, "slow"), idle }).toEqual({
      delivered: ["1:sync", "2:exists"],
      idle: true,
    });
  });

  it("a delay range set through PUT /_emulator/faults never reorders a channel's messages over real HTTP; dropped ones do not hold pushIdle", async () => {
    const r = await receiver();
    servers.push(r.server);
    const h = await harness({ pushAllowedOrigins: ["loopback"] });
    const t = await h.token();
    const view = await control(h, "PUT", "faults", {
      pushDelayMs: [0, 30],
      pushDropRate: 0.2,
      seed: 3,
    });
    expect(view).toMatchObject({ pushDelayMs: [0, 30], pushDropRate: 0.2, seed: 3 });
    await watchAs(h, t, "calendars/primary/events/watch", "ordered", `${r.origin}/hook`);
    for (let i = 0; i < 20; i++)
      await h.call(t, "POST", "calendars/primary/events", { body: allDay(`e${i}`) });
    const flushed = (await control(h, "POST", "push/flush")) as Record<string, number>;
    const numbers = r.got.map((d) => d.number);
    expect(numbers).toEqual([...numbers].sort((x, y) => x - y));
    expect(flushed).toEqual({ delivered: r.got.length, failed: 0, dropped: 21 - r.got.length });
    expect(flushed["dropped"]).toBeGreaterThan(0);
  });

  it("refuses bad push faults with a message naming the field", async () => {
    const { h } = await captured();
    expect(await control(h, "PUT", "faults", { pushDropRate: 1.5 })).toEqual({
      error: {
        code: 400,
        message: "Invalid faults: pushDropRate must be a number from 0 to 1, got 1.5",
      },
    });
    expect(await control(h, "PUT", "faults", { pushDelayMs: [50, 10] })).toEqual({
      error: {
        code: 400,
        message:
          "Invalid faults: pushDelayMs must be milliseconds from 0 to 600000, or [min, max] with min <= max, got [50,10]",
      },
    });
    await expect(harness({ faults: { pushDelayMs: -1 } })).rejects.toThrow(
      "Invalid faults option: pushDelayMs must be milliseconds from 0 to 600000, or [min, max] with min <= max, got -1",
    );
  });
});

describe("delivery to loopback addresses only", () => {
  const refused = (address: string): string =>
    legacyError(
      403,
      "global",
      "push.webhookUrlUnauthorized",
      `Unauthorized WebHook callback channel: ${address}`,
    );

  it("the loopback entry allows 127.0.0.1, localhost and [::1] on any port, but never the emulator itself", async () => {
    const r = await receiver();
    servers.push(r.server);
    const port = new URL(r.origin).port;
    const h = await harness({ baseUrl: "http://127.0.0.1:8085", pushAllowedOrigins: ["loopback"] });
    const t = await h.token();
    await watchAs(h, t, "calendars/primary/events/watch", "a", `${r.origin}/a`);
    await watchAs(h, t, "calendars/primary/events/watch", "b", `http://localhost:${port}/b`);
    await watchAs(h, t, "calendars/primary/events/watch", "c", "https://[::1]:9443/c");
    for (const address of ["http://127.0.0.1:8085/hook", "http://localhost:8085/x"]) {
      const res = await h.call(t, "POST", "calendars/primary/events/watch", {
        body: { id: "own", type: "web_hook", address },
      });
      expect(res.text).toBe(refused(address));
    }
    await h.emulator.pushIdle();
    expect(r.got.map((d) => d.channel).sort()).toEqual(["a", "b"]);
  });

  it("refuses a non-loopback address at watch time even when listed, unless a custom pushFetch sends", async () => {
    const h = await harness({
      pushAllowedOrigins: ["loopback", "https://hooks.example.com", "https://10.0.0.5:8443"],
    });
    const t = await h.token();
    for (const address of ["https://hooks.example.com/push", "https://10.0.0.5:8443/push"]) {
      const res = await h.call(t, "POST", "calendars/primary/events/watch", {
        body: { id: address, type: "web_hook", address },
      });
      expect(res.status).toBe(403);
      expect(res.text).toBe(refused(address));
    }
    const stats = (await control(h, "GET", "stats")) as Record<string, number>;
    expect(stats["pushDeliveries"] ?? 0).toBe(0);
    const { h: capturing } = await captured();
    await watchAs(capturing, await capturing.token(), "calendars/primary/events/watch", "ok");
  });

  it("refuses an unlisted loopback port when only origins are listed", async () => {
    const h = await harness({ pushAllowedOrigins: ["http://127.0.0.1:9999"] });
    const t = await h.token();
    const res = await h.call(t, "POST", "calendars/primary/events/watch", {
      body: { id: "x", type: "web_hook", address: "http://127.0.0.1:9998/hook" },
    });
    expect(res.text).toBe(refused("http://127.0.0.1:9998/hook"));
  });
});

describe("stats for the benchmark: Calendar calls and token exchanges", () => {
  it("calendarRequests counts Calendar calls (401s and batch parts included), not Directory calls; tokenRequests counts token exchanges", async () => {
    const h = await harness();
    const t = await h.token("info@example.com");
    await h.call(t, "GET", "calendars/primary/events");
    await h.call("not-a-token", "GET", "colors");
    const boundary = "b1";
    const part = (path: string): string =>
      `--${boundary}\r\nContent-Type: application/http\r\n\r\nGET /calendar/v3/${path}\r\nAuthorization: Bearer ${t}\r\n\r\n`;
    const batch = await h.emulator.fetch(
      new Request(`${h.emulator.baseUrl}/batch/calendar/v3`, {
        method: "POST",
        headers: { "content-type": `multipart/mixed; boundary=${boundary}` },
        body: `${part("colors")}${part("users/me/calendarList")}--${boundary}--\r\n`,
      }),
    );
    expect(batch.status).toBe(200);
    await batch.text();
    const directory = await h.emulator.fetch(
      new Request(`${h.emulator.baseUrl}/admin/directory/v1/users?customer=my_customer`, {
        headers: { authorization: "Bearer not-a-token" },
      }),
    );
    expect(directory.status).toBe(401);
    const stats = (await control(h, "GET", "stats")) as Record<string, number>;
    expect({
      calendarRequests: stats["calendarRequests"],
      tokenRequests: stats["tokenRequests"],
      apiRequests: stats["apiRequests"],
    }).toEqual({ calendarRequests: 4, tokenRequests: 1, apiRequests: 5 });
    expect(h.emulator.stats.calendarRequests).toBe(4);
  });
});
