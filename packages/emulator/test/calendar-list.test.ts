import { readFile } from "node:fs/promises";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Emulator, Scenario } from "../src/index.ts";
import { createEmulator, demoScenario } from "../src/index.ts";
import type { Signer } from "./helpers.ts";
import { CALENDAR, CALENDAR_READONLY, calendarGet, mint, scope, signerFor } from "./helpers.ts";

const start = Date.UTC(2026, 3, 1, 12, 0, 0);
let clock = start;
let emulator: Emulator;
let bot: Signer;
let ungranted: Signer;

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", now: () => clock });
  bot = await signerFor(emulator, "calendar-bot", () => clock);
  ungranted = await signerFor(emulator, "ungranted-bot", () => clock);
});
beforeEach(() => {
  clock = start;
});

const LOGIN_REQUIRED =
  '{"error":{"code":401,"message":"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","errors":[{"message":"Login Required.","domain":"global","reason":"required","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}';
const INVALID_CREDENTIALS =
  '{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}';
const NOT_FOUND =
  '{"error":{"errors":[{"domain":"global","reason":"notFound","message":"Not Found"}],"code":404,"message":"Not Found"}}';
const insufficient = (method: string) =>
  `{"error":{"code":403,"message":"Request had insufficient authentication scopes.","errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],"status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com","metadata":{"service":"calendar-json.googleapis.com","method":"${method}"}}]}}`;

