import { describe, expect, it } from "vitest";
import { DelegationError, createTokenSource, loadKey, resolveEndpoints } from "../src/index.ts";
import type { ServiceAccountKey } from "../src/index.ts";
import { generateRsa, jsonKey } from "./helpers.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const RO = "https://www.googleapis.com/auth/calendar.readonly";

interface Call {
  url: string;
  body: URLSearchParams;
  claims: Record<string, unknown>;
}

/** A fake token endpoint: counts calls, answers tokens that live `lifetime` seconds; resolves on demand. */
function fakeEndpoint(options: { lifetime?: number; answer?: (call: Call) => Response } = {}) {
  const calls: Call[] = [];
  let n = 0;
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const body = new URLSearchParams(init?.body as string);
    const claims = JSON.parse(
      Buffer.from(body.get("assertion")!.split(".")[1]!, "base64url").toString(),
    ) as Record<string, unknown>;
    const call = { url: input instanceof Request ? input.url : input.toString(), body, claims };
    calls.push(call);
    await Promise.resolve();
    if (options.answer) return options.answer(call);
    return Response.json({
      access_token: `ya29.fake.${++n}`,
      expires_in: options.lifetime ?? 3599,
      token_type: "Bearer",
    });
  };
  return { fetch, calls };
}

let cachedKey: ServiceAccountKey | undefined;
async function testKey(): Promise<ServiceAccountKey> {
  cachedKey ??= await loadKey(jsonKey((await generateRsa()).pem));
  return cachedKey;
}

