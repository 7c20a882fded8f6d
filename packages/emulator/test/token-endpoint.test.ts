import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { createEmulator } from "../src/index.ts";
import type { Signer } from "./helpers.ts";
import {
  CALENDAR,
  CALENDAR_READONLY,
  exchange,
  jwtBearer,
  postToken,
  publicKeyPem,
  scope,
  signerFor,
  signHs256,
  signRs256,
  b64url,
} from "./helpers.ts";

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
  emulator.faults.clockOffsetMs = 0;
  emulator.faults.tokenOutage = false;
  emulator.stats.reset();
});

const SHORT_LIVED =
  "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
const UNAUTHORIZED =
  "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.";

const err = (error: string, error_description: string) => ({ error, error_description });

describe("token endpoint: success", () => {
  it("issues a token for calendar-bot impersonating info@example.com with Google's headers", async () => {
    const res = await exchange(emulator, await bot.assertion());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache, no-store, max-age=0, must-revalidate");
    expect(res.headers.get("pragma")).toBe("no-cache");
    expect(res.headers.get("expires")).toBe("Mon, 01 Jan 1990 00:00:00 GMT");
    expect(res.headers.get("date")).toBe(new Date(start).toUTCString());
    const text = await res.text();
    expect(text).toMatch(
      /^\{"access_token":"ya29\.emu\.[A-Za-z0-9_-]{43}","expires_in":3599,"token_type":"Bearer"\}$/,
    );
    expect(emulator.stats).toMatchObject({ tokenRequests: 1, tokensIssued: 1 });
  });

  const cases: {
    name: string;
    overrides?: Record<string, unknown>;
    path?: string;
    signer?: () => Signer;
  }[] = [
    { name: "both granted scopes", overrides: { scope: `${CALENDAR} ${CALENDAR_READONLY}` } },
    {
      name: "no sub: the service account acts as itself, no grant needed",
      overrides: { sub: undefined },
      signer: () => ungranted,
    },
    {
      name: "sub equal to the service account's own email",
      overrides: { sub: "ungranted-bot@dwd-emulator.iam.gserviceaccount.com" },
      signer: () => ungranted,
    },
    {
      name: "aud = the legacy accounts.google.com URL",
      overrides: { aud: "https://accounts.google.com/o/oauth2/token" },
    },
    {
      name: "aud = the legacy www.googleapis.com URL",
      overrides: { aud: "https://www.googleapis.com/oauth2/v4/token" },
    },
    { name: "aud = the emulator's own token_uri", overrides: { aud: "http://127.0.0.1:0/token" } },
    { name: "POST to /o/oauth2/token", path: "/o/oauth2/token" },
    { name: "POST to /oauth2/v4/token", path: "/oauth2/v4/token" },
    {
      name: "iat 60 s in the future (allowed skew)",
      overrides: { iat: Math.floor(start / 1000) + 60, exp: Math.floor(start / 1000) + 3660 },
    },
    { name: "a header without typ or kid (gtoken style)" },
    { name: "sub in upper case", overrides: { sub: "INFO@Example.com" } },
  ];
  for (const c of cases) {
    it(`issues a token: ${c.name}`, async () => {
      const signer = c.signer?.() ?? bot;
      const assertion = c.name.includes("gtoken")
        ? await signRs256(signer.key, { alg: "RS256" }, signer.claims())
        : await signer.assertion(c.overrides);
      const res = await exchange(
        emulator,
        assertion,
        c.path === undefined ? undefined : `${emulator.baseUrl}${c.path}`,
      );
      expect(res.status, await res.clone().text()).toBe(200);
    });
  }

  it("accepts aud = a loopback alias of the configured base URL (localhost for 127.0.0.1, same port)", async () => {
    const res = await exchange(
      emulator,
      await bot.assertion({ aud: "http://localhost:0/token" }),
      "http://localhost:0/token",
    );
    expect(res.status).toBe(200);
  });
});

describe("token endpoint: the audience is configured, never taken from the request", () => {
  const cases = [
    {
      name: "an assertion for http://evil.example/token sent to http://evil.example (Host: evil.example)",
      aud: "http://evil.example/token",
      url: "http://evil.example/token",
    },
    {
      name: "the request's own loopback origin on another port",
      aud: "http://localhost:9999/token",
      url: "http://localhost:9999/token",
    },
    {
      name: "the configured host on another port",
      aud: "http://127.0.0.1:1/token",
      url: "http://127.0.0.1:1/token",
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with Google's audience error`, async () => {
      const res = await exchange(emulator, await bot.assertion({ aud: c.aud }), c.url);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(err("invalid_grant", "Invalid JWT: Failed audience check."));
      expect(emulator.stats).toMatchObject({ tokenRequests: 1, tokensIssued: 0 });
    });
  }
});

