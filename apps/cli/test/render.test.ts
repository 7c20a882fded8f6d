import { DelegationError } from "@dwd/auth";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  deterministicEventId,
  isValidEventId,
  toBase32hex,
} from "../src/_internal/event-id.ts";
import { commonFreeRanges, commonFreeSlots, renderFreeBusyGrid } from "../src/_internal/grid.ts";
import type { GridInput } from "../src/_internal/grid.ts";
import { outputMode, renderTable, taggedJson, terminalText } from "../src/_internal/output.ts";
import { createScopeChoice, scopeCandidates } from "../src/_internal/scope-choice.ts";

const auth = "https://www.googleapis.com/auth/";

describe("renderTable()", () => {
  const columns = [
    { header: "ID", value: (r: { id: string; summary: string }) => r.id },
    { header: "SUMMARY", value: (r: { id: string; summary: string }) => r.summary, shrink: true },
  ];
  const rows = [
    { id: "e1", summary: "Stand-up" },
    { id: "event-two", summary: "Quarterly planning with the whole team" },
  ];
  it("on a terminal: a header, aligned columns, cut to the width", () => {
    expect(renderTable(columns, rows, { tty: true, width: 30 })).toEqual([
      "ID         SUMMARY",
      "e1         Stand-up",
      "event-two  Quarterly planning…",
    ]);
  });
  it("piped: tab-separated, no header, nothing cut", () => {
    expect(renderTable(columns, rows, { tty: false, width: 10 })).toEqual([
      "e1\tStand-up",
      "event-two\tQuarterly planning with the whole team",
    ]);
  });
  it("neutralises control characters from Google's data (no escape sequences reach the terminal)", () => {
    expect(terminalText("Evil\u001b[2J\r\nsummary\ttab\u202e")).toBe(
      "Evil\\u001b[2J\\r\\nsummary tab\\u202e",
    );
    expect(renderTable(columns, [{ id: "x", summary: "a\u0007b" }], { tty: false })).toEqual([
      "x\ta\\u0007b",
    ]);
  });
});

describe("output", () => {
  it("tags JSON items with their subject first, and not at all for the service account", () => {
    expect(
      Object.keys(taggedJson({ subject: "a@x.com", item: { id: "e1", summary: "s" } })),
    ).toEqual(["subject", "id", "summary"]);
    expect(taggedJson({ subject: undefined, item: { id: "e1" } })).toEqual({ id: "e1" });
  });
  it("--json and --ndjson together are a usage error", () => {
    expect(() => outputMode({ json: true, ndjson: true })).toThrow(
      "Conflicting options --json and --ndjson: give one output format",
    );
    expect(outputMode({ ndjson: true })).toBe("ndjson");
    expect(outputMode({})).toBe("table");
  });
});

describe("freebusy grid", () => {
  const at = (hhmm: string): number => Date.parse(`2026-12-01T${hhmm}:00Z`);
  const input: GridInput = {
    from: at("09:00"),
    to: at("13:00"),
    slotMinutes: 30,
    timeZone: "UTC",
    rows: [
      {
        label: "ana@example.com",
        busy: [
          { start: at("09:00"), end: at("10:00") },
          { start: at("12:15"), end: at("12:45") },
        ],
      },
      { label: "bo@example.com", busy: [{ start: at("10:30"), end: at("11:00") }] },
      { label: "cy@example.com", busy: [] },
    ],
  };

  it("marks busy per slot (partial overlaps count) and the slots everyone has free", () => {
    expect(commonFreeSlots(input)).toEqual([2, 4, 5]);
    expect(commonFreeRanges(input)).toEqual(["10:00–10:30", "11:00–12:00"]);
  });

  it("draws users × slots with a time ruler and an all-free row", () => {
    expect(renderFreeBusyGrid(input)).toEqual([
      "                 09:00 10:00 11:00 12:00",
      "ana@example.com  ██████············██████",
      "bo@example.com   ·········███············",
      "cy@example.com   ························",
      "all free               ▲▲▲   ▲▲▲▲▲▲",
      "Everyone is free 10:00–10:30, 11:00–12:00 (UTC)",
    ]);
  });

  it("marks an unreadable user's row and finds the free time of the users who answered, saying so", () => {
    const withError: GridInput = {
      ...input,
      rows: [...input.rows, { label: "dee@example.com", busy: [], error: "notFound" }],
    };
    const lines = renderFreeBusyGrid(withError);
    expect(lines.slice(4)).toEqual([
      "dee@example.com  ????????????????????????  failed: notFound",
      "free (answered)        ▲▲▲   ▲▲▲▲▲▲",
      "The 3 users who answered are all free 10:00–10:30, 11:00–12:00 (UTC); 1 user failed and is left out",
    ]);
    const nobody: GridInput = {
      ...input,
      rows: [{ label: "dee@example.com", busy: [], error: "notFound" }],
    };
    expect(renderFreeBusyGrid(nobody).at(-1)).toBe("No user answered: no free time to compute");
  });

  it("labels in the requested time zone", () => {
    expect(renderFreeBusyGrid({ ...input, timeZone: "Asia/Kolkata" })[0]).toBe(
      "                 14:30    16:00 17:00 18:00",
    );
  });

  it("narrows the cells to fit the width, down to one character a slot", () => {
    const lines = renderFreeBusyGrid(input, { width: 20 });
    expect(lines.slice(0, 5)).toEqual([
      "                 09:00 12:00",
      "ana@example.com  ██····██",
      "bo@example.com   ···█····",
      "cy@example.com   ········",
      "all free           ▲ ▲▲",
    ]);
  });
});

