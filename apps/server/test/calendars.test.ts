// Calendars, not only subjects (issue 14, item 5): a caller reaches the subject's own calendars unless
// its policy names others. Over HTTP, as dwd-server listens.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallerConfig } from "../src/config.ts";
import { parseConfig } from "../src/config.ts";
import { CAL, RO, expectNoSecrets, seen, sha256Hex, testConfig } from "./helpers.ts";
import type { Listening } from "./http.ts";
import { listen } from "./http.ts";
import { call } from "./spawn.ts";

const tokens = {
  own: "cal-own-token-0001",
  rooms: "cal-rooms-token-0001",
  named: "cal-named-token-01",
};
let server: Listening;

async function caller(name: string, token: string, calendars?: string[]): Promise<CallerConfig> {
  return {
    name,
    tokenSha256: await sha256Hex(token),
    subjects: ["*@example.com"],
    operations: ["calendarList.get", "events.list", "events.insert", "events.delete"],
    scopes: [RO, CAL],
    ...(calendars ? { calendars } : {}),
  };
}

beforeAll(async () => {
  const base = await testConfig();
  server = await listen({
    config: {
      ...base,
      callers: [
        await caller("own-app", tokens.own),
        await caller("rooms-app", tokens.rooms, ["*@resource.calendar.google.com"]),
        await caller("named-app", tokens.named, ["Info@example.com"]),
      ],
    },
  });
});
afterAll(async () => {
  await server.close();
  expectNoSecrets(seen);
});

const as = (token: string, path: string, init: Parameters<typeof call>[1] = {}) =>
  call(`${server.url}/v1/users/ana@example.com${path}`, { token, ...init });

describe("deny by default: the subject's own calendars", () => {
  it("refuses another user's calendar (403 calendar_not_allowed) without asking Google", async () => {
    const before = server.h.emulator.stats.apiRequests;
    const r = await as(tokens.own, "/calendars/info@example.com/events");
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({
      code: "calendar_not_allowed",
      detail:
        'Caller "own-app" may not reach calendar "info@example.com" as "ana@example.com": its policy allows the subject\'s own calendars only',
      hint: 'Add the calendar, its domain ("*@resource.calendar.google.com") or "*" to the calendars of caller "own-app" in the dwd-server configuration, if it should',
    });
    expect(server.h.emulator.stats.apiRequests).toBe(before);
    expect(server.h.audit.at(-1)).toMatchObject({
      outcome: "denied",
      status: 403,
      code: "calendar_not_allowed",
      calendar: "info@example.com",
    });
  });

  it("refuses writes too: insert and delete on another calendar", async () => {
    const insert = await as(tokens.own, "/calendars/info@example.com/events", {
      json: {
        summary: "x",
        start: { dateTime: "2026-12-01T09:00:00Z" },
        end: { dateTime: "2026-12-01T10:00:00Z" },
      },
    });
    expect(insert.body).toMatchObject({ status: 403, code: "calendar_not_allowed" });
    const del = await as(tokens.own, "/calendars/info@example.com/events/qbr00001", {
      method: "DELETE",
    });
    expect(del.body).toMatchObject({ status: 403, code: "calendar_not_allowed" });
    expect(server.h.audit.at(-1)).toMatchObject({ operation: "events.delete", status: 403 });
  });

  it("allows primary and the subject's own ID, in any case", async () => {
    expect((await as(tokens.own, "/calendars/primary/events")).status).toBe(200);
    expect((await as(tokens.own, "/calendars/ana@example.com/events")).status).toBe(200);
    expect((await as(tokens.own, "/calendarList/ANA@example.com")).status).toBe(200);
  });
});

describe("calendars named in the policy", () => {
  it("an exact ID (case-insensitive) is reached; others are not", async () => {
    const info = await as(tokens.named, "/calendarList/info@example.com");
    expect(info.body.code).not.toBe("calendar_not_allowed");
    const bob = await as(tokens.named, "/calendarList/bob@example.com");
    expect(bob.body).toMatchObject({
      code: "calendar_not_allowed",
      detail:
        'Caller "named-app" may not reach calendar "bob@example.com" as "ana@example.com": its policy allows the subject\'s own calendars and "Info@example.com"',
    });
  });

  it('resource calendars by "*@resource.calendar.google.com"', async () => {
    const room = await as(tokens.rooms, "/calendarList/c_1889abc@resource.calendar.google.com");
    expect(room.body.code).not.toBe("calendar_not_allowed");
    const info = await as(tokens.rooms, "/calendarList/info@example.com");
    expect(info.body).toMatchObject({ status: 403, code: "calendar_not_allowed" });
  });
});

describe("the configuration", () => {
  it('takes calendar IDs, "*@domain" and "*", and refuses other wildcards', async () => {
    const base = {
      delegation: { keyFile: "k.json", checkSubject: "info@example.com" },
      callers: [await caller("a", "t-0000000001", ["*", "*@group.calendar.google.com", "x@y.z"])],
    };
    expect(parseConfig(base, "c.json").callers[0]!.calendars).toStrictEqual([
      "*",
      "*@group.calendar.google.com",
      "x@y.z",
    ]);
    const bad = { ...base, callers: [await caller("a", "t-0000000001", ["ana*@example.com"])] };
    expect(() => parseConfig(bad, "c.json")).toThrow(
      'Cannot use the configuration "c.json": "callers[0].calendars[0]" must match ^(\\*|\\*@[^@\\s]+|[^*\\s]+)$ (a calendar ID, "*@domain" or "*")',
    );
  });
});