describe("token endpoint: expired tokens are dropped", () => {
  it("a token request after the lifetime drops every expired token: live tokens stay bounded", async () => {
    const em = await createEmulator({ now: () => clock, tokenLifetimeSeconds: 120 });
    const s = await signerFor(em, "calendar-bot", () => clock);
    for (let i = 0; i < 50; i++) expect((await exchange(em, await s.assertion())).status).toBe(200);
    expect(em.stats.liveTokens).toBe(50);
    clock += 60_000;
    expect((await exchange(em, await s.assertion())).status).toBe(200);
    expect(em.stats.liveTokens).toBe(51);
    clock += 61_000; // the first 50 have expired; the 51st has 59 s left
    expect((await exchange(em, await s.assertion())).status).toBe(200);
    expect(em.stats.liveTokens).toBe(2);
    em.revokeAll();
    expect(em.stats.liveTokens).toBe(0);
  });
});

describe("token endpoint: forged and refused assertions", () => {
  const now = Math.floor(start / 1000);
  const cases: { name: string; assertion: () => Promise<string>; status: number; body: object }[] =
    [
      {
        name: "alg none",
        assertion: () =>
          Promise.resolve(
            `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(bot.claims()))}.`,
          ),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "a correctly signed RS256 assertion with an unknown crit header (RFC 7515 §4.1.11)",
        assertion: () =>
          signRs256(
            bot.key,
            {
              alg: "RS256",
              typ: "JWT",
              crit: ["urn:example:unknown"],
              "urn:example:unknown": true,
            },
            bot.claims(),
          ),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "a correctly signed RS256 assertion with crit naming a registered header (b64: false)",
        assertion: () =>
          signRs256(bot.key, { alg: "RS256", crit: ["b64"], b64: false }, bot.claims()),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "alg none with the real RS256 signature attached",
        assertion: async () => {
          const [, c, s] = (await bot.assertion()).split(".");
          return `${b64url(JSON.stringify({ alg: "none" }))}.${c}.${s}`;
        },
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "HS256 keyed with the service account's public key",
        assertion: async () =>
          signHs256(new TextEncoder().encode(await publicKeyPem(bot.pem)), bot.claims()),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "RS512",
        assertion: async () => signRs256(bot.key, { alg: "RS512" }, bot.claims()),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "signed by another RSA key",
        assertion: async () => {
          const other = await crypto.subtle.generateKey(
            {
              name: "RSASSA-PKCS1-v1_5",
              modulusLength: 2048,
              publicExponent: new Uint8Array([1, 0, 1]),
              hash: "SHA-256",
            },
            false,
            ["sign", "verify"],
          );
          return signRs256(other.privateKey, { alg: "RS256", typ: "JWT" }, bot.claims());
        },
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "signed by another service account's key (iss/key mismatch)",
        assertion: async () => signRs256(ungranted.key, { alg: "RS256" }, bot.claims()),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "claims tampered after signing",
        assertion: async () => {
          const [h, , s] = (await bot.assertion()).split(".");
          return `${h}.${b64url(JSON.stringify(bot.claims({ sub: "ana@example.com" })))}.${s}`;
        },
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "garbage assertion",
        assertion: () => Promise.resolve("not-a-jwt"),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "four segments",
        assertion: async () => `${await bot.assertion()}.x`,
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "header that is not JSON",
        assertion: () => Promise.resolve(`${b64url("{alg")}.${b64url("{}")}.AAAA`),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "non-base64url characters",
        assertion: () => Promise.resolve("eyJ+.e/J.@@"),
        status: 400,
        body: err("invalid_grant", "Invalid JWT Signature."),
      },
      {
        name: "wrong aud",
        assertion: () => bot.assertion({ aud: "https://example.com/token" }),
        status: 400,
        body: err("invalid_grant", "Invalid JWT: Failed audience check."),
      },
      {
        name: "aud missing",
        assertion: () => bot.assertion({ aud: undefined }),
        status: 400,
        body: err("invalid_grant", "Invalid JWT: Failed audience check."),
      },
      {
        name: "expired (exp = now)",
        assertion: () => bot.assertion({ iat: now - 3600, exp: now }),
        status: 400,
        body: err("invalid_grant", SHORT_LIVED),
      },
      {
        name: "stale assertion re-sent an hour later",
        assertion: () => bot.assertion({ iat: now - 7200, exp: now - 3600 }),
        status: 400,
        body: err("invalid_grant", SHORT_LIVED),
      },
      {
        name: "lifetime over 1 h",
        assertion: () => bot.assertion({ iat: now, exp: now + 3601 }),
        status: 400,
        body: err("invalid_grant", SHORT_LIVED),
      },
      {
        name: "iat in the future (61 s)",
        assertion: () => bot.assertion({ iat: now + 61, exp: now + 3600 }),
        status: 400,
        body: err("invalid_grant", SHORT_LIVED),
      },
      {
        name: "exp before iat",
        assertion: () => bot.assertion({ iat: now + 30, exp: now + 20 }),
        status: 400,
        body: err("invalid_grant", SHORT_LIVED),
      },
      {
        name: "iat missing",
        assertion: () => bot.assertion({ iat: undefined }),
        status: 400,
        body: err("invalid_grant", SHORT_LIVED),
      },
      {
        name: "exp as a string",
        assertion: () => bot.assertion({ exp: String(now + 3600) }),
        status: 400,
        body: err("invalid_grant", SHORT_LIVED),
      },
      {
        name: "unknown iss",
        assertion: () => bot.assertion({ iss: "ghost@dwd-emulator.iam.gserviceaccount.com" }),
        status: 400,
        body: err("invalid_grant", "Invalid JWT: No valid verifier found for issuer."),
      },
      {
        name: "iss missing",
        assertion: () => bot.assertion({ iss: undefined }),
        status: 400,
        body: err("invalid_grant", "Invalid JWT: No valid verifier found for issuer."),
      },
      {
        name: "unknown sub",
        assertion: () => bot.assertion({ sub: "nobody@example.com" }),
        status: 400,
        body: err("invalid_grant", "Invalid email or User ID"),
      },
      {
        name: "sub that is not an email",
        assertion: () => bot.assertion({ sub: "info" }),
        status: 400,
        body: err("invalid_grant", "Invalid email or User ID"),
      },
      {
        name: "sub that is not a string",
        assertion: () => bot.assertion({ sub: 42 }),
        status: 400,
        body: err("invalid_request", "Invalid impersonation &quot;sub&quot; field"),
      },
      {
        name: "sub in another domain",
        assertion: () => bot.assertion({ sub: "someone@gmail.com" }),
        status: 401,
        body: err("unauthorized_client", UNAUTHORIZED),
      },
      {
        name: "suspended sub (default behaviour)",
        assertion: () => bot.assertion({ sub: "former@example.com" }),
        status: 400,
        body: err("invalid_account", "Forbidden"),
      },
      {
        name: "a scope outside the grant (calendar does not imply calendar.events)",
        assertion: () => bot.assertion({ scope: `${CALENDAR} ${scope("calendar.events")}` }),
        status: 403,
        body: err("access_denied", "Requested client not authorized."),
      },
      {
        name: "only scopes outside the grant",
        assertion: () => bot.assertion({ scope: scope("calendar.events") }),
        status: 401,
        body: err("unauthorized_client", UNAUTHORIZED),
      },
      {
        name: "no grant at all",
        assertion: () => ungranted.assertion(),
        status: 401,
        body: err("unauthorized_client", UNAUTHORIZED),
      },
      {
        name: "scope missing",
        assertion: () => bot.assertion({ scope: undefined }),
        status: 400,
        body: err("invalid_scope", "Empty or missing scope not allowed."),
      },
      {
        name: "scope empty",
        assertion: () => bot.assertion({ scope: " " }),
        status: 400,
        body: err("invalid_scope", "Empty or missing scope not allowed."),
      },
      {
        name: "comma-separated scopes",
        assertion: () => bot.assertion({ scope: `${CALENDAR},${CALENDAR_READONLY}` }),
        status: 400,
        body: err("invalid_scope", "Invalid OAuth scope or ID token audience provided."),
      },
      {
        name: "unknown scope URL",
        assertion: () => bot.assertion({ scope: scope("calendar.everything") }),
        status: 400,
        body: err("invalid_scope", "Invalid OAuth scope or ID token audience provided."),
      },
      {
        name: "scope as an array",
        assertion: () => bot.assertion({ scope: [CALENDAR] }),
        status: 400,
        body: err("invalid_scope", "Invalid OAuth scope or ID token audience provided."),
      },
    ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const res = await exchange(emulator, await c.assertion());
      expect(res.status).toBe(c.status);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await res.text()).toBe(JSON.stringify(c.body));
      expect(emulator.stats.tokensIssued).toBe(0);
    });
  }

  const forms: {
    name: string;
    form: Record<string, string>;
    contentType?: string;
    status: number;
    body: object;
  }[] = [
    {
      name: "wrong grant_type",
      form: { grant_type: "client_credentials" },
      status: 400,
      body: err("unsupported_grant_type", "Invalid grant_type: client_credentials"),
    },
    {
      name: "missing grant_type",
      form: {},
      status: 400,
      body: err("unsupported_grant_type", "Invalid grant_type: "),
    },
    {
      name: "missing assertion",
      form: { grant_type: jwtBearer },
      status: 400,
      body: err("invalid_request", "Missing required parameter: assertion"),
    },
  ];
  for (const c of forms) {
    it(`refuses a form with ${c.name}`, async () => {
      const res = await postToken(emulator, c.form);
      expect(res.status).toBe(c.status);
      expect(await res.text()).toBe(JSON.stringify(c.body));
    });
  }

  it("refuses a multipart body as an empty grant_type", async () => {
    const body = new FormData();
    body.set("grant_type", jwtBearer);
    body.set("assertion", await bot.assertion());
    const res = await emulator.fetch(
      new Request(`${emulator.baseUrl}/token`, { method: "POST", body }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(err("unsupported_grant_type", "Invalid grant_type: "));
  });
});

