import { describe, expect, it, vi } from "vitest";
import { DelegationError, cacheKeyProblem, createSharedTokenSource } from "../src/index.ts";
import type { AccessToken, GetTokenOptions, SharedTokenStore, TokenSource } from "../src/index.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
// 32 random bytes, base64 (openssl rand -base64 32), and a second one for rotations and wrong keys.
const SECRET = "q7Jd0r3mXo1VnE5kP8sYtB2wZc4hLf6uGa9iRb0NxTQ=";
const OTHER = "M3vH8pQw1zK5nR0tY7eU2sX4aB6cD9fG0jL3mN8oP1Q=";

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
    const { current } = await source.keyIds();
    expect(current).toMatch(/^[0-9a-f]{16}$/);
    // The entry names the key that sealed it (its ID, never the key), then IV and ciphertext.
    expect(values).toMatch(new RegExp(`^v2\\.${current}\\.[A-Za-z0-9+/=]+\\.[A-Za-z0-9+/=]+$`));
    expect(values).not.toContain(token.accessToken);
    expect(values).not.toContain(SECRET);
    // Key names are HMACs under the cache key: no subject, no scope, no unsalted hash of them.
    const names = [...data.keys()];
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^dwd:token:[A-Za-z0-9_-]{43}$/);
    const plainHash = Array.from(
      new Uint8Array(
        await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`ana@example.com\n${CAL}`)),
      ),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    expect(names[0]).not.toContain(plainHash);
    // Another key names its entries elsewhere: it neither reads nor overwrites this one.
    const other = fakeSource("b", () => state.now);
    await createSharedTokenSource(other, {
      store,
      secret: OTHER,
      now: () => state.now,
    }).getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(other.stats.exchanges).toBe(1);
    expect(data.get(names[0]!)?.value).toBe(values);
  });

  it("reports an entry sealed by another key under its name, and never overwrites it", async () => {
    const { store, data, state } = memoryStore();
    const now = (): number => state.now;
    const a = createSharedTokenSource(fakeSource("a", now), { store, secret: SECRET, now });
    await a.getToken({ subject: "ana@example.com", scopes: [CAL] });
    const [name] = [...data.keys()];
    const entry = data.get(name!)!;
    // The same name, sealed by a key whose ID is not ours (as a replica holding another key would).
    const forged = entry.value.replace(/^v2\.[0-9a-f]{16}\./, "v2.00112233aabbccdd.");
    data.set(name!, { ...entry, value: forged });
    const mismatches: string[] = [];
    const inner = fakeSource("b", now);
    const b = createSharedTokenSource(inner, {
      store,
      secret: SECRET,
      now,
      onKeyMismatch: (id) => mismatches.push(id),
    });
    const token = await b.getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(token.accessToken).toBe("ya29.b.ana@example.com");
    expect(mismatches).toStrictEqual(["00112233aabbccdd"]);
    expect(b.sharedStats.keyMismatches).toBe(1);
    expect(data.get(name!)?.value).toBe(forged);
    expect(b.mode).toBe("shared");
  });

  it("reads the previous key's entries during a rotation, and seals them again under the new key", async () => {
    const { store, data, state } = memoryStore();
    const now = (): number => state.now;
    const old = createSharedTokenSource(fakeSource("old", now), { store, secret: OTHER, now });
    await old.getToken({ subject: "ana@example.com", scopes: [CAL] });
    const inner = fakeSource("new", now);
    const rotated = createSharedTokenSource(inner, {
      store,
      secret: SECRET,
      previousSecret: OTHER,
      now,
    });
    const token = await rotated.getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(token.accessToken).toBe("ya29.old.ana@example.com");
    expect(inner.stats.exchanges).toBe(0);
    expect(rotated.sharedStats.previousKeyReads).toBe(1);
    const ids = await rotated.keyIds();
    expect(ids.previous).toBe((await old.keyIds()).current);
    expect([...data.values()].filter((e) => e.value.startsWith(`v2.${ids.current}.`))).toHaveLength(
      1,
    );
  });

  it("takes a store that answers what no replica wrote (+OK to everything) as failing, and falls back", async () => {
    const { store, state } = memoryStore();
    const nonsense = { ...store, get: () => Promise.resolve("OK") };
    const modes: string[] = [];
    const inner = fakeSource("a", () => state.now);
    const source = createSharedTokenSource(inner, {
      store: nonsense,
      secret: SECRET,
      now: () => state.now,
      onModeChange: (m, error) => modes.push(`${m}: ${(error as Error | undefined)?.message}`),
    });
    const token = await source.getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(token.accessToken).toBe("ya29.a.ana@example.com");
    expect(source.mode).toBe("local");
    expect(modes).toStrictEqual([
      "local: the store answered a value no replica writes under a token key (2 characters)",
    ]);
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

  it("refuses a cache key without 32 random bytes: short, not base64, or a repeated phrase", () => {
    const { store } = memoryStore();
    const cases: [string, string][] = [
      ["passwordpassword", "holds 12 bytes, fewer than 32"],
      ["not base64 at all!", "is not base64 (18 characters)"],
      ["passwordpasswordpasswordpasswordpasswordpass", "repeats too few characters to be random"],
      ["", "is empty"],
    ];
    for (const [secret, problem] of cases) {
      expect(cacheKeyProblem(secret)).toBe(problem);
      expect(() => createSharedTokenSource(fakeSource("a", Date.now), { store, secret })).toThrow(
        new TypeError(
          `createSharedTokenSource(): secret ${problem}; use 32 random bytes in base64 (openssl rand -base64 32)`,
        ),
      );
    }
    expect(cacheKeyProblem(SECRET)).toBeUndefined();
    expect(() =>
      createSharedTokenSource(fakeSource("a", Date.now), {
        store,
        secret: SECRET,
        previousSecret: "short",
      }),
    ).toThrow(/previousSecret is not base64/);
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
