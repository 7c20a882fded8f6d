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
        { name: "both-scopes", clientId: "100000000000000000013" },
      ],
      grants: [
        { serviceAccount: "full-only", scopes: [FULL] },
        { serviceAccount: "both-scopes", scopes: [FULL, READONLY] },
      ],
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

describe("createScopeChoice({ speculative })", () => {
  /** The token source, counting the exchanges in flight at once and holding each until `release()`. */
  function gated(source: TokenSource): {
    source: Pick<TokenSource, "getToken">;
    peak: () => number;
    waiting: () => number;
    release: () => void;
  } {
    let inFlight = 0;
    let peak = 0;
    const newGate = (): { promise: Promise<void>; resolve: () => void } => {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    };
    let gate = newGate();
    return {
      source: {
        async getToken(request) {
          inFlight++;
          peak = Math.max(peak, inFlight);
          try {
            await gate.promise;
            return await source.getToken(request);
          } finally {
            inFlight--;
          }
        },
      },
      peak: () => peak,
      waiting: () => inFlight,
      release: () => {
        gate.resolve();
        gate = newGate();
      },
    };
  }
  const bothSource = async (): Promise<TokenSource> =>
    createTokenSource(await loadKey(await emulator.serviceAccountKeyJson("both-scopes")), {
      fetch: doFetch,
    });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  };

  it("a grant holding the requested scopes: every caller asks at once, one exchange each", async () => {
    const both = await bothSource();
    {
      const gate = gated(both);
      const choice = createScopeChoice(gate.source, { speculative: 100 });
      const chosen = Promise.all(
        users.map((u) => choice.choose({ subject: u, scopes: [READONLY] })),
      );
      await settle();
      expect(gate.waiting()).toBe(users.length); // nobody waits for the first caller's answer
      gate.release();
      expect(await chosen).toEqual(users.map(() => [READONLY]));
      expect(both.stats.exchanges).toBe(users.length);
      expect(choice.chosen([READONLY])).toEqual([READONLY]);
    }
  });

  it("without it, the others wait for the first caller: one exchange in flight, then the rest", async () => {
    const both = await bothSource();
    {
      const gate = gated(both);
      const choice = createScopeChoice(gate.source);
      const chosen = Promise.all(
        users.map((u) => choice.choose({ subject: u, scopes: [READONLY] })),
      );
      await settle();
      expect(gate.waiting()).toBe(1);
      gate.release();
      expect(await chosen).toEqual(users.map(() => [READONLY]));
      expect(both.stats.exchanges).toBe(1); // the others use the choice; their tokens come later
    }
  });

  it("a grant lacking them: at most `speculative` refused exchanges more, then the fallback for all", async () => {
    const gate = gated(tokens);
    const choice = createScopeChoice(gate.source, { speculative: 5 });
    const chosen = Promise.all(users.map((u) => choice.choose({ subject: u, scopes: [READONLY] })));
    await settle();
    expect(gate.waiting()).toBe(6); // the first caller and 5 speculating
    gate.release();
    for (let i = 0; i < 5 && gate.waiting() > 0; i++) {
      await settle();
      gate.release();
    }
    expect(await chosen).toEqual(users.map(() => [FULL]));
    // The first caller: readonly refused, calendar granted; 5 more refusals of readonly.
    expect(tokens.stats.exchanges).toBe(2 + 5);
    expect(gate.peak()).toBe(6);
  });

  it("a speculating caller's own failure (a suspended user) is its own, named as such", async () => {
    {
      const choice = createScopeChoice(await bothSource(), { speculative: 10 });
      const results = await Promise.allSettled(
        [users[0], "gone@example.com", users[1]].map((u) =>
          choice.choose({ subject: u, scopes: [READONLY] }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      const gone = results[1];
      if (gone?.status === "rejected") {
        expect((gone.reason as DelegationError).code).toBe("user_suspended");
        expect((gone.reason as DelegationError).message).toContain("gone@example.com");
      }
    }
  });

  it("refuses a negative bound", () => {
    expect(() => createScopeChoice(tokens, { speculative: -1 })).toThrow(
      "speculative must be 0 or more",
    );
  });
});