describe("token endpoint: configuration and faults", () => {
  const variants = [
    {
      behaviour: "invalid_grant",
      status: 400,
      body: err("invalid_grant", "Invalid email or User ID"),
    },
    { behaviour: "access_denied", status: 403, body: err("access_denied", "Account restricted") },
    { behaviour: "allow", status: 200 },
  ] as const;
  for (const v of variants) {
    it(`answers a suspended sub per suspendedSubject "${v.behaviour}"`, async () => {
      const em = await createEmulator({ now: () => clock, suspendedSubject: v.behaviour });
      const s = await signerFor(em, "calendar-bot", () => clock);
      const res = await exchange(em, await s.assertion({ sub: "former@example.com" }));
      expect(res.status).toBe(v.status);
      if ("body" in v) expect(await res.json()).toEqual(v.body);
    });
  }

  it("refuses a disabled service account with 401 disabled_client", async () => {
    const em = await createEmulator({
      now: () => clock,
      scenario: {
        domain: "example.com",
        users: [{ email: "info@example.com" }],
        serviceAccounts: [{ name: "old-bot", disabled: true }],
        grants: [{ serviceAccount: "old-bot", scopes: [CALENDAR] }],
      },
    });
    const s = await signerFor(em, "old-bot", () => clock);
    const res = await exchange(em, await s.assertion());
    expect(res.status).toBe(401);
    expect(await res.text()).toBe(
      JSON.stringify(err("disabled_client", "The OAuth client was disabled.")),
    );
  });

  it("shifts the Date header and the claim checks by faults.clockOffsetMs", async () => {
    emulator.faults.clockOffsetMs = 10 * 60_000; // Google's clock 10 min ahead of ours
    const stale = await exchange(emulator, await bot.assertion());
    expect(stale.headers.get("date")).toBe(new Date(start + 600_000).toUTCString());
    expect(stale.status).toBe(200); // iat is 10 min in the server's past: still fine
    emulator.faults.clockOffsetMs = -10 * 60_000; // Google's clock behind: our iat is in its future
    const res = await exchange(emulator, await bot.assertion());
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(err("invalid_grant", SHORT_LIVED));
    expect(res.headers.get("date")).toBe(new Date(start - 600_000).toUTCString());
  });

  it("answers 503 during a token outage and counts the request", async () => {
    emulator.faults.tokenOutage = true;
    const res = await exchange(emulator, await bot.assertion());
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual(
      err("temporarily_unavailable", "The service is currently unavailable."),
    );
    expect(emulator.stats).toMatchObject({ tokenRequests: 1, tokensIssued: 0 });
  });

  it("honours tokenLifetimeSeconds", async () => {
    const em = await createEmulator({ now: () => clock, tokenLifetimeSeconds: 120 });
    const s = await signerFor(em, "calendar-bot", () => clock);
    const res = await exchange(em, await s.assertion());
    expect(((await res.json()) as { expires_in: number }).expires_in).toBe(120);
  });

  it("answers a plain 404 for unknown paths and GET /token", async () => {
    const res = await emulator.fetch(new Request(`${emulator.baseUrl}/token`));
    expect(res.status).toBe(404);
  });
});
