// Callers known by their workload identity: OIDC ID tokens of a real issuer (discovery + JWKS on a
// real port), verified by dwd-server listening on a real port.
import { createServer as createHttpServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import type { JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallerConfig } from "../src/config.ts";
import { parseConfig } from "../src/config.ts";
import { createIdentityVerifier } from "../src/identity.ts";
import { compileIdentity } from "../src/identity.ts";
import type { Caller } from "../src/policy.ts";
import { ProblemError } from "../src/problem.ts";
import type { Harness } from "./helpers.ts";
import { BOOKING_TOKEN, RO, callers, harness, testConfig } from "./helpers.ts";

const AUDIENCE = "https://dwd.example.com";
const SUB = "110000000000000000001";

/** An OIDC issuer on a real port: discovery, JWKS, the keys it signs with, and fetch counters. */
interface Issuer {
  url: string;
  fetches: { discovery: number; jwks: number };
  /** Set to a status to make the JWKS endpoint fail. */
  jwksStatus: number;
  /** Keys the JWKS publishes (the signing keys). */
  published: { kid: string; privateKey: CryptoKey; jwk: JWK }[];
  /** Publishes a new key (a rotation) and returns it. */
  rotate(): Promise<{ kid: string; privateKey: CryptoKey }>;
  /** A key of the right shape that the issuer does not publish. */
  stranger(kid: string): Promise<{ kid: string; privateKey: CryptoKey }>;
  sign(
    claims: Record<string, unknown>,
    key?: { kid: string; privateKey: CryptoKey },
  ): Promise<string>;
  close(): Promise<void>;
}

async function startIssuer(): Promise<Issuer> {
  let seq = 0;
  const makeKey = async (kid: string) => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    return {
      kid,
      privateKey,
      jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" },
    };
  };
  const http: Server = createHttpServer((req, res) => {
    if (req.url === "/.well-known/openid-configuration") {
      issuer.fetches.discovery++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ issuer: issuer.url, jwks_uri: `${issuer.url}/jwks` }));
    } else if (req.url === "/jwks") {
      issuer.fetches.jwks++;
      res.statusCode = issuer.jwksStatus;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: issuer.published.map((k) => k.jwk) }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const issuer: Issuer = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    fetches: { discovery: 0, jwks: 0 },
    jwksStatus: 200,
    published: [await makeKey(`k${++seq}`)],
    async rotate() {
      const key = await makeKey(`k${++seq}`);
      issuer.published.push(key);
      return key;
    },
    stranger: (kid) => makeKey(kid),
    async sign(claims, key = issuer.published[0]!) {
      return await new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
        .sign(key.privateKey);
    },
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
  return issuer;
}

let issuer: Issuer;
let h: Harness;
let http: Server;
let url: string;

async function oidcCallers(): Promise<CallerConfig[]> {
  return [
    ...(await callers()),
    {
      name: "cloud-run-app",
      identity: { issuer: issuer.url, audience: AUDIENCE, subjects: [SUB] },
      subjects: ["*@example.com"],
      operations: ["calendarList.get"],
      scopes: [RO],
      rate: { requests: 1000, per: "second" },
    },
    {
      name: "mail-app",
      identity: { issuer: issuer.url, audience: AUDIENCE, emails: ["Robot@Example.com"] },
      subjects: ["info@example.com"],
      operations: ["calendarList.get"],
      scopes: [RO],
    },
  ];
}

beforeAll(async () => {
  issuer = await startIssuer();
  h = await harness({ config: await testConfig({ callers: await oidcCallers() }) });
  http = createAdaptorServer({ fetch: h.server.fetch }) as Server;
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await issuer.close();
});

const seconds = (): number => Math.floor(h.clock.now / 1000);
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: issuer.url,
  aud: AUDIENCE,
  sub: SUB,
  iat: seconds(),
  exp: seconds() + 3600,
  ...extra,
});

async function get(
  token: string,
  path = "/v1/users/ana@example.com/calendarList/primary",
): Promise<{ status: number; code?: string; detail?: string; headers: Headers }> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { code?: string; detail?: string };
  return {
    status: res.status,
    headers: res.headers,
    ...(body.code !== undefined ? { code: body.code, detail: body.detail! } : {}),
  };
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? "NaN");
}

