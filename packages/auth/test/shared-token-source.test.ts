import { describe, expect, it, vi } from "vitest";
import { DelegationError, createSharedTokenSource } from "../src/index.ts";
import type { AccessToken, GetTokenOptions, SharedTokenStore, TokenSource } from "../src/index.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const SECRET = "test-cache-secret-0123456789";

/** A memory store shared by the "replicas"; `down` makes every call fail like an unreachable Redis. */
function memoryStore() {
  const data = new Map<string, { value: string; expiresAt: number }>();
  const state = { down: false, now: 1_000_000 };
  const check = async (): Promise<void> => {
    await Promise.resolve();
    if (state.down) throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
  };
  const store: SharedTokenStore = {
    async get(key) {
      await check();
      const e = data.get(key);
      return e !== undefined && e.expiresAt > state.now ? e.value : undefined;
    },
    async set(key, value, ttlMs) {
      await check();
      data.set(key, { value, expiresAt: state.now + ttlMs });
    },
    async delete(key) {
      await check();
      data.delete(key);
    },
    async lock(key, ttlMs) {
      await check();
      const e = data.get(key);
      if (e !== undefined && e.expiresAt > state.now) return undefined;
      data.set(key, { value: "1", expiresAt: state.now + ttlMs });
      return () => Promise.resolve(void data.delete(key));
    },
  };
  return { store, data, state };
}

/** A replica's own token source: counts exchanges, answers after a few turns of the event loop. */
function fakeSource(
  name: string,
  now: () => number,
  fail?: (r: GetTokenOptions) => Error | undefined,
): TokenSource {
  const cache = new Map<string, AccessToken>();
  const stats = { exchanges: 0, hits: 0 };
  return {
    signer: {
      kind: "json",
      clientEmail: "bot@p.iam.gserviceaccount.com",
      sign: () => Promise.resolve(""),
    },
    tokenUri: "http://127.0.0.1/token",
    stats,
    clear: () => cache.clear(),
    invalidate: (r) => void cache.delete(`${r.subject}`),
    async getToken(r) {
      const hit = cache.get(`${r.subject}`);
      if (hit) {
        stats.hits++;
        return hit;
      }
      stats.exchanges++;
      await new Promise((resolve) => setTimeout(resolve, 0));
      const error = fail?.(r);
      if (error) throw error;
      const token = {
        accessToken: `ya29.${name}.${r.subject}`,
        expiresAt: now() + 3_600_000,
        scopes: r.scopes,
        ...(r.subject ? { subject: r.subject } : {}),
      };
      cache.set(`${r.subject}`, token);
      return token;
    },
  };
}