describe("calendarList.get", () => {
  it("returns info@example.com's primary entry when impersonating info@example.com", async () => {
    const token = await mint(emulator, bot);
    const res = await calendarGet(emulator, "users/me/calendarList/info%40example.com", token);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=UTF-8");
    const entry = (await res.json()) as Record<string, unknown>;
    expect(entry).toMatchObject({
      kind: "calendar#calendarListEntry",
      id: "info@example.com",
      summary: "info@example.com",
      accessRole: "owner",
      primary: true,
      selected: true,
    });
    expect(entry["etag"]).toMatch(/^"\d{16}"$/);
  });

  it("has the same fields, in Google's shape, as a captured calendarListEntry", async () => {
    const fixture = JSON.parse(
      await readFile(new URL("./fixtures/gcalcli-cal_list.json", import.meta.url), "utf8"),
    ) as {
      items: Record<string, unknown>[];
    };
    const captured = fixture.items.find((i) => i["primary"] === true) ?? {};
    const token = await mint(emulator, bot);
    const ours = (await (
      await calendarGet(emulator, "users/me/calendarList/primary", token)
    ).json()) as Record<string, unknown>;
    const optional = new Set(["location", "description"]);
    expect(Object.keys(ours).sort()).toEqual(
      Object.keys(captured)
        .filter((k) => !optional.has(k))
        .sort(),
    );
    for (const key of Object.keys(ours)) expect(typeof ours[key], key).toBe(typeof captured[key]);
  });

  const cases: {
    name: string;
    signer: () => Signer;
    claims?: Record<string, unknown>;
    path: string;
    status: number;
    body?: string;
  }[] = [
    { name: "primary resolves to the subject", signer: () => bot, path: "primary", status: 200 },
    {
      name: "a secondary calendar of the subject",
      signer: () => bot,
      claims: { sub: "ana@example.com" },
      path: "primary",
      status: 200,
    },
    {
      name: "another user's calendar is not in the subject's list",
      signer: () => bot,
      path: "ana%40example.com",
      status: 404,
      body: NOT_FOUND,
    },
    {
      name: "no subject: the service account's own list is empty",
      signer: () => bot,
      claims: { sub: undefined },
      path: "info%40example.com",
      status: 404,
      body: NOT_FOUND,
    },
    {
      name: "no subject, primary",
      signer: () => ungranted,
      claims: { sub: undefined },
      path: "primary",
      status: 404,
      body: NOT_FOUND,
    },
    {
      name: "readonly scope is enough",
      signer: () => bot,
      claims: { scope: CALENDAR_READONLY },
      path: "primary",
      status: 200,
    },
    {
      name: "a user's calendar ID in another case",
      signer: () => bot,
      path: "INFO%40Example.COM",
      status: 200,
    },
    {
      name: "a token without a calendarList scope",
      signer: () => ungranted,
      claims: { sub: undefined, scope: scope("calendar.events") },
      path: "primary",
      status: 403,
      body: insufficient("calendar.v3.CalendarList.Get"),
    },
  ];
  for (const c of cases) {
    it(`answers ${c.status}: ${c.name}`, async () => {
      const token = await mint(emulator, c.signer(), c.claims);
      const res = await calendarGet(emulator, `users/me/calendarList/${c.path}`, token);
      expect(res.status).toBe(c.status);
      if (c.body !== undefined) expect(await res.text()).toBe(c.body);
    });
  }

  it("matches calendar IDs case-insensitively, but an exact match wins", async () => {
    const group = "0123456789abcdef0123456789@group.calendar.google.com";
    const upper = "0123456789ABCDEF0123456789@group.calendar.google.com";
    const scenario: Scenario = {
      ...demoScenario,
      calendars: [
        { owner: "info@example.com", id: upper, summary: "Upper" },
        { owner: "info@example.com", id: group, summary: "Lower" },
        { owner: "info@example.com", id: "Mixed@group.calendar.google.com", summary: "Mixed" },
      ],
    };
    const em = await createEmulator({ scenario, now: () => clock });
    const token = await mint(em, await signerFor(em, "calendar-bot", () => clock));
    const summary = async (id: string) =>
      (
        (await (
          await calendarGet(em, `users/me/calendarList/${encodeURIComponent(id)}`, token)
        ).json()) as { summary?: string }
      ).summary;
    expect(await summary(group)).toBe("Lower");
    expect(await summary(upper)).toBe("Upper");
    expect(await summary("mixed@GROUP.calendar.google.com")).toBe("Mixed");
  });

  it("answers 401 Login Required without an Authorization header", async () => {
    const res = await calendarGet(emulator, "users/me/calendarList/primary");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="https://accounts.google.com/"');
    expect(await res.text()).toBe(LOGIN_REQUIRED);
  });

  it("answers 401 Invalid Credentials for an unknown token", async () => {
    const res = await calendarGet(emulator, "users/me/calendarList/primary", "ya29.forged");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(
      'Bearer realm="https://accounts.google.com/", error="invalid_token"',
    );
    expect(await res.text()).toBe(INVALID_CREDENTIALS);
  });

  it("answers 401 Invalid Credentials once the token expired (injected clock)", async () => {
    const token = await mint(emulator, bot);
    clock = start + 3598_000;
    expect((await calendarGet(emulator, "users/me/calendarList/primary", token)).status).toBe(200);
    clock = start + 3599_000;
    const res = await calendarGet(emulator, "users/me/calendarList/primary", token);
    expect(res.status).toBe(401);
    expect(await res.text()).toBe(INVALID_CREDENTIALS);
  });

  it("answers 401 Invalid Credentials after revokeAll()", async () => {
    const token = await mint(emulator, bot);
    emulator.revokeAll();
    expect((await calendarGet(emulator, "users/me/calendarList/primary", token)).status).toBe(401);
  });

  it("answers 401 Invalid Credentials for a non-Bearer Authorization header", async () => {
    const res = await emulator.fetch(
      new Request(`${emulator.baseUrl}/calendar/v3/users/me/calendarList/primary`, {
        headers: { authorization: "Basic Zm9vOmJhcg==" },
      }),
    );
    expect(await res.text()).toBe(INVALID_CREDENTIALS);
  });

  it("accepts the token as the access_token query parameter", async () => {
    const token = await mint(emulator, bot);
    const res = await emulator.fetch(
      new Request(
        `${emulator.baseUrl}/calendar/v3/users/me/calendarList/primary?access_token=${token}`,
      ),
    );
    expect(res.status).toBe(200);
  });

  const wwwAuthenticate = (scopes: string[]) =>
    `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${scopes.map(scope).join(" ")}"`;
  const scopeCases = [
    {
      method: "calendar.v3.CalendarList.List",
      path: "users/me/calendarList",
      scopes: [
        "calendar",
        "calendar.calendarlist",
        "calendar.calendarlist.readonly",
        "calendar.readonly",
      ],
    },
    {
      method: "calendar.v3.CalendarList.Get",
      path: "users/me/calendarList/primary",
      scopes: [
        "calendar",
        "calendar.app.created",
        "calendar.calendarlist",
        "calendar.calendarlist.readonly",
        "calendar.readonly",
      ],
    },
  ];
  for (const c of scopeCases) {
    it(`sends ${c.method}'s own scopes in WWW-Authenticate on 403`, async () => {
      const token = await mint(emulator, ungranted, {
        sub: undefined,
        scope: scope("calendar.events"),
      });
      const res = await calendarGet(emulator, c.path, token);
      expect(res.status).toBe(403);
      expect(await res.text()).toBe(insufficient(c.method));
      expect(res.headers.get("www-authenticate")).toBe(wwwAuthenticate(c.scopes));
    });
  }

  it("a calendar.app.created token may get an entry but not list (discovery scopes per method)", async () => {
    const scenario: Scenario = {
      ...demoScenario,
      grants: [{ serviceAccount: "ungranted-bot", scopes: [scope("calendar.app.created")] }],
    };
    const em = await createEmulator({ scenario, now: () => clock });
    const token = await mint(em, await signerFor(em, "ungranted-bot", () => clock), {
      scope: scope("calendar.app.created"),
    });
    const list = await calendarGet(em, "users/me/calendarList", token);
    expect(list.status).toBe(403);
    expect(await list.text()).toBe(insufficient("calendar.v3.CalendarList.List"));
    expect(list.headers.get("www-authenticate")).toBe(wwwAuthenticate(scopeCases[0]?.scopes ?? []));
    const get = await calendarGet(em, "users/me/calendarList/primary", token);
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ id: "info@example.com", primary: true });
  });

  it("counts API requests", async () => {
    const token = await mint(emulator, bot);
    emulator.stats.reset();
    await calendarGet(emulator, "users/me/calendarList/primary", token);
    await calendarGet(emulator, "users/me/calendarList/primary");
    expect(emulator.stats.apiRequests).toBe(2);
  });

  it("answers the notFound body for an unknown Calendar path", async () => {
    const token = await mint(emulator, bot);
    const res = await calendarGet(emulator, "users/me/nothing", token);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(NOT_FOUND);
  });
});

