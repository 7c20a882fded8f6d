/**
 * Issue 13, item 2: the token endpoint's transient failures are retried with the API calls' policy
 * (capped backoff with jitter, Retry-After), inside the deadline and the callers' signals, with one
 * exchange in flight per (subject, scopes). Delays are recorded by an injected sleep: nothing waits.
 */
import { describe, expect, it } from "vitest";
import {
  DelegationError,
  createTokenSource,
  loadKey,
  retryDelay,
  retryPolicy,
} from "../src/index.ts";
import type { FetchLikeResponse, ServiceAccountKey } from "../src/index.ts";
import { generateRsa, jsonKey } from "./helpers.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const TOKEN_URI = "https://oauth2.googleapis.com/token";

let cachedKey: ServiceAccountKey | undefined;
async function testKey(): Promise<ServiceAccountKey> {
  cachedKey ??= await loadKey(jsonKey((await generateRsa()).pem));
  return cachedKey;
}

const refusal =
  (status: number, error: string, description: string, headers = {}) =>
  () =>
    Promise.resolve(Response.json({ error, error_description: description }, { status, headers }));
const networkFailure = (code: string) => () =>
  Promise.reject(
    new TypeError("fetch failed", {
      cause: Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code }),
    }),
  );
const token = () => Promise.resolve(Response.json({ access_token: "ya29.ok", expires_in: 3599 }));

/** A token endpoint answering from a script, one entry per request; then tokens. */
function scripted(script: (() => Promise<FetchLikeResponse>)[]) {
  let n = 0;
  const fetch = () => (script[n++] ?? token)();
  return { fetch, requests: () => n };
}