const yieldOnce = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe("createSharedTokenSource()", () => {
  it("three replicas over one store mint exactly once per subject", async () => {
    const { store, state } = memoryStore();
    const now = (): number => state.now;
    const inner = ["a", "b", "c"].map((n) => fakeSource(n, now));
    const replicas = inner.map((s) =>
      createSharedTokenSource(s, { store, secret: SECRET, now, sleep: yieldOnce }),
    );
    const subjects = Array.from({ length: 100 }, (_, i) => `user${i}@example.com`);
    const tokens = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        replicas[i % 3]!.getToken({ subject: subjects[i % 100]!, scopes: [CAL] }),
      ),
    );
    expect(inner.reduce((n, s) => n + s.stats.exchanges, 0)).toBe(100);
    // Every replica hands out the one token minted for the subject, whoever minted it.
    for (let i = 0; i < 1000; i++)
      expect(tokens[i]!.accessToken).toBe(tokens[i % 100]!.accessToken);
    expect(replicas.every((r) => r.mode === "shared")).toBe(true);
  });

  it("stores tokens encrypted: the store never holds the access token", async () => {
    const { store, data, state } = memoryStore();
    const source = createSharedTokenSource(
      fakeSource("a", () => state.now),
      { store, secret: SECRET, now: () => state.now },
    );
    const token = await source.getToken({ subject: "ana@example.com", scopes: [CAL] });
    const values = [...data.values()].map((e) => e.value).join("\n");
    expect(values).toMatch(/^v1\./);
    expect(values).not.toContain(token.accessToken);
    expect([...data.keys()].join("\n")).not.toContain("ana@example.com");
    // Another secret cannot read it: that replica mints its own.
    const other = fakeSource("b", () => state.now);
    await createSharedTokenSource(other, {
      store,
      secret: "another-secret-0123456789",
      now: () => state.now,
    }).getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(other.stats.exchanges).toBe(1);
  });

  it("falls back to the replica's memory when the store fails, and shares again once it answers", async () => {
    const { store, state } = memoryStore();
    const now = (): number => state.now;
    const modes: string[] = [];
    const a = fakeSource("a", now);
    const b = fakeSource("b", now);
    const ra = createSharedTokenSource(a, {
      store,
      secret: SECRET,
      now,
      retryStoreMs: 1000,
      onModeChange: (m) => modes.push(`a:${m}`),
    });
    const rb = createSharedTokenSource(b, { store, secret: SECRET, now, retryStoreMs: 1000 });
    state.down = true;
    await ra.getToken({ subject: "x@example.com", scopes: [CAL] });
    await rb.getToken({ subject: "x@example.com", scopes: [CAL] });
    expect([a.stats.exchanges, b.stats.exchanges]).toStrictEqual([1, 1]);
    expect(ra.mode).toBe("local");
    expect(ra.sharedStats.fallbacks).toBe(1);
    state.down = false;
    state.now += 1000; // past retryStoreMs: the next miss tries the store again
    await ra.getToken({ subject: "y@example.com", scopes: [CAL] });
    await rb.getToken({ subject: "y@example.com", scopes: [CAL] });
    expect(ra.mode).toBe("shared");
    expect(rb.mode).toBe("shared");
    expect([a.stats.exchanges, b.stats.exchanges]).toStrictEqual([2, 1]);
    expect(rb.sharedStats.storeHits).toBe(1);
    expect(modes).toStrictEqual(["a:local", "a:shared"]);
  });

  it("passes a token-endpoint refusal through without blaming the store", async () => {
    const { store, state } = memoryStore();
    const refusal = new DelegationError(
      "delegation_not_authorized",
      'Cannot get a token for "ana@example.com": not authorized',
      { scopes: [CAL], hint: "Grant the scope" },
    );
    const source = createSharedTokenSource(
      fakeSource(
        "a",
        () => state.now,
        () => refusal,
      ),
      { store, secret: SECRET, now: () => state.now },
    );
    await expect(
      source.getToken({ subject: "ana@example.com", scopes: [CAL] }),
    ).rejects.toMatchObject({
      code: "delegation_not_authorized",
      message: 'Cannot get a token for "ana@example.com": not authorized',
    });
    expect(source.mode).toBe("shared");
  });

  it("refuses a short secret", () => {
    const { store } = memoryStore();
    expect(() =>
      createSharedTokenSource(fakeSource("a", Date.now), { store, secret: "short" }),
    ).toThrow(new TypeError("createSharedTokenSource(): secret must have at least 16 characters"));
  });

  it("a runtime that cannot import the AES-GCM key does not end the process: the replica serves from its own cache", async () => {
    // Without a handler where the key's promise is made, its rejection would be unhandled until the
    // first token is asked for (and the suite's setup fails the run on it).
    const importKey = vi
      .spyOn(crypto.subtle, "importKey")
      .mockRejectedValueOnce(new Error("AES-GCM is not supported"));
    try {
      const { store, state } = memoryStore();
      const modes: string[] = [];
      const shared = createSharedTokenSource(
        fakeSource("a", () => state.now),
        {
          store,
          secret: SECRET,
          now: () => state.now,
          onModeChange: (mode, error) => modes.push(`${mode}: ${(error as Error).message}`),
        },
      );
      await new Promise<void>((resolve) => setImmediate(resolve)); // past the point of "unhandled"
      const token = await shared.getToken({ subject: "ana@example.com", scopes: [CAL] });
      expect(token.subject).toBe("ana@example.com");
      expect({ mode: shared.mode, modes }).toEqual({
        mode: "local",
        modes: ["local: AES-GCM is not supported"],
      });
    } finally {
      importKey.mockRestore();
    }
  });
});