describe("calendarList.list", () => {
  const many: Scenario = {
    domain: "example.com",
    users: [{ email: "info@example.com" }],
    serviceAccounts: [{ name: "calendar-bot" }],
    grants: [{ serviceAccount: "calendar-bot", scopes: [CALENDAR] }],
    calendars: Array.from({ length: 260 }, (_, i) => ({
      owner: "info@example.com",
      summary: `Calendar ${i}`,
    })),
  };
  let big: Emulator;
  let bigBot: Signer;
  beforeAll(async () => {
    big = await createEmulator({ scenario: many, now: () => clock });
    bigBot = await signerFor(big, "calendar-bot", () => clock);
  });

  interface Page {
    kind: string;
    etag: string;
    items: { id: string; primary?: boolean }[];
    nextPageToken?: string;
    nextSyncToken?: string;
  }

  it("lists the subject's calendars with kind, etag and nextSyncToken", async () => {
    const token = await mint(emulator, bot);
    const res = await calendarGet(emulator, "users/me/calendarList", token);
    const page = (await res.json()) as Page;
    expect(res.status).toBe(200);
    expect(page.kind).toBe("calendar#calendarList");
    expect(page.etag).toMatch(/^"p3[0-9a-z]+"$/);
    expect(page.items.map((i) => i.id)).toEqual([
      "info@example.com",
      expect.stringMatching(/@group\.calendar\.google\.com$/) as unknown,
    ]);
    expect(page.nextSyncToken).toEqual(expect.any(String));
    expect(page.nextPageToken).toBeUndefined();
    expect(Object.keys(page)).toEqual(["kind", "etag", "nextSyncToken", "items"]);
  });

  it("lists nothing for the service account itself", async () => {
    const token = await mint(emulator, bot, { sub: undefined });
    const page = (await (
      await calendarGet(emulator, "users/me/calendarList", token)
    ).json()) as Page;
    expect(page.items).toEqual([]);
  });

  it("pages 261 calendars as 100 + 100 + 61 by default, nextSyncToken only on the last page", async () => {
    const token = await mint(big, bigBot);
    const seen: string[] = [];
    const pages: Page[] = [];
    let pageToken: string | undefined;
    do {
      const q = pageToken === undefined ? "" : `?pageToken=${encodeURIComponent(pageToken)}`;
      const page = (await (
        await calendarGet(big, `users/me/calendarList${q}`, token)
      ).json()) as Page;
      pages.push(page);
      seen.push(...page.items.map((i) => i.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    expect(pages.map((p) => p.items.length)).toEqual([100, 100, 61]);
    expect(pages.map((p) => p.nextSyncToken === undefined)).toEqual([true, true, false]);
    expect(new Set(seen).size).toBe(261);
  });

  const sizes = [
    { maxResults: "1", first: 1 },
    { maxResults: "250", first: 250 },
    { maxResults: "1000", first: 250 },
  ];
  for (const s of sizes) {
    it(`returns ${s.first} items for maxResults=${s.maxResults}`, async () => {
      const token = await mint(big, bigBot);
      const page = (await (
        await calendarGet(big, `users/me/calendarList?maxResults=${s.maxResults}`, token)
      ).json()) as Page;
      expect(page.items).toHaveLength(s.first);
      expect(page.nextPageToken).toEqual(expect.any(String));
    });
  }

  const invalid = [
    { q: "maxResults=0", location: "maxResults" },
    { q: "maxResults=abc", location: "maxResults" },
    { q: "pageToken=garbage", location: "pageToken" },
    { q: "minAccessRole=boss", location: "minAccessRole" },
  ];
  for (const c of invalid) {
    it(`answers 400 Invalid Value for ${c.q}`, async () => {
      const token = await mint(emulator, bot);
      const res = await calendarGet(emulator, `users/me/calendarList?${c.q}`, token);
      expect(res.status).toBe(400);
      expect(await res.text()).toBe(
        `{"error":{"errors":[{"domain":"global","reason":"invalid","message":"Invalid Value","locationType":"parameter","location":"${c.location}"}],"code":400,"message":"Invalid Value"}}`,
      );
    });
  }

  it("answers an empty change set for a current syncToken and 410 for a foreign one", async () => {
    const token = await mint(emulator, bot);
    const first = (await (
      await calendarGet(emulator, "users/me/calendarList", token)
    ).json()) as Page;
    const again = (await (
      await calendarGet(
        emulator,
        `users/me/calendarList?syncToken=${first.nextSyncToken ?? ""}`,
        token,
      )
    ).json()) as Page;
    expect(again.items).toEqual([]);
    expect(again.nextSyncToken).toBe(first.nextSyncToken);
    const other = await mint(emulator, bot, { sub: "ana@example.com" });
    const res = await calendarGet(
      emulator,
      `users/me/calendarList?syncToken=${first.nextSyncToken ?? ""}`,
      other,
    );
    expect(res.status).toBe(410);
    expect(await res.text()).toBe(
      '{"error":{"errors":[{"domain":"calendar","reason":"fullSyncRequired","message":"Sync token is no longer valid, a full sync is required.","locationType":"parameter","location":"syncToken"}],"code":410,"message":"Sync token is no longer valid, a full sync is required."}}',
    );
  });
});