describe("OIDC callers over HTTP", () => {
  it("accepts an ID token of the configured issuer, audience and sub; the next request is a cache hit", async () => {
    const token = await issuer.sign(claims());
    const verified = await metric("dwd_identity_tokens_verified_total");
    expect(await get(token)).toMatchObject({ status: 200 });
    expect(h.audit.at(-1)).toMatchObject({ caller: "cloud-run-app", outcome: "ok", status: 200 });
    expect(issuer.fetches).toStrictEqual({ discovery: 1, jwks: 1 });
    const hits = await metric("dwd_identity_cache_hits_total");
    expect(await get(token)).toMatchObject({ status: 200 });
    expect(await metric("dwd_identity_cache_hits_total")).toBe(hits + 1);
    expect(await metric("dwd_identity_tokens_verified_total")).toBe(verified + 1);
    expect(issuer.fetches).toStrictEqual({ discovery: 1, jwks: 1 });
    // The caller's policy still holds: it may not call the token broker.
    const res = await fetch(`${url}/v1/token`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ subject: "ana@example.com", scopes: [RO] }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe("operation_not_allowed");
  });

  it("matches an email only when the issuer says it is verified", async () => {
    const path = "/v1/users/info@example.com/calendarList/primary";
    const base = { sub: "someone-else", email: "robot@example.com" };
    expect(
      await get(await issuer.sign(claims({ ...base, email_verified: true })), path),
    ).toMatchObject({
      status: 200,
    });
    expect(h.audit.at(-1)).toMatchObject({ caller: "mail-app" });
    expect(
      await get(await issuer.sign(claims({ ...base, email_verified: false })), path),
    ).toStrictEqual({
      status: 401,
      headers: expect.any(Headers) as Headers,
      code: "unknown_token",
      detail: `The ID token of "robot@example.com" (issuer "${issuer.url}", audience "${AUDIENCE}") matches no caller of this server`,
    });
  });

  it("refuses another audience, an expired token and one not valid yet, allowing 60 s of skew", async () => {
    const cases: [Record<string, unknown>, number, string | undefined][] = [
      [
        { aud: "https://other.example.com" },
        401,
        `its audience is not this server's ("${AUDIENCE}")`,
      ],
      [{ exp: seconds() - 61 }, 401, "it expired"],
      [{ exp: seconds() - 30 }, 200, undefined],
      [{ nbf: seconds() + 120 }, 401, "it is not valid yet (nbf is in the future)"],
      [{ nbf: seconds() + 30 }, 200, undefined],
      [{ exp: undefined }, 401, 'its "exp" claim is missing'],
    ];
    for (const [extra, status, reason] of cases) {
      const answer = await get(await issuer.sign(claims(extra)));
      expect({ extra, status: answer.status }).toStrictEqual({ extra, status });
      if (reason !== undefined) {
        expect(answer.code).toBe("invalid_token");
        expect(answer.detail).toContain(`The ID token is not valid: ${reason}`);
        expect(answer.headers.get("www-authenticate")).toBe(
          'Bearer realm="dwd-server", error="invalid_token"',
        );
      }
    }
  });

  it("refuses algorithms outside the allow-list (HS256 keyed with the public key, none) and forged signatures", async () => {
    const [h64, p64] = (await issuer.sign(claims())).split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", kid: "k1" })).toString("base64url")}.${p64}.`;
    const pub = new TextEncoder().encode(JSON.stringify(issuer.published[0]!.jwk));
    const hs = await new SignJWT(claims())
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .sign(pub);
    // Signed by another key under the issuer's key ID.
    const forged = await issuer.sign(claims(), await issuer.stranger("k1"));
    expect(h64).toBeDefined();
    const answers = await Promise.all([none, hs, forged].map((t) => get(t)));
    expect(answers.map((a) => [a.status, a.code, a.detail])).toStrictEqual([
      [
        401,
        "invalid_token",
        "The ID token is not valid: its algorithm is not allowed (allowed: RS256)",
      ],
      [
        401,
        "invalid_token",
        "The ID token is not valid: its algorithm is not allowed (allowed: RS256)",
      ],
      [
        401,
        "invalid_token",
        "The ID token is not valid: its signature does not verify with the issuer's keys",
      ],
    ]);
  });

  it("fetches the keys again for a new key ID, at most once per 30 s cooldown", async () => {
    const before = issuer.fetches.jwks;
    h.clock.now += 31_000; // past any earlier cooldown
    const rotated = await issuer.rotate();
    expect(await get(await issuer.sign(claims(), rotated))).toMatchObject({ status: 200 });
    expect(issuer.fetches.jwks).toBe(before + 1);
    // An unknown key ID within the cooldown: refused without asking the issuer again.
    const stranger = await issuer.stranger("unknown-kid");
    for (let i = 0; i < 5; i++) {
      expect(await get(await issuer.sign(claims({ jti: `x${i}` }), stranger))).toMatchObject({
        status: 401,
        code: "invalid_token",
        detail: "The ID token is not valid: it is signed by a key the issuer does not publish",
      });
    }
    expect(issuer.fetches.jwks).toBe(before + 1);
    h.clock.now += 30_000;
    await get(await issuer.sign(claims({ jti: "y" }), stranger));
    expect(issuer.fetches.jwks).toBe(before + 2);
  });

  it("answers 503 with Retry-After while the issuer's keys cannot be fetched, and backs off", async () => {
    // A fresh server: no keys yet.
    const h2 = await harness({ config: await testConfig({ callers: await oidcCallers() }) });
    const server = createAdaptorServer({ fetch: h2.server.fetch }) as Server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url2 = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      issuer.jwksStatus = 500;
      const before = issuer.fetches.jwks;
      const token = await issuer.sign(claims({ jti: "down" }));
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url2}/v1/users/ana@example.com/calendarList/primary`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("5");
        expect(await res.json()).toMatchObject({
          code: "identity_keys_unavailable",
          detail: `Cannot check the ID token: the keys of "${issuer.url}" cannot be fetched right now`,
        });
      }
      expect(issuer.fetches.jwks).toBe(before + 1);
      expect(h2.logs.some((l) => l.includes(`cannot fetch the keys of \\"${issuer.url}\\"`))).toBe(
        true,
      );
      issuer.jwksStatus = 200;
      h2.clock.now += 5000;
      const res = await fetch(`${url2}/v1/users/ana@example.com/calendarList/primary`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
    } finally {
      issuer.jwksStatus = 200;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("forgets a cached token when it expires", async () => {
    const token = await issuer.sign(claims({ exp: seconds() + 100, jti: "short" }));
    expect(await get(token)).toMatchObject({ status: 200 });
    h.clock.now += 161_000;
    expect(await get(token)).toMatchObject({ status: 401, code: "invalid_token" });
  });

  it("refuses an issuer no caller names, and garbage, as 401; static tokens still work", async () => {
    expect(await get(await issuer.sign(claims({ iss: "https://evil.example.com" })))).toMatchObject(
      {
        status: 401,
        code: "unknown_token",
        detail:
          'The ID token\'s issuer "https://evil.example.com" is not configured for any caller',
      },
    );
    expect(await get("eyJhbGciOi.eyJzdWIi.c2ln")).toMatchObject({
      status: 401,
      code: "invalid_token",
    });
    expect(await get("not-a-jwt-and-no-token")).toMatchObject({
      status: 401,
      code: "unknown_token",
    });
    expect(await get(BOOKING_TOKEN)).toMatchObject({ status: 200 });
  });
});

describe("the verifier's bounds", () => {
  const caller = { name: "c" } as Caller;
  it("keeps at most maxCachedTokens verified tokens (the oldest go first)", async () => {
    const identities = [
      compileIdentity(caller, { issuer: issuer.url, audience: AUDIENCE, subjects: [SUB] }),
    ];
    const v = createIdentityVerifier({ maxCachedTokens: 2 });
    const tokens = await Promise.all(
      [1, 2, 3].map((i) =>
        issuer.sign({
          ...claims(),
          iat: Math.floor(Date.now() / 1000),
          exp: Math.floor(Date.now() / 1000) + 600,
          jti: `b${i}`,
        }),
      ),
    );
    for (const t of tokens) expect(await v.authenticate(t, identities)).toBe(caller);
    expect(v.stats).toMatchObject({ verified: 3, cacheHits: 0 });
    await v.authenticate(tokens[2]!, identities); // still cached
    await v.authenticate(tokens[0]!, identities); // evicted: verified again
    expect(v.stats).toMatchObject({ verified: 4, cacheHits: 1 });
  });

  it("refuses a JWKS of more than 100 keys", async () => {
    const big = createHttpServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({ keys: Array.from({ length: 101 }, () => issuer.published[0]!.jwk) }),
      );
    });
    await new Promise<void>((resolve) => big.listen(0, "127.0.0.1", resolve));
    try {
      const logs: string[] = [];
      const v = createIdentityVerifier({ log: (l) => logs.push(l) });
      const identities = [
        compileIdentity(caller, {
          issuer: issuer.url,
          audience: AUDIENCE,
          subjects: [SUB],
          jwksUri: `http://127.0.0.1:${(big.address() as AddressInfo).port}/`,
        }),
      ];
      const token = await issuer.sign({
        ...claims(),
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 600,
      });
      const error = await v.authenticate(token, identities).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).problem.code).toBe("identity_keys_unavailable");
      expect(logs.join("\n")).toContain("the JWKS has 101 keys, more than 100");
    } finally {
      await new Promise<void>((resolve) => big.close(() => resolve()));
    }
  });
});

