/**
 * `createSharedTokenSource()`: one token cache for many replicas. It wraps any {@link TokenSource} with
 * a {@link SharedTokenStore} (Redis in dwd-server): a token minted by one replica is read by the others,
 * a lock per (subject, scopes) makes N replicas mint once in total, and tokens are encrypted at rest
 * with AES-GCM (they are bearer secrets) under a key derived from a high-entropy cache key. Key names
 * are HMACs under that key (they tell nothing about subjects or scopes), and each entry records the ID
 * of the key that sealed it: an entry of another key is reported and never overwritten, and a previous
 * key still reads its entries during a rotation. When the store fails — or answers what no replica
 * wrote — each replica falls back to its own memory cache (the wrapped source) and says so; it goes back
 * to the store when the store answers.
 *
 * @module
 */

import type { CacheKeys } from "./_internal/cache-keyring.ts";
import {
  cacheKeyProblem as cacheKeyProblemOf,
  deriveCacheKeys,
  keyName,
} from "./_internal/cache-keyring.ts";
import { normalizeScopes } from "./sign-jwt.ts";
import type {
  AccessToken,
  GetTokenOptions,
  TokenSource,
  TokenSourceStats,
} from "./token-source.ts";
import { DEFAULT_REFRESH_MARGIN_MS } from "./token-source.ts";