describe("createTokenSource()", () => {
  it("getToken() posts the jwt-bearer grant form-urlencoded to the key's token URI", async () => {
    const key = await testKey();
    let seen: Request | undefined;
    const source = createTokenSource(key, {
      env: {},
      fetch: (input, init) => {
        seen = new Request(input, init);
        return Promise.resolve(Response.json({ access_token: "ya29.x", expires_in: 3599 }));
      },
      now: () => 1_000_000,
    });
    const token = await source.getToken({ subject: "info@example.com", scopes: [RO, CAL] });
    expect(token).toStrictEqual({
      accessToken: "ya29.x",
      expiresAt: 1_000_000 + 3_599_000,
      subject: "info@example.com",
      scopes: [CAL, RO],
    });
    expect(seen?.method).toBe("POST");
    expect(seen?.url).toBe("https://oauth2.googleapis.com/token");
    expect(seen?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(await seen!.text());
    expect([...form.keys()]).toEqual(["grant_type", "assertion"]);
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
  });

  it("getToken() shares one exchange between concurrent callers", async () => {
    const endpoint = fakeEndpoint();
    const source = createTokenSource(await testKey(), { fetch: endpoint.fetch, env: {} });
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, () =>
        source.getToken({ subject: "info@example.com", scopes: [CAL] }),
      ),
    );
    expect(endpoint.calls).toHaveLength(1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(source.stats).toEqual({ exchanges: 1, hits: 999 });
  });

  it("getToken() caches per subject and sorted scopes", async () => {
    const endpoint = fakeEndpoint();
    const source = createTokenSource(await testKey(), { fetch: endpoint.fetch, env: {} });
    await source.getToken({ subject: "a@example.com", scopes: [CAL, RO] });
    await source.getToken({ subject: "a@example.com", scopes: [RO, CAL] });
    await source.getToken({ subject: "b@example.com", scopes: [CAL, RO] });
    await source.getToken({ subject: "a@example.com", scopes: [CAL] });
    await source.getToken({ scopes: [CAL] });
    expect(endpoint.calls.map((c) => [c.claims["sub"], c.claims["scope"]])).toEqual([
      ["a@example.com", `${CAL} ${RO}`],
      ["b@example.com", `${CAL} ${RO}`],
      ["a@example.com", CAL],
      [undefined, CAL],
    ]);
    expect(source.stats).toEqual({ exchanges: 4, hits: 1 });
  });

  it("getToken() refreshes before expiry with injected time", async () => {
    let now = 1_700_000_000_000;
    const endpoint = fakeEndpoint({ lifetime: 3599 });
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      now: () => now,
      env: {},
    });
    const first = await source.getToken({ subject: "a@example.com", scopes: [CAL] });
    now += 3599_000 - 225_001; // just before the 3 min 45 s margin
    expect((await source.getToken({ subject: "a@example.com", scopes: [CAL] })).accessToken).toBe(
      first.accessToken,
    );
    now += 2; // inside the margin
    const second = await source.getToken({ subject: "a@example.com", scopes: [CAL] });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.expiresAt).toBe(now + 3599_000);
    expect(endpoint.calls[1]!.claims["iat"]).toBe(Math.floor(now / 1000) - 30);
    expect(source.stats).toEqual({ exchanges: 2, hits: 1 });
  });

  it("getToken() honours refreshMarginMs", async () => {
    let now = 0;
    const endpoint = fakeEndpoint({ lifetime: 100 });
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      now: () => now,
      refreshMarginMs: 10_000,
      env: {},
    });
    await source.getToken({ scopes: [CAL] });
    now = 89_999;
    await source.getToken({ scopes: [CAL] });
    now = 90_000;
    await source.getToken({ scopes: [CAL] });
    expect(endpoint.calls).toHaveLength(2);
  });

  it("getToken() keeps the still-valid token when a refresh inside the margin fails, until it expires", async () => {
    let now = 1_700_000_000_000;
    let failures = 0;
    let n = 0;
    const endpoint = fakeEndpoint({
      answer: () =>
        failures-- > 0
          ? Response.json(
              {
                error: "temporarily_unavailable",
                error_description: "The service is currently unavailable.",
              },
              { status: 503 },
            )
          : Response.json({ access_token: `ya29.ok.${++n}`, expires_in: 3599 }),
    });
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      now: () => now,
      env: {},
      retry: false, // the cache's behaviour on a failed exchange, not the retries
    });
    const get = () => source.getToken({ subject: "a@example.com", scopes: [CAL] });
    const first = await get();
    expect(first).toMatchObject({ accessToken: "ya29.ok.1", expiresAt: now + 3599_000 });

    now = first.expiresAt - 60_000; // inside the refresh margin, valid for one more minute
    failures = 1;
    const during = await Promise.all([get(), get(), get()]);
    expect(during.map((t) => t.accessToken)).toEqual(["ya29.ok.1", "ya29.ok.1", "ya29.ok.1"]);
    expect(endpoint.calls).toHaveLength(2); // the three callers shared one (failed) exchange

    const refreshed = await get(); // the next call inside the margin tries again
    expect(refreshed).toMatchObject({ accessToken: "ya29.ok.2", expiresAt: now + 3599_000 });
    expect(source.stats).toEqual({ exchanges: 3, hits: 2 });

    now = refreshed.expiresAt; // really expired now: the failure is the caller's
    failures = 1;
    const error = await get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect(error).toMatchObject({
      code: "token_endpoint_unavailable",
      message:
        'Cannot get a token for "a@example.com": the token endpoint answered 503 "temporarily_unavailable"',
    });
  });

  it("getToken() does not fall back to a token that invalidate() dropped while the refresh was failing", async () => {
    let now = 0;
    let fail = false;
    const endpoint = fakeEndpoint({
      answer: () =>
        fail
          ? Response.json(
              { error: "internal_failure", error_description: "Backend Error" },
              { status: 500 },
            )
          : Response.json({ access_token: "ya29.ok", expires_in: 3599 }),
    });
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      now: () => now,
      env: {},
      retry: false, // the cache's behaviour on a failed exchange, not the retries
    });
    await source.getToken({ scopes: [CAL] });
    now = 3599_000 - 1000;
    fail = true;
    const pending = source.getToken({ scopes: [CAL] });
    source.invalidate({ scopes: [CAL] });
    await expect(pending).rejects.toMatchObject({
      code: "token_endpoint_unavailable",
      message: `Cannot get a token for service account "${source.signer.clientEmail}": the token endpoint answered 500 "internal_failure"`,
    });
  });

  it("getToken() keeps the cache bounded, evicting the least recently used", async () => {
    const endpoint = fakeEndpoint();
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      maxEntries: 3,
      env: {},
    });
    const get = (s: string) => source.getToken({ subject: `${s}@example.com`, scopes: [CAL] });
    await get("a");
    await get("b");
    await get("c");
    await get("a"); // a is now the most recent; b is the least recent
    await get("d"); // evicts b
    await get("a");
    await get("c");
    await get("d");
    expect(source.stats).toEqual({ exchanges: 4, hits: 4 });
    await get("b"); // was evicted
    expect(source.stats.exchanges).toBe(5);
  });

  it("getToken() does not cache a failure, and the next call retries", async () => {
    let fail = true;
    const endpoint = fakeEndpoint({
      answer: () =>
        fail
          ? Response.json(
              {
                error: "temporarily_unavailable",
                error_description: "The service is currently unavailable.",
              },
              { status: 503 },
            )
          : Response.json({ access_token: "ya29.ok", expires_in: 3599 }),
    });
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      env: {},
      retry: false, // the cache's behaviour on a failed exchange, not the retries
    });
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => source.getToken({ subject: "a@example.com", scopes: [CAL] })),
    );
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(endpoint.calls).toHaveLength(1);
    fail = false;
    expect((await source.getToken({ subject: "a@example.com", scopes: [CAL] })).accessToken).toBe(
      "ya29.ok",
    );
  });

  it("invalidate() drops one cached token", async () => {
    const endpoint = fakeEndpoint();
    const source = createTokenSource(await testKey(), { fetch: endpoint.fetch, env: {} });
    await source.getToken({ subject: "a@example.com", scopes: [CAL] });
    source.invalidate({ subject: "a@example.com", scopes: [CAL] });
    await source.getToken({ subject: "a@example.com", scopes: [CAL] });
    expect(endpoint.calls).toHaveLength(2);
  });

  for (const scopes of [[], undefined as unknown as string[]]) {
    it(`getToken() rejects a subject with scopes ${JSON.stringify(scopes)} instead of ignoring the subject`, async () => {
      const endpoint = fakeEndpoint();
      const source = createTokenSource(await testKey(), { fetch: endpoint.fetch, env: {} });
      await expect(source.getToken({ subject: "a@example.com", scopes })).rejects.toThrow(
        new TypeError(
          "getToken(): scopes are required: pass at least one OAuth scope (a token without scopes cannot act for a subject)",
        ),
      );
      expect(endpoint.calls).toHaveLength(0);
    });
  }

  it("getToken() maps a network failure to token_endpoint_unreachable", async () => {
    const source = createTokenSource(await testKey(), {
      env: {},
      tokenUri: "http://127.0.0.1:9/token",
      fetch: () =>
        Promise.reject(
          new TypeError("fetch failed", {
            cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
          }),
        ),
    });
    const error = await source
      .getToken({ subject: "a@example.com", scopes: [CAL] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect(error).toMatchObject({
      code: "token_endpoint_unreachable",
      message:
        'Cannot get a token for "a@example.com": the token endpoint "http://127.0.0.1:9/token" cannot be reached (ECONNREFUSED)',
      retryable: true,
    });
  });

  it("getToken() maps an answer whose body breaks off to token_endpoint_unreachable, not to a missing token", async () => {
    const source = createTokenSource(await testKey(), {
      env: {},
      tokenUri: "http://127.0.0.1:9/token",
      retry: false, // the diagnosis of one failed read, not the retries
      fetch: () =>
        Promise.resolve({
          status: 200,
          ok: true,
          headers: { get: () => null },
          text: () =>
            Promise.reject(
              new TypeError("terminated", {
                cause: Object.assign(new Error("other side closed"), { code: "ECONNRESET" }),
              }),
            ),
        }),
    });
    const error = await source
      .getToken({ subject: "a@example.com", scopes: [CAL] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "token_endpoint_unreachable",
      message:
        'Cannot get a token for "a@example.com": the token endpoint "http://127.0.0.1:9/token" cannot be reached (ECONNRESET)',
      retryable: true,
    });
  });

  it("getToken() lists delegatedScopes with the request's scopes in the Admin-console link of a refusal", async () => {
    const GMAIL = "https://www.googleapis.com/auth/gmail.readonly";
    const key = await testKey();
    const refuse = () =>
      Promise.resolve(
        Response.json(
          {
            error: "unauthorized_client",
            error_description:
              "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
          },
          { status: 401 },
        ),
      );
    const source = createTokenSource(key, {
      env: {},
      fetch: refuse,
      delegatedScopes: [GMAIL, CAL],
    });
    const error = await source
      .getToken({ subject: "a@example.com", scopes: [RO] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect(error).toMatchObject({
      code: "delegation_not_authorized",
      message: `Cannot get a token for "a@example.com": Google refused client "${key.clientId}" for scope "${RO}" (unauthorized_client), for one of three reasons: the domain-wide delegation entry lacks that scope, "a@example.com" is not a user of the Workspace domain that granted the client, or the entry names another client ID`,
      scopes: [RO],
    });
    expect((error as DelegationError).hint).toContain(
      `clientScopeToAdd=${CAL},${RO},${GMAIL}&overwriteClientId=true — it replaces the client's entry with exactly these scopes`,
    );
    const plain = await createTokenSource(key, { env: {}, fetch: refuse })
      .getToken({ subject: "a@example.com", scopes: [RO] })
      .catch((e: unknown) => e);
    expect((plain as DelegationError).hint).toContain(
      `clientScopeToAdd=${RO}&overwriteClientId=true —`,
    );
  });

  it("getToken() refuses a 200 without an access token", async () => {
    const source = createTokenSource(await testKey(), {
      env: {},
      fetch: () => Promise.resolve(Response.json({ id_token: "x" })),
    });
    await expect(source.getToken({ scopes: [CAL] })).rejects.toMatchObject({
      code: "token_endpoint_error",
    });
  });

  it("createTokenSource() rejects a maxEntries below 1", () => {
    expect(() => createTokenSource(cachedKey!, { maxEntries: 0 })).toThrow(RangeError);
  });
});

describe("resolveEndpoints()", () => {
  const cases = [
    {
      name: "Google by default",
      options: { env: {} },
      want: {
        tokenUri: "https://oauth2.googleapis.com/token",
        iamRoot: "https://iamcredentials.googleapis.com",
        calendarRoot: "https://www.googleapis.com/calendar/v3",
        tokenUriFrom: "default",
      },
    },
    {
      name: "the key's token URI",
      options: { env: {}, keyTokenUri: "https://accounts.google.com/o/oauth2/token" },
      want: {
        tokenUri: "https://accounts.google.com/o/oauth2/token",
        iamRoot: "https://iamcredentials.googleapis.com",
        calendarRoot: "https://www.googleapis.com/calendar/v3",
        tokenUriFrom: "key",
      },
    },
    {
      name: "DWD_EMULATOR_HOST over the key",
      options: {
        env: { DWD_EMULATOR_HOST: "127.0.0.1:8085" },
        keyTokenUri: "https://oauth2.googleapis.com/token",
      },
      want: {
        tokenUri: "http://127.0.0.1:8085/token",
        iamRoot: "http://127.0.0.1:8085",
        calendarRoot: "http://127.0.0.1:8085/calendar/v3",
        emulatorOrigin: "http://127.0.0.1:8085",
        tokenUriFrom: "DWD_EMULATOR_HOST",
      },
    },
    {
      name: "explicit options over DWD_EMULATOR_HOST",
      options: {
        env: { DWD_EMULATOR_HOST: "localhost:1" },
        tokenUri: "http://x/token",
        apiRoot: "http://y/calendar/v3/",
        iamRoot: "http://z/",
      },
      want: {
        tokenUri: "http://x/token",
        iamRoot: "http://z",
        calendarRoot: "http://y/calendar/v3",
        emulatorOrigin: "http://localhost:1",
        tokenUriFrom: "option",
      },
    },
    {
      name: "a URL in DWD_EMULATOR_HOST",
      options: { env: { DWD_EMULATOR_HOST: "http://[::1]:9000" } },
      want: {
        tokenUri: "http://[::1]:9000/token",
        iamRoot: "http://[::1]:9000",
        calendarRoot: "http://[::1]:9000/calendar/v3",
        emulatorOrigin: "http://[::1]:9000",
        tokenUriFrom: "DWD_EMULATOR_HOST",
      },
    },
    {
      name: "the emulator from a key's loopback token_uri (a key the emulator wrote)",
      options: { env: {}, keyTokenUri: "http://127.0.0.1:8085/token" },
      want: {
        tokenUri: "http://127.0.0.1:8085/token",
        iamRoot: "http://127.0.0.1:8085",
        calendarRoot: "http://127.0.0.1:8085/calendar/v3",
        emulatorOrigin: "http://127.0.0.1:8085",
        tokenUriFrom: "key",
      },
    },
    {
      name: "the emulator from a loopback tokenUri option, over a key that names Google",
      options: {
        env: {},
        tokenUri: "http://localhost:9/token",
        keyTokenUri: "https://oauth2.googleapis.com/token",
      },
      want: {
        tokenUri: "http://localhost:9/token",
        iamRoot: "http://localhost:9",
        calendarRoot: "http://localhost:9/calendar/v3",
        emulatorOrigin: "http://localhost:9",
        tokenUriFrom: "option",
      },
    },
    {
      name: "an explicit apiRoot over a loopback token URI",
      options: { env: {}, tokenUri: "http://[::1]:9/token", apiRoot: "https://cal.example/v3" },
      want: {
        tokenUri: "http://[::1]:9/token",
        iamRoot: "http://[::1]:9",
        calendarRoot: "https://cal.example/v3",
        emulatorOrigin: "http://[::1]:9",
        tokenUriFrom: "option",
      },
    },
    {
      name: "Google for a token URI on another host",
      options: { env: {}, tokenUri: "http://127.0.0.1.example.com/token" },
      want: {
        tokenUri: "http://127.0.0.1.example.com/token",
        iamRoot: "https://iamcredentials.googleapis.com",
        calendarRoot: "https://www.googleapis.com/calendar/v3",
        tokenUriFrom: "option",
      },
    },
  ];
  for (const c of cases) {
    it(`resolveEndpoints() picks ${c.name}`, () => {
      expect(resolveEndpoints(c.options)).toStrictEqual(c.want);
    });
  }

  it("createTokenSource() posts to DWD_EMULATOR_HOST for any key kind, and options.tokenUri wins", async () => {
    const key = await testKey();
    const urls: string[] = [];
    const fetch = ((input: RequestInfo | URL) => {
      urls.push(input instanceof Request ? input.url : input.toString());
      return Promise.resolve(Response.json({ access_token: "ya29.x", expires_in: 3599 }));
    }) as typeof globalThis.fetch;
    await createTokenSource(key, { fetch, env: { DWD_EMULATOR_HOST: "127.0.0.1:7" } }).getToken({
      scopes: [CAL],
    });
    await createTokenSource(key, {
      fetch,
      env: { DWD_EMULATOR_HOST: "127.0.0.1:7" },
      tokenUri: "http://other/token",
    }).getToken({ scopes: [CAL] });
    expect(urls).toEqual(["http://127.0.0.1:7/token", "http://other/token"]);
  });
});