describe("identity in the configuration", () => {
  const base = { name: "a", subjects: ["*@example.com"], operations: ["freebusy"], scopes: [RO] };
  const config = (callers: unknown[]): unknown => ({
    delegation: { keyFile: "k.json", checkSubject: "info@example.com" },
    callers,
  });
  const issue = (callers: unknown[]): { message: string; hint: string } => {
    try {
      parseConfig(config(callers), "dwd-server.json");
    } catch (error) {
      return { message: (error as Error).message, hint: (error as { hint: string }).hint };
    }
    return { message: "accepted", hint: "" };
  };
  const google = { issuer: "https://accounts.google.com", audience: AUDIENCE };

  it("needs exactly one of tokenSha256 and identity, names someone, and uses https", () => {
    expect(issue([base])).toStrictEqual({
      message:
        'Cannot use the configuration "dwd-server.json": "callers[0]" has neither "tokenSha256" nor "identity": give one, so the caller can prove who it is',
      hint: 'Give the caller "tokenSha256" (printf %s "$TOKEN" | dwd-server hash-token) or an "identity" (issuer, audience, subjects or emails)',
    });
    expect(issue([{ ...base, identity: google }]).message).toBe(
      'Cannot use the configuration "dwd-server.json": "callers[0].identity" names no one: give "subjects" or "emails" (or both)',
    );
    expect(
      issue([
        { ...base, identity: { ...google, issuer: "http://idp.example.com", emails: ["a@b.co"] } },
      ]).message,
    ).toBe(
      'Cannot use the configuration "dwd-server.json": "callers[0].identity.issuer" must be an https URL (http only on loopback), got "http://idp.example.com"',
    );
    expect(
      issue([{ ...base, identity: { ...google, emails: ["a@b.co"], algorithms: ["HS256"] } }])
        .message,
    ).toContain('"callers[0].identity.algorithms[0]"');
    expect(issue([{ ...base, identity: { ...google, emails: ["a@b.co"] } }]).message).toBe(
      "accepted",
    );
  });

  it("refuses one identity for two callers", () => {
    expect(
      issue([
        { ...base, identity: { ...google, emails: ["a@b.co"] } },
        { ...base, name: "b", identity: { ...google, emails: ["A@b.co"] } },
      ]).message,
    ).toBe(
      `Cannot use the configuration "dwd-server.json": "callers[1].identity" names email a@b.co for audience "${AUDIENCE}", as caller "a" does: one identity, one caller`,
    );
  });
});
