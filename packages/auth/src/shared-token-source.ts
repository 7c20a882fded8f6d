/**
 * `createSharedTokenSource()`: one token cache for many replicas. It wraps any {@link TokenSource} with
 * a {@link SharedTokenStore} (Redis in dwd-server): a token minted by one replica is read by the others,
 * a lock per (subject, scopes) makes N replicas mint once in total, and tokens are encrypted at rest
 * with AES-GCM (they are bearer secrets). When the store fails, each replica falls back to its own
 * memory cache (the wrapped source) and says so; it goes back to the store when the store answers.
 *
 * @module
 */

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
  /** The secret tokens are encrypted with (AES-256-GCM, key = SHA-256 of it); the same on every replica. */
  secret: string;
  /** Prefix of every store key. Default `dwd:token:`. */
  namespace?: string;
  /** Clock in ms. */
  now?: () => number;
  /** A token is refreshed when less than this remains; default as {@link createTokenSource}. */
  refreshMarginMs?: number;
  /** How long a lock holder may take to mint before others give up waiting; default 10,000 ms. */
  lockTtlMs?: number;
  /** Pause between reads while another replica mints; default 25 ms. */
  pollMs?: number;
  /** Waits `ms` (tests inject a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** While the store is failing, try it again at most this often; default 1,000 ms. */
  retryStoreMs?: number;
  /** Bound of this replica's decrypted-token cache; the oldest go first. Default 50,000. */
  maxEntries?: number;
  /** Told when the source switches between the store (`shared`) and its own memory (`local`). */
  onModeChange?: (mode: "shared" | "local", error?: unknown) => void;
}

/** Counters of the shared layer. */
export interface SharedTokenStats {
  /** Tokens read from the store (minted by any replica). */
  storeHits: number;
  /** Tokens this replica minted and wrote to the store. */
  storeWrites: number;
  /** Times the store failed and this replica fell back to its memory. */
  fallbacks: number;
}

/** A token source shared through a store. */
export interface SharedTokenSource extends TokenSource {
  /** `shared` while the store answers; `local` while it fails (this replica's own cache). */
  readonly mode: "shared" | "local";
  /** Counters of the shared layer. */
  sharedStats: SharedTokenStats;
}

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

async function hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Wraps a token source so replicas share its tokens through a store.
 *
 * @param source the replica's own token source (it mints, and is the fallback cache)
 * @param options store, encryption secret, clock, lock and poll timing
 * @returns the shared source; `stats` counts this replica's exchanges and hits
 * @throws {TypeError} when `secret` is shorter than 16 characters
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
  if (typeof options.secret !== "string" || options.secret.length < 16)
    throw new TypeError("createSharedTokenSource(): secret must have at least 16 characters");
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
  const aesKey = crypto.subtle
    .digest("SHA-256", encoder.encode(options.secret))
    .then((raw) => crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
  // Awaited only on first use: observed here too, so a runtime without AES-GCM fails that use (which
  // falls back to the local cache) instead of ending the process before anyone asked for a token.
  aesKey.catch(() => undefined);

  const local = new Map<string, AccessToken>();
  const pending = new Map<string, Promise<AccessToken>>();
  const stats: TokenSourceStats = {
    get exchanges() {
      return source.stats.exchanges;
    },
    hits: 0,
  };
  const sharedStats: SharedTokenStats = { storeHits: 0, storeWrites: 0, fallbacks: 0 };
  let mode: "shared" | "local" = "shared";
  let failedAt = 0;

  const fresh = (t: AccessToken | undefined): t is AccessToken =>
    t !== undefined && t.expiresAt - margin > now();

  async function encrypt(key: string, token: AccessToken): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = encoder.encode(JSON.stringify(token));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: encoder.encode(key) },
        await aesKey,
        plain,
      ),
    );
    return `v1.${toBase64(iv)}.${toBase64(sealed)}`;
  }

  async function decrypt(key: string, value: string): Promise<AccessToken | undefined> {
    const [version, iv, sealed] = value.split(".");
    if (version !== "v1" || iv === undefined || sealed === undefined) return undefined;
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(key) },
        await aesKey,
        fromBase64(sealed),
      );
      return JSON.parse(new TextDecoder().decode(plain)) as AccessToken;
    } catch {
      return undefined; // another secret, or tampered: treat as absent and mint
    }
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

  async function readStore(key: string): Promise<AccessToken | undefined> {
    const value = await store.get(key);
    const token = value === undefined ? undefined : await decrypt(key, value);
    return fresh(token) ? token : undefined;
  }

  async function mintShared(request: GetTokenOptions, key: string): Promise<AccessToken> {
    const found = await readStore(key);
    storeAnswered();
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
          const again = await readStore(key);
          if (again) {
            sharedStats.storeHits++;
            return again;
          }
          const token = await source.getToken(request);
          await store.set(key, await encrypt(key, token), Math.max(1000, token.expiresAt - now()));
          sharedStats.storeWrites++;
          return token;
        } finally {
          await release().catch(() => undefined);
        }
      }
      await sleep(pollMs);
      const minted = await readStore(key);
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
    const key = `${namespace}${await hex(id)}`;
    try {
      return await mintShared(request, key);
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
      void hex(id)
        .then((h) => store.delete(`${namespace}${h}`))
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