describe("deterministic event IDs", () => {
  it("are base32hex, stable under key order and spacing, and differ by calendar, user and content", () => {
    const a = deterministicEventId(
      { summary: "x", start: { dateTime: "2026-12-01T09:00:00Z" } },
      "primary",
      "ana@example.com",
    );
    expect(a).toMatch(/^[0-9a-v]{32}$/);
    expect(isValidEventId(a)).toBe(true);
    expect(
      deterministicEventId(
        JSON.parse('{ "start": {"dateTime":"2026-12-01T09:00:00Z"}, "summary":"x" }'),
        "primary",
        "ana@example.com",
      ),
    ).toBe(a);
    expect(
      deterministicEventId(
        { summary: "x", start: { dateTime: "2026-12-01T09:00:00Z" } },
        "team@example.com",
        "ana@example.com",
      ),
    ).not.toBe(a);
    expect(
      deterministicEventId(
        { summary: "x", start: { dateTime: "2026-12-01T09:00:00Z" } },
        "primary",
        "bo@example.com",
      ),
    ).not.toBe(a);
    expect(
      deterministicEventId(
        { summary: "y", start: { dateTime: "2026-12-01T09:00:00Z" } },
        "primary",
        "ana@example.com",
      ),
    ).not.toBe(a);
  });
  it("base32hex matches RFC 4648 test vectors (lower case, no padding)", () => {
    const enc = (s: string): string => toBase32hex(new TextEncoder().encode(s));
    expect([enc("f"), enc("fo"), enc("foo"), enc("foob"), enc("fooba"), enc("foobar")]).toEqual([
      "co",
      "cpng",
      "cpnmu",
      "cpnmuog",
      "cpnmuoj1",
      "cpnmuoj1e8",
    ]);
  });
  it("canonicalJson sorts keys at every depth", () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });
});

