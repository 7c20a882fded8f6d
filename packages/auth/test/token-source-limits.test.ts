// The token source under load and hostile endpoints: one exchange per (subject, scopes) whatever the
// cache does, a deadline that covers the whole exchange (time is faked: nothing here waits), callers'
// abort signals, and requests refused before sending when Google would refuse them misleadingly.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DelegationError,
  MAX_SCOPE_CLAIM_LENGTH,
  containsSecret,
  createTokenSource,
  loadKey,
  redactSecrets,
} from "../src/index.ts";
import type { FetchLike, FetchLikeInit, JwtSigner, ServiceAccountKey } from "../src/index.ts";
import { generateRsa, jsonKey } from "./helpers.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const TOKEN_URI = "https://oauth2.googleapis.com/token";
const EMAIL = "bot@test-project.iam.gserviceaccount.com";

/** A signer that answers at once (a microtask), so fake timers need not wait for WebCrypto. */
const fastSigner: JwtSigner = {
  kind: "json",
  clientEmail: EMAIL,
  clientId: "112233445566778899001",
  sign: (claims) =>
    Promise.resolve(`eyJhbGciOiJSUzI1NiJ9.${btoa(JSON.stringify(claims)).replace(/=+$/, "")}.c2ln`),
};

/** A promise with its resolver, and a flag that says whether it settled. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function settled<T>(promise: Promise<T>): { done: () => boolean; result: Promise<unknown> } {
  let done = false;
  const result = promise.then(
    (v) => ((done = true), v),
    (e: unknown) => ((done = true), e),
  );
  return { done: () => done, result };
}

const tokenResponse = (n: number): Response =>
  Response.json({ access_token: `ya29.limits.${n}`, expires_in: 3599 });

describe("getToken() runs one exchange per (subject, scopes), whatever the cache does", () => {
  it("getToken() with maxEntries 2 runs exactly 5 exchanges for 15 concurrent calls over 5 subjects", async () => {
    const release = deferred<void>();
    let n = 0;
    const fetch: FetchLike = async () => {
      await release.promise;
      return tokenResponse(++n);
    };
    const source = createTokenSource(fastSigner, { fetch, maxEntries: 2, env: {} });
    const calls = Array.from({ length: 15 }, (_, i) =>
      source.getToken({ subject: `user${i % 5}@example.com`, scopes: [CAL] }),
    );
    release.resolve();
    const tokens = await Promise.all(calls);
    expect(source.stats).toEqual({ exchanges: 5, hits: 10 });
    for (let i = 0; i < 15; i++) expect(tokens[i]!.accessToken).toBe(tokens[i % 5]!.accessToken);
  });

  it("clear() during an exchange drops cached tokens but lets later callers join the exchange in flight", async () => {
    const release = deferred<void>();
    let n = 0;
    const fetch: FetchLike = async () => {
      if (n > 0) await release.promise; // the first exchange answers at once
      return tokenResponse(++n);
    };
    const source = createTokenSource(fastSigner, { fetch, env: {} });
    await source.getToken({ subject: "cached@example.com", scopes: [CAL] });
    const first = source.getToken({ subject: "a@example.com", scopes: [CAL] });
    source.clear();
    const second = source.getToken({ subject: "a@example.com", scopes: [CAL] });
    release.resolve();
    expect((await first).accessToken).toBe((await second).accessToken);
    expect(source.stats.exchanges).toBe(2); // "cached@…" before the clear, and one for "a@…"
    await source.getToken({ subject: "cached@example.com", scopes: [CAL] });
    expect(source.stats.exchanges).toBe(3); // clear() did drop the cached token
  });
});

describe("getToken() has one deadline for the whole exchange (faked time)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("getToken() against an endpoint that never answers fails at 30 s, and the next call starts afresh", async () => {
    const inits: FetchLikeInit[] = [];
    const called = deferred<void>();
    const fetch: FetchLike = (_url, init) => {
      inits.push(init ?? {});
      called.resolve();
      return inits.length === 1 ? new Promise(() => undefined) : Promise.resolve(tokenResponse(2));
    };
    const source = createTokenSource(fastSigner, { fetch, env: {} });
    const call = settled(source.getToken({ subject: "a@example.com", scopes: [CAL] }));
    await called.promise;
    await vi.advanceTimersByTimeAsync(29_999);
    expect(call.done()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.done()).toBe(true);
    const error = await call.result;
    expect(error).toBeInstanceOf(DelegationError);
    expect(error).toMatchObject({
      code: "token_endpoint_timeout",
      message: `Cannot get a token for "a@example.com": the token endpoint "${TOKEN_URI}" did not answer within 30 s`,
      retryable: true,
      subject: "a@example.com",
    });
    expect((error as DelegationError).hint).toContain("raise timeoutMs");
    expect(inits[0]!.signal?.aborted).toBe(true);
    expect((await source.getToken({ subject: "a@example.com", scopes: [CAL] })).accessToken).toBe(
      "ya29.limits.2",
    );
    expect(source.stats.exchanges).toBe(2);
  });

  it("getToken() cuts off an answer that trickles one byte every 5 s at the deadline (timeoutMs)", async () => {
    let sent = 0;
    const called = deferred<void>();
    const fetch: FetchLike = () => {
      called.resolve();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((r) => setTimeout(r, 5000));
          sent++;
          controller.enqueue(new TextEncoder().encode(" "));
        },
      });
      return Promise.resolve(
        new Response(body, { status: 200, headers: { "content-type": "application/json" } }),
      );
    };
    const source = createTokenSource(fastSigner, { fetch, env: {}, timeoutMs: 12_000 });
    const call = settled(source.getToken({ subject: "a@example.com", scopes: [CAL] }));
    await called.promise;
    await vi.advanceTimersByTimeAsync(11_999);
    expect(call.done()).toBe(false);
    expect(sent).toBe(2); // the endpoint was never idle for long
    await vi.advanceTimersByTimeAsync(1);
    expect(await call.result).toMatchObject({
      code: "token_endpoint_timeout",
      message: `Cannot get a token for "a@example.com": the token endpoint "${TOKEN_URI}" did not finish its answer within 12 s`,
    });
  });

  it("getToken() rejects with the caller's abort reason; the exchange goes on while another caller waits", async () => {
    const release = deferred<void>();
    const inits: FetchLikeInit[] = [];
    const fetch: FetchLike = async (_url, init) => {
      inits.push(init ?? {});
      await release.promise;
      return tokenResponse(1);
    };
    const source = createTokenSource(fastSigner, { fetch, env: {} });
    const leaving = new AbortController();
    const first = settled(
      source.getToken({ subject: "a@example.com", scopes: [CAL], signal: leaving.signal }),
    );
    const second = source.getToken({ subject: "a@example.com", scopes: [CAL] });
    leaving.abort(new Error("caller gave up"));
    await vi.advanceTimersByTimeAsync(0);
    expect(await first.result).toMatchObject({ message: "caller gave up" });
    release.resolve();
    expect((await second).accessToken).toBe("ya29.limits.1");
    expect(inits[0]!.signal?.aborted).toBe(false);
  });

  it("getToken() aborts the exchange when its only caller abandons it", async () => {
    const called = deferred<void>();
    let seen: AbortSignal | undefined;
    const fetch: FetchLike = (_url, init) => {
      seen = init?.signal;
      called.resolve();
      return new Promise(() => undefined);
    };
    const source = createTokenSource(fastSigner, { fetch, env: {} });
    const controller = new AbortController();
    const call = source.getToken({
      subject: "a@example.com",
      scopes: [CAL],
      signal: controller.signal,
    });
    await called.promise;
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: "AbortError" });
    expect(seen?.aborted).toBe(true);
    await expect(
      source.getToken({ subject: "a@example.com", scopes: [CAL], signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: "AbortError" });
    expect(source.stats.exchanges).toBe(1);
  });
});

describe("getToken() validates the subject and refuses what Google cannot take, before sending", () => {
  let key: ServiceAccountKey;
  const fetches: string[] = [];
  const fetch: FetchLike = (_url, init) => {
    fetches.push(init?.body ?? "");
    return Promise.resolve(tokenResponse(fetches.length));
  };
  beforeEach(async () => {
    key ??= await loadKey(jsonKey((await generateRsa()).pem));
    fetches.length = 0;
  });

  const typeErrors = [
    {
      name: "an empty subject",
      subject: "",
      message:
        "getToken(): subject is empty: pass the email of the user to impersonate, or omit subject to act as the service account itself",
    },
    {
      name: "a blank subject",
      subject: "  ",
      message:
        "getToken(): subject is empty: pass the email of the user to impersonate, or omit subject to act as the service account itself",
    },
    {
      name: "a subject with a space inside",
      subject: "ana smith@example.com",
      message:
        'getToken(): subject "ana smith@example.com" holds whitespace or a control character: pass one user\'s email address',
    },
    {
      name: "a subject with a line break",
      subject: "ana@example.com\nerror: forged",
      message:
        'getToken(): subject "ana@example.com\\nerror: forged" holds whitespace or a control character: pass one user\'s email address',
    },
  ];
  for (const c of typeErrors) {
    it(`getToken() refuses ${c.name} with a TypeError instead of acting as someone else`, async () => {
      const source = createTokenSource(key, { fetch, env: {} });
      await expect(source.getToken({ subject: c.subject, scopes: [CAL] })).rejects.toThrow(
        new TypeError(c.message),
      );
      expect(fetches).toEqual([]);
    });
  }

  it("getToken() trims whitespace around the subject", async () => {
    const source = createTokenSource(key, { fetch, env: {} });
    const token = await source.getToken({ subject: "  ana@example.com\t", scopes: [CAL] });
    expect(token.subject).toBe("ana@example.com");
    const assertion = new URLSearchParams(fetches[0]).get("assertion")!;
    expect(
      JSON.parse(atob(assertion.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))),
    ).toMatchObject({ sub: "ana@example.com" });
    await source.getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(source.stats).toEqual({ exchanges: 1, hits: 1 });
  });

  it('getToken() refuses a 20 KB subject before sending: assertion_too_large, not Google\'s "Invalid JWT Signature"', async () => {
    const source = createTokenSource(key, { fetch, env: {} });
    const subject = `${"a".repeat(20_468)}@example.com`;
    const error = await source.getToken({ subject, scopes: [CAL] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect(error).toMatchObject({
      code: "assertion_too_large",
      message:
        "Cannot get a token for a subject of 20,480 characters: an email address has at most 254, and Google refuses an assertion this large",
      hint: "Pass the user's primary email address as the subject",
    });
    expect((error as DelegationError).subject).toBeUndefined();
    expect(fetches).toEqual([]);
  });

  it("getToken() refuses 2,000 scopes before sending", async () => {
    const source = createTokenSource(key, { fetch, env: {} });
    const scopes = Array.from(
      { length: 2000 },
      (_, i) => `https://www.googleapis.com/auth/scope.number.${i}`,
    );
    const length = [...scopes].sort().join(" ").length;
    const error = await source
      .getToken({ subject: "ana@example.com", scopes })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "assertion_too_large",
      message: `Cannot get a token for "ana@example.com": the 2,000 scopes take ${length.toLocaleString("en-US")} characters, above the 8,192 dwd sends (Google refuses an assertion this large)`,
    });
    expect(fetches).toEqual([]);
    // Every scope a real delegation entry holds fits: 120 scopes of ~60 characters.
    const many = Array.from(
      { length: 120 },
      (_, i) => `https://www.googleapis.com/auth/admin.directory.thing${i}.readonly`,
    );
    expect(many.join(" ").length).toBeLessThan(MAX_SCOPE_CLAIM_LENGTH);
    await source.getToken({ subject: "ana@example.com", scopes: many });
    expect(fetches).toHaveLength(1);
  });

  it("getToken() and delegatedScopes take readonly scope arrays (the package's own constants are readonly)", async () => {
    const scopes: readonly string[] = [CAL];
    const source = createTokenSource(key, { fetch, env: {}, delegatedScopes: scopes });
    expect((await source.getToken({ subject: "ana@example.com", scopes })).scopes).toEqual([CAL]);
    source.invalidate({ subject: "ana@example.com", scopes });
  });

  it("getToken() registers each access token it hands out, so redactSecrets() removes it anywhere", async () => {
    const opaque = "opaque-limits-token-0123456789";
    const source = createTokenSource(key, {
      fetch: () => Promise.resolve(Response.json({ access_token: opaque, expires_in: 3599 })),
      env: {},
    });
    expect(containsSecret(`got ${opaque}`)).toBe(false);
    await source.getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(redactSecrets(`got ${opaque}`)).toBe("got [redacted]");
  });
});