/** Where replicas keep their shared tokens: a key-value store with expiry and a lock. */
export interface SharedTokenStore {
  /** The value under `key`, or undefined. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes `key`. */
  delete(key: string): Promise<void>;
  /**
   * Takes the lock `key` for at most `ttlMs` unless another holder has it.
   *
   * @returns a function that releases it, or undefined when someone else holds it
   */
  lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/** Options of {@link createSharedTokenSource}. */
export interface SharedTokenSourceOptions {
  store: SharedTokenStore;
  /**
   * The cache key, the same on every replica: at least 32 random bytes, base64 (e.g. `openssl rand
   * -base64 32`); {@link cacheKeyProblem} says what is wrong with one. Tokens are sealed with
   * AES-256-GCM and named with HMAC-SHA-256 under keys derived from it (HKDF).
   */
  secret: string;
  /** The key before a rotation: entries it sealed are still read (and sealed again under `secret`). */
  previousSecret?: string | undefined;
  /**
   * Told when an entry under this replica's key name was sealed by a key it does not hold (`keyId`):
   * the entry is left as it is, and this replica uses its own memory cache for that token.
   */
  onKeyMismatch?: ((keyId: string) => void) | undefined;
  /** Prefix of every store key. Default `dwd:token:`. */
  namespace?: string | undefined;
  /** Clock in ms. */
  now?: (() => number) | undefined;
  /** A token is refreshed when less than this remains; default as {@link createTokenSource}. */
  refreshMarginMs?: number | undefined;
  /** How long a lock holder may take to mint before others give up waiting; default 10,000 ms. */
  lockTtlMs?: number | undefined;
  /** Pause between reads while another replica mints; default 25 ms. */
  pollMs?: number | undefined;
  /** Waits `ms` (tests inject a fake). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** While the store is failing, try it again at most this often; default 1,000 ms. */
  retryStoreMs?: number | undefined;
  /** Bound of this replica's decrypted-token cache; the oldest go first. Default 50,000. */
  maxEntries?: number | undefined;
  /** Told when the source switches between the store (`shared`) and its own memory (`local`). */
  onModeChange?: ((mode: "shared" | "local", error?: unknown) => void) | undefined;
}

/** Counters of the shared layer. */
export interface SharedTokenStats {
  /** Tokens read from the store (minted by any replica). */
  storeHits: number;
  /** Tokens this replica minted and wrote to the store. */
  storeWrites: number;
  /** Times the store failed and this replica fell back to its memory. */
  fallbacks: number;
  /** Entries found sealed by a key this replica does not hold (left as they are). */
  keyMismatches: number;
  /** Entries read through the previous key (a rotation). */
  previousKeyReads: number;
}

/** A token source shared through a store. */
export interface SharedTokenSource extends TokenSource {
  /** `shared` while the store answers; `local` while it fails (this replica's own cache). */
  readonly mode: "shared" | "local";
  /** Counters of the shared layer. */
  sharedStats: SharedTokenStats;
  /** The IDs of the cache key and of the previous one (never the keys). */
  keyIds(): Promise<{ current: string; previous?: string | undefined }>;
}

/**
 * What is wrong with a cache key for {@link createSharedTokenSource}, or undefined when it is usable:
 * it must be base64 (standard or URL-safe) of at least 32 bytes that look random.
 *
 * @param secret the key as configured
 * @returns the problem (e.g. `holds 12 bytes, fewer than 32`), or undefined
 * @example
 * ```ts
 * const problem = cacheKeyProblem(process.env.DWD_CACHE_KEY);
 * if (problem !== undefined) throw new Error(`DWD_CACHE_KEY ${problem}: use openssl rand -base64 32`);
 * ```
 */
export function cacheKeyProblem(secret: unknown): string | undefined {
  return problemOf(secret);
}
const problemOf = cacheKeyProblemOf;

/** A store answer under this cache's name that no replica wrote: the store is not to be trusted. */
class StoreAnswerError extends Error {}

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/**
 * Wraps a token source so replicas share its tokens through a store.
 *
 * @param source the replica's own token source (it mints, and is the fallback cache)
 * @param options store, encryption secret, clock, lock and poll timing
 * @returns the shared source; `stats` counts this replica's exchanges and hits
 * @throws {TypeError} when `secret` (or `previousSecret`) is not a usable cache key
 * @example
 * ```ts
 * const shared = createSharedTokenSource(createTokenSource(key), { store: redisStore, secret: process.env.DWD_CACHE_KEY! });
 * const token = await shared.getToken({ subject: "ana@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] });
 * ```
 */
export function createSharedTokenSource(
  source: TokenSource,
  options: SharedTokenSourceOptions,
): SharedTokenSource {
  for (const which of ["secret", "previousSecret"] as const) {
    if (which === "previousSecret" && options.previousSecret === undefined) continue;
    const problem = problemOf(options[which]);
    if (problem !== undefined)
      throw new TypeError(
        `createSharedTokenSource(): ${which} ${problem}; use 32 random bytes in base64 (openssl rand -base64 32)`,
      );
  }
  const { store } = options;
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const lockTtl = options.lockTtlMs ?? 10_000;
  const pollMs = options.pollMs ?? 25;
  const retryStoreMs = options.retryStoreMs ?? 1000;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const namespace = options.namespace ?? "dwd:token:";
  const maxEntries = options.maxEntries ?? 50_000;
  const current = deriveCacheKeys(options.secret);
  const previous =
    options.previousSecret === undefined ? undefined : deriveCacheKeys(options.previousSecret);
  // Derived in the background; a failure (none is expected) surfaces on first use, not unobserved.
  current.catch(() => undefined);
  previous?.catch(() => undefined);

  const local = new Map<string, AccessToken>();
  const pending = new Map<string, Promise<AccessToken>>();
  const stats: TokenSourceStats = {
    get exchanges() {
      return source.stats.exchanges;
    },
    hits: 0,
  };
  const sharedStats: SharedTokenStats = {
    storeHits: 0,
    storeWrites: 0,
    fallbacks: 0,
    keyMismatches: 0,
    previousKeyReads: 0,
  };
  let mode: "shared" | "local" = "shared";
  let failedAt = 0;

  const fresh = (t: AccessToken | undefined): t is AccessToken =>
    t !== undefined && t.expiresAt - margin > now();

  async function seal(name: string, token: AccessToken): Promise<string> {
    const keys = await current;
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = encoder.encode(JSON.stringify(token));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: encoder.encode(name) },
        keys.seal,
        plain,
      ),
    );
    return `v2.${keys.id}.${toBase64(iv)}.${toBase64(sealed)}`;
  }

  /**
   * Opens an entry: the token, `mismatch` (sealed by a key this replica does not hold: left alone), or
   * a StoreAnswerError for a value no replica writes (the store answers nonsense).
   */
  async function open(
    name: string,
    value: string,
    keys: CacheKeys,
  ): Promise<AccessToken | { mismatch: string }> {
    const parts = value.split(".");
    const [version, keyId, iv, sealed] = parts;
    if (
      parts.length !== 4 ||
      version !== "v2" ||
      !/^[0-9a-f]{16}$/.test(keyId!) ||
      iv === undefined ||
      sealed === undefined
    )
      throw new StoreAnswerError(
        `the store answered a value no replica writes under a token key (${value.length} characters)`,
      );
    if (keyId !== keys.id) return { mismatch: keyId! };
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(name) },
        keys.seal,
        fromBase64(sealed),
      );
    } catch {
      throw new StoreAnswerError(
        `an entry sealed by key ${keyId} does not open with it: the store's value was altered`,
      );
    }
    return JSON.parse(new TextDecoder().decode(plain)) as AccessToken;
  }

  function storeFailed(error: unknown): void {
    failedAt = now();
    if (mode === "shared") {
      mode = "local";
      sharedStats.fallbacks++;
      options.onModeChange?.("local", error);
    }
  }

  function storeAnswered(): void {
    if (mode === "local") {
      mode = "shared";
      options.onModeChange?.("shared");
    }
  }

  /** A fresh token under `name`, undefined, or `mismatch` (an entry of a key this replica lacks). */
  async function readStore(
    name: string,
    keys: CacheKeys,
  ): Promise<AccessToken | "mismatch" | undefined> {
    const value = await store.get(name);
    if (value === undefined) return undefined;
    if (typeof value !== "string")
      throw new StoreAnswerError("the store answered a value that is not text");
    const opened = await open(name, value, keys);
    if ("mismatch" in opened) {
      sharedStats.keyMismatches++;
      options.onKeyMismatch?.(opened.mismatch);
      return "mismatch";
    }
    return fresh(opened) ? opened : undefined;
  }

  /** The token sealed under the previous key during a rotation, sealed again under the current one. */
  async function readPrevious(id: string, name: string): Promise<AccessToken | undefined> {
    if (previous === undefined) return undefined;
    const keys = await previous;
    const found = await readStore(`${namespace}${await keyName(keys, id)}`, keys);
    if (found === undefined || found === "mismatch") return undefined;
    sharedStats.previousKeyReads++;
    await store.set(name, await seal(name, found), Math.max(1000, found.expiresAt - now()));
    return found;
  }

  async function mintShared(
    request: GetTokenOptions,
    id: string,
    key: string,
  ): Promise<AccessToken> {
    const keys = await current;
    const found = (await readStore(key, keys)) ?? (await readPrevious(id, key));
    storeAnswered();
    // Another key's entry: never overwritten; this replica keeps its own token meanwhile.
    if (found === "mismatch") return await source.getToken(request);
    if (found) {
      sharedStats.storeHits++;
      return found;
    }
    const deadline = now() + lockTtl;
    for (;;) {
      const release = await store.lock(`${key}:lock`, lockTtl);
      if (release !== undefined) {
        try {
          // Someone may have written it between our read and our lock.
          const again = await readStore(key, keys);
          if (again === "mismatch") return await source.getToken(request);
          if (again) {
            sharedStats.storeHits++;
            return again;
          }
          const token = await source.getToken(request);
          await store.set(key, await seal(key, token), Math.max(1000, token.expiresAt - now()));
          sharedStats.storeWrites++;
          return token;
        } finally {
          await release().catch(() => undefined);
        }
      }
      await sleep(pollMs);
      const minted = await readStore(key, keys);
      if (minted === "mismatch") return await source.getToken(request);
      if (minted) {
        sharedStats.storeHits++;
        return minted;
      }
      // The holder is gone or slow past the lock's life: mint ourselves rather than wait forever.
      if (now() >= deadline) return await source.getToken(request);
    }
  }

  async function obtain(request: GetTokenOptions, id: string): Promise<AccessToken> {
    if (mode === "local" && now() - failedAt < retryStoreMs) return await source.getToken(request);
    try {
      const key = `${namespace}${await keyName(await current, id)}`;
      return await mintShared(request, id, key);
    } catch (error) {
      // A refusal from the token endpoint is the answer, not a store failure.
      if ((error as { name?: unknown })?.name === "DelegationError") throw error;
      storeFailed(error);
      return await source.getToken(request);
    }
  }

  return {
    ...(source.key ? { key: source.key } : {}),
    signer: source.signer,
    tokenUri: source.tokenUri,
    stats,
    sharedStats,
    async keyIds() {
      const p = previous === undefined ? undefined : (await previous).id;
      return { current: (await current).id, ...(p !== undefined ? { previous: p } : {}) };
    },
    get mode() {
      return mode;
    },
    clear(): void {
      local.clear();
      source.clear();
    },
    invalidate(request: GetTokenOptions): void {
      const scopes = normalizeScopes(request.scopes);
      const id = `${request.subject || ""}\n${scopes.join(" ")}`;
      local.delete(id);
      source.invalidate(request);
      void current
        .then((keys) => keyName(keys, id))
        .then((name) => store.delete(`${namespace}${name}`))
        .catch(() => undefined);
    },
    async getToken(request: GetTokenOptions): Promise<AccessToken> {
      const scopes = normalizeScopes(request?.scopes);
      const subject = request.subject || undefined;
      const id = `${subject ?? ""}\n${scopes.join(" ")}`;
      const cached = local.get(id);
      if (fresh(cached)) {
        stats.hits++;
        return cached;
      }
      const inFlight = pending.get(id);
      if (inFlight) {
        stats.hits++;
        return await inFlight;
      }
      const promise = obtain({ ...(subject ? { subject } : {}), scopes }, id).then(
        (token) => {
          pending.delete(id);
          local.delete(id);
          local.set(id, token);
          if (local.size > maxEntries) local.delete(local.keys().next().value!);
          return token;
        },
        (error: unknown) => {
          pending.delete(id);
          throw error;
        },
      );
      pending.set(id, promise);
      return await promise;
    },
  };
}