describe("scope choice", () => {
  const readonly = `${auth}calendar.readonly`;
  const full = `${auth}calendar`;
  const events = `${auth}calendar.events`;
  const listAccepts = [
    readonly,
    full,
    `${auth}calendar.calendarlist.readonly`,
    `${auth}calendar.calendarlist`,
  ];
  const refusal = (scopes: string[]): DelegationError =>
    new DelegationError(
      "delegation_not_authorized",
      `Cannot get a token: client "123" is not authorized for ${scopes.join(", ")}`,
      { clientId: "123", scopes, hint: "Add it in the Admin console" },
    );

  const source = (granted: string[]) => {
    const asked: string[][] = [];
    return {
      asked,
      getToken: ({ scopes }: { subject?: string; scopes: string[] }) => {
        asked.push(scopes);
        return scopes.every((s) => granted.includes(s))
          ? Promise.resolve({ accessToken: "t", expiresAt: 0, scopes, subject: undefined })
          : Promise.reject(refusal(scopes));
      },
    };
  };

  it("tries the common grants the method accepts, narrowest first", () => {
    expect(scopeCandidates(listAccepts)).toEqual([readonly, full]);
    expect(scopeCandidates([full, events, `${auth}calendar.events.owned`])).toEqual([events, full]);
    expect(scopeCandidates([full, `${auth}calendar.acls`])).toEqual([full]);
    expect(scopeCandidates([`${auth}calendar.app.created`])).toEqual([
      `${auth}calendar.app.created`,
    ]);
  });

  it("falls back to calendar where only calendar is granted, once per run", async () => {
    const tokens = source([full]);
    const choice = createScopeChoice({
      method: "calendar.calendarList.list",
      accepted: listAccepts,
      explicit: undefined,
      tokenSource: tokens,
    });
    expect(await choice.scopesFor("ana@example.com")).toEqual([full]);
    expect(await choice.scopesFor("bo@example.com")).toEqual([full]);
    expect(tokens.asked).toEqual([[readonly], [full]]);
  });

  it("starts from the scope remembered for the ladder; a remembered scope refused since falls back, and the new one is remembered", async () => {
    const memory = new Map<string, string[]>();
    const grants = {
      get: (ladder: string) => memory.get(ladder),
      set: (ladder: string, scopes: readonly string[]) => void memory.set(ladder, [...scopes]),
    };
    const ladder = [readonly, full].join(" ");
    const make = (tokens: ReturnType<typeof source>) =>
      createScopeChoice({
        method: "calendar.calendarList.list",
        accepted: listAccepts,
        explicit: undefined,
        tokenSource: tokens,
        memory: grants,
      });
    // Learnt: only calendar.
    const first = source([full]);
    expect(await make(first).scopesFor("ana@example.com")).toEqual([full]);
    expect(first.asked).toEqual([[readonly], [full]]);
    expect(memory.get(ladder)).toEqual([full]);
    // Remembered: calendar first, no refused calendar.readonly.
    const second = source([full]);
    expect(await make(second).scopesFor("ana@example.com")).toEqual([full]);
    expect(second.asked).toEqual([[full]]);
    // The grant changed to calendar.readonly alone: calendar is refused, readonly is found and kept.
    const third = source([readonly]);
    expect(await make(third).scopesFor("ana@example.com")).toEqual([readonly]);
    expect(third.asked).toEqual([[full], [readonly]]);
    expect(memory.get(ladder)).toEqual([readonly]);
  });

  it("a grant without any accepted scope is refused with the scopes the method accepts", async () => {
    const choice = createScopeChoice({
      method: "calendar.calendarList.list",
      accepted: listAccepts,
      explicit: undefined,
      tokenSource: source([events]),
    });
    const error = await choice.scopesFor("ana@example.com").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect(error).toMatchObject({
      code: "delegation_not_authorized",
      message:
        'Cannot call calendar.calendarList.list as "ana@example.com": client "123" is not authorized for domain-wide delegation of any of "calendar.readonly", "calendar"; or "ana@example.com" is not a user of the Workspace domain that granted it; or the entry names another client ID (the method accepts any one of "calendar.readonly", "calendar", "calendar.calendarlist.readonly", "calendar.calendarlist")',
    });
    // The hint is only the fix: which scopes would do, then the Admin-console step of the token endpoint's diagnosis.
    expect((error as DelegationError).hint).toMatch(
      /^calendar\.calendarList\.list accepts any one of .*: grant one, or pass --scopes with one that the grant holds\. Add it in the Admin console$/,
    );
  });

  it("uses --scopes as given and names the accepted scopes when it is refused", async () => {
    const tokens = source([full]);
    const choice = createScopeChoice({
      method: "calendar.calendarList.list",
      accepted: listAccepts,
      explicit: [events],
      tokenSource: tokens,
    });
    await expect(choice.scopesFor(undefined)).rejects.toThrow(
      'Cannot call calendar.calendarList.list: client "123" is not authorized for domain-wide delegation of --scopes "calendar.events"; or no user is impersonated; or the entry names another client ID (the method accepts any one of',
    );
    expect(tokens.asked).toEqual([[events]]);
  });

  it("other token errors (an unknown user) are that user's, and the next user chooses again", async () => {
    const asked: (string | undefined)[] = [];
    const tokenSource = {
      getToken: ({ subject }: { subject?: string; scopes: string[] }) => {
        asked.push(subject);
        return subject === "ghost@example.com"
          ? Promise.reject(
              new DelegationError(
                "unknown_subject",
                'Cannot get a token for "ghost@example.com": no such user',
                { scopes: [], hint: "Check the email" },
              ),
            )
          : Promise.resolve({ accessToken: "t" });
      },
    };
    const choice = createScopeChoice({
      method: "calendar.calendarList.list",
      accepted: listAccepts,
      explicit: undefined,
      tokenSource: tokenSource as never,
    });
    await expect(choice.scopesFor("ghost@example.com")).rejects.toMatchObject({
      code: "unknown_subject",
    });
    expect(await choice.scopesFor("ana@example.com")).toEqual([readonly]);
  });
});
