// The most common grant holds only …/auth/calendar. Reads ask for calendar.readonly by default; the
// client falls back to calendar, learns it once per token source and scope set, and pays one extra token
// exchange for it — counted at the emulator's token endpoint through the token source's stats.
import { DelegationError, createTokenSource, loadKey } from "@dwd/auth";
import type { TokenSource } from "@dwd/auth";
import { createEmulator } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCalendarClient, createScopeChoice, withScopeFallback } from "../src/index.ts";

const FULL = "https://www.googleapis.com/auth/calendar";
const READONLY = "https://www.googleapis.com/auth/calendar.readonly";
const users = Array.from({ length: 20 }, (_, i) => `user${String(i).padStart(2, "0")}@example.com`);

let emulator: Emulator;
let doFetch: (url: string, init?: RequestInit) => Promise<Response>;
const root = "http://emulator.test/calendar/v3";

beforeAll(async () => {
  emulator = await createEmulator({
    baseUrl: "http://emulator.test",
    scenario: {
      domain: "example.com",
      users: [...users.map((email) => ({ email })), { email: "gone@example.com", suspended: true }],
      serviceAccounts: [
        { name: "full-only", clientId: "100000000000000000011" },
        { name: "nothing", clientId: "100000000000000000012" },
      ],
      grants: [{ serviceAccount: "full-only", scopes: [FULL] }],
    },
  });
  doFetch = (url, init) => emulator.fetch(new Request(url, init));
});

let tokens: TokenSource;
beforeEach(async () => {
  tokens = createTokenSource(await loadKey(await emulator.serviceAccountKeyJson("full-only")), {
    fetch: doFetch,
  });
});

const client = (subject?: string, source: TokenSource = tokens) =>
  createCalendarClient({ tokenSource: source, subject, rootUrl: root, fetch: doFetch });

describe("a grant of only …/auth/calendar, default scopes", () => {
  it("events.list() falls back to calendar with one extra exchange, then asks no more", async () => {
    const page = await client(users[0]).events.list("primary");
    expect(page.kind).toBe("calendar#events");
    expect(tokens.stats.exchanges).toBe(2); // calendar.readonly refused, calendar granted
    await client(users[0]).calendarList.list();
    await client(users[0]).events.list("primary");
    expect(tokens.stats.exchanges).toBe(2);
    await client(users[1]).events.list("primary");
    expect(tokens.stats.exchanges).toBe(3); // the next user goes straight to calendar
  });

  it("a batch of 20 users costs 21 exchanges, every part ok", async () => {
    const results = await client().batch((b) => users.map((u) => b.as(u).events.list("primary")));
    expect(results.map((r) => r.ok)).toEqual(users.map(() => true));
    expect(tokens.stats.exchanges).toBe(users.length + 1);
  });

  it("20 concurrent first calls wait for one choice: 21 exchanges", async () => {
    await Promise.all(users.map((u) => client(u).events.list("primary")));
    expect(tokens.stats.exchanges).toBe(users.length + 1);
  });

  it("a first caller failing for its own reason (suspended) does not spoil the choice", async () => {
    const [gone, ...rest] = await Promise.allSettled([
      client("gone@example.com").events.list("primary"),
      ...users.slice(0, 3).map((u) => client(u).events.list("primary")),
    ]);
    expect(gone?.status).toBe("rejected");
    if (gone?.status === "rejected")
      expect((gone.reason as DelegationError).code).toBe("user_suspended");
    expect(rest.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
  });

  it("writes ask for calendar directly, with no probe", async () => {
    await client(users[2]).events.insert("primary", {
      summary: "x",
      start: { dateTime: "2026-05-04T10:00:00Z" },
      end: { dateTime: "2026-05-04T11:00:00Z" },
    });
    expect(tokens.stats.exchanges).toBe(1);
  });

  it("configured scopes are used exactly: calendar.readonly is refused, no fallback", async () => {
    const cal = createCalendarClient({
      tokenSource: tokens,
      subject: users[0],
      scopes: [READONLY],
      rootUrl: root,
      fetch: doFetch,
    });
    const error = await cal.events.list("primary").catch((e: unknown) => e);
    expect((error as DelegationError).code).toBe("delegation_not_authorized");
    expect(tokens.stats.exchanges).toBe(1);
  });
});

describe("withScopeFallback()", () => {
  it("a client configured with calendar.readonly over it falls back too, sharing the choice", async () => {
    const over = (subject: string) =>
      createCalendarClient({
        tokenSource: withScopeFallback(tokens),
        subject,
        scopes: [READONLY],
        rootUrl: root,
        fetch: doFetch,
      });
    await over(users[5]!).events.list("primary");
    expect(tokens.stats.exchanges).toBe(2);
    await client(users[6]).events.list("primary"); // a default client over the same source
    expect(tokens.stats.exchanges).toBe(3);
  });
});

describe("a client with no grant", () => {
  it("names both scopes tried, narrowest first", async () => {
    const none = createTokenSource(await loadKey(await emulator.serviceAccountKeyJson("nothing")), {
      fetch: doFetch,
    });
    const error = await client(users[0], none)
      .events.list("primary")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect((error as DelegationError).code).toBe("delegation_not_authorized");
    expect((error as DelegationError).message).toBe(
      `Cannot get a token for "${users[0]}": client "100000000000000000012" is not authorized for domain-wide delegation of "calendar.readonly", then "calendar" (tried narrowest first)`,
    );
    expect((error as DelegationError).scopes).toEqual([READONLY, FULL]);
    expect((error as DelegationError).hint).toMatch(/Domain-wide delegation/);
    expect(none.stats.exchanges).toBe(2);
  });
});

describe("createScopeChoice()", () => {
  it("tries its fallbacks in order and remembers the one the grant holds", async () => {
    const choice = createScopeChoice(tokens, {
      fallbacks: ["https://www.googleapis.com/auth/calendar.events", FULL],
    });
    const request = {
      subject: users[3],
      scopes: ["https://www.googleapis.com/auth/calendar.freebusy"],
    };
    expect(await choice.choose(request)).toEqual([FULL]);
    expect(tokens.stats.exchanges).toBe(3);
    expect(await choice.choose({ ...request, subject: users[4] })).toEqual([FULL]);
    expect(choice.chosen(request.scopes)).toEqual([FULL]);
    expect(tokens.stats.exchanges).toBe(3);
  });
});