describe("token-endpoint retries", () => {
  it("getToken() retries 503, 500 internal_failure, 429 (Retry-After) and a reset, sharing one exchange", async () => {
    const endpoint = scripted([
      refusal(503, "temporarily_unavailable", "The service is currently unavailable."),
      refusal(500, "internal_failure", "Backend Error"),
      refusal(429, "rate_limit_exceeded", "Rate Limit Exceeded", { "retry-after": "7" }),
      networkFailure("ECONNRESET"),
    ]);
    const delays: number[] = [];
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      env: {},
      retry: { random: () => 0.5, sleep: (ms) => (delays.push(ms), Promise.resolve()) },
    });
    const tokens = await Promise.all(
      [1, 2, 3].map(() => source.getToken({ subject: "a@example.com", scopes: [CAL] })),
    );
    expect(tokens.map((t) => t.accessToken)).toEqual(["ya29.ok", "ya29.ok", "ya29.ok"]);
    // Half of the ceilings 1 s, 2 s, 4 s, 8 s; Retry-After: 7 wins over 2 s.
    expect(delays).toEqual([500, 1000, 7000, 4000]);
    expect(endpoint.requests()).toBe(5);
    expect(source.stats).toEqual({ exchanges: 5, hits: 2 });
  });

  it("getToken() gives up after `retries`, says how many attempts, and its hint no longer says to retry", async () => {
    const endpoint = scripted(
      Array.from({ length: 10 }, () => refusal(503, "temporarily_unavailable", "Unavailable")),
    );
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      env: {},
      retry: { retries: 2, sleep: () => Promise.resolve() },
    });
    const error = (await source
      .getToken({ subject: "a@example.com", scopes: [CAL] })
      .catch((e: unknown) => e)) as DelegationError;
    expect(error).toBeInstanceOf(DelegationError);
    expect({ code: error.code, message: error.message, retryable: error.retryable }).toEqual({
      code: "token_endpoint_unavailable",
      message: `Cannot get a token for "a@example.com": the token endpoint answered 503 "temporarily_unavailable" (after 3 attempts)`,
      retryable: true,
    });
    expect(error.hint).toBe(
      "The token endpoint kept failing through 2 retries with backoff: it is having an outage; try again in a few minutes, or allow more with the token source's retry option",
    );
    expect(endpoint.requests()).toBe(3);
  });

  it("retry: false sends once and keeps the diagnosis' own advice", async () => {
    const endpoint = scripted([refusal(503, "temporarily_unavailable", "Unavailable")]);
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      env: {},
      retry: false,
    });
    await expect(
      source.getToken({ subject: "a@example.com", scopes: [CAL] }),
    ).rejects.toMatchObject({
      code: "token_endpoint_unavailable",
      message: `Cannot get a token for "a@example.com": the token endpoint answered 503 "temporarily_unavailable"`,
      hint: "Retry with exponential backoff; Google's token endpoint is temporarily unavailable",
    });
    expect(endpoint.requests()).toBe(1);
  });

  const notRetried = [
    {
      name: "a refused connection",
      answer: networkFailure("ECONNREFUSED"),
      code: "token_endpoint_unreachable",
      message: `Cannot get a token for "a@example.com": the token endpoint "${TOKEN_URI}" cannot be reached (ECONNREFUSED)`,
    },
    {
      name: "an unknown host",
      answer: networkFailure("ENOTFOUND"),
      code: "token_endpoint_unreachable",
      message: `Cannot get a token for "a@example.com": the token endpoint "${TOKEN_URI}" cannot be reached (ENOTFOUND)`,
    },
    {
      name: "a request the transport timed out",
      answer: networkFailure("ETIMEDOUT"),
      code: "token_endpoint_unreachable",
      message: `Cannot get a token for "a@example.com": the token endpoint "${TOKEN_URI}" cannot be reached (ETIMEDOUT)`,
    },
    {
      name: "an unknown user (400 invalid_grant)",
      answer: refusal(400, "invalid_grant", "Invalid email or User ID"),
      code: "unknown_subject",
      message: `Cannot get a token for "a@example.com": "a@example.com" is not a user of the Workspace domain`,
    },
  ];
  for (const c of notRetried) {
    it(`${c.name} is not retried`, async () => {
      const endpoint = scripted(Array.from({ length: 10 }, () => c.answer));
      const source = createTokenSource(await testKey(), {
        fetch: endpoint.fetch,
        env: {},
        retry: { sleep: () => Promise.resolve() },
      });
      await expect(
        source.getToken({ subject: "a@example.com", scopes: [CAL] }),
      ).rejects.toMatchObject({ code: c.code, message: c.message });
      expect(endpoint.requests()).toBe(1);
    });
  }

  it("a wait that would end past the deadline is not started: the outage is said as it is", async () => {
    const failing = () => refusal(503, "temporarily_unavailable", "Unavailable");
    const endpoint = scripted([failing(), failing(), failing(), failing()]);
    const slept: number[] = [];
    // Waits of 0.9 × 1 s and 0.9 × 2 s fit in 2.5 s; the next, 0.9 × 4 s, would not (the sleeps are
    // instant here; the budget is counted on the real clock, so only the delays fill it).
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      env: {},
      timeoutMs: 2_500,
      retry: {
        random: () => 0.9,
        sleep: (ms) => {
          slept.push(ms);
          return Promise.resolve();
        },
      },
    });
    await expect(
      source.getToken({ subject: "a@example.com", scopes: [CAL] }),
    ).rejects.toMatchObject({
      code: "token_endpoint_unavailable",
      message: expect.stringMatching(/ \(after 3 attempts\)$/) as string,
    });
    expect(slept).toEqual([900, 1800]);
    expect(endpoint.requests()).toBe(3);

    // A first wait that would already pass the deadline: one attempt, Google's own refusal.
    const once = scripted([failing()]);
    const tight = createTokenSource(await testKey(), {
      fetch: once.fetch,
      env: {},
      timeoutMs: 500,
      retry: { random: () => 0.9, sleep: () => Promise.reject(new Error("must not wait")) },
    });
    await expect(tight.getToken({ subject: "a@example.com", scopes: [CAL] })).rejects.toMatchObject(
      { code: "token_endpoint_unavailable" },
    );
    expect(once.requests()).toBe(1);
  });

  it("the retries stay inside the exchange's deadline", async () => {
    const endpoint = scripted([refusal(503, "temporarily_unavailable", "Unavailable")]);
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      env: {},
      timeoutMs: 50,
      // A short first delay (0.01 × 1 s), then a backoff that would outlast any deadline: only the
      // deadline can end it.
      retry: {
        random: () => 0.01,
        sleep: (_ms, signal) =>
          new Promise((_, reject) =>
            signal.addEventListener("abort", () => reject(signal.reason as Error)),
          ),
      },
    });
    await expect(
      source.getToken({ subject: "a@example.com", scopes: [CAL] }),
    ).rejects.toMatchObject({
      code: "token_endpoint_timeout",
      message: `Cannot get a token for "a@example.com": the token endpoint "${TOKEN_URI}" was still failing (token_endpoint_unavailable) when the deadline of 50 ms passed, after 1 attempt`,
    });
    expect(endpoint.requests()).toBe(1);
  });

  it("the retries stop when the last caller's signal aborts", async () => {
    const endpoint = scripted([refusal(503, "temporarily_unavailable", "Unavailable")]);
    let slept!: () => void;
    const sleeping = new Promise<void>((resolve) => (slept = resolve));
    let aborted: unknown;
    const source = createTokenSource(await testKey(), {
      fetch: endpoint.fetch,
      env: {},
      retry: {
        sleep: (_ms, signal) =>
          new Promise((_, reject) => {
            slept();
            signal.addEventListener("abort", () => {
              aborted = signal.reason;
              reject(signal.reason as Error);
            });
          }),
      },
    });
    const controller = new AbortController();
    const pending = source.getToken({
      subject: "a@example.com",
      scopes: [CAL],
      signal: controller.signal,
    });
    await sleeping;
    const reason = new Error("the caller gave up");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(aborted).toBe(reason);
    expect(endpoint.requests()).toBe(1);
  });

  it("retryDelay() is full jitter under a capped exponential ceiling, never below Retry-After", () => {
    const policy = retryPolicy({ random: () => 0.999, baseDelayMs: 100, maxDelayMs: 1000 });
    expect([0, 1, 2, 3, 4, 5].map((n) => retryDelay(policy, n))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(retryDelay(policy, 0, 3)).toBe(3000);
    expect(() => retryPolicy({ retries: -1 })).toThrow(
      new RangeError("retry.retries must be a whole number ≥ 0, got -1"),
    );
  });
});
