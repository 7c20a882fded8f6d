/**
 * `createTokenSource()`: delegated access tokens with a per-(subject, scopes) cache, one shared
 * exchange for concurrent callers, refresh before expiry and a bounded LRU.
 *
 * @module
 */

import { diagnoseTokenError } from "./diagnose-token-error.ts";
import { defaultFetch } from "./fetch-like.ts";
import type { FetchLike, FetchLikeResponse } from "./fetch-like.ts";
import type { TokenEndpointFailure } from "./diagnose-token-error.ts";
import { DelegationError } from "./errors.ts";
import { resolveEndpoints } from "./resolve-endpoints.ts";
import type { ServiceAccountKey } from "./service-account-key.ts";
import { buildClaims, normalizeScopes } from "./sign-jwt.ts";
import { isJwtSigner, keySigner } from "./signer.ts";
import type { JwtSigner } from "./signer.ts";

/** The jwt-bearer grant type (RFC 7523). */
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Python google-auth refreshes when fewer than 3 min 45 s remain; so do we. */
export const DEFAULT_REFRESH_MARGIN_MS = 225_000;

/** Options of {@link createTokenSource}. */
export interface TokenSourceOptions {
  /** The fetch used for the token endpoint (e.g. an emulator's handler); `globalThis.fetch` by default. */
  fetch?: FetchLike;
  /** Clock in ms; defaults to `Date.now`. */
  now?: () => number;
  /** Token endpoint; wins over `DWD_EMULATOR_HOST` and the key's `token_uri`. */
  tokenUri?: string;
  /** Cache bound (entries of subject × scopes); least recently used go first. Default 10,000. */
  maxEntries?: number;
  /** Refresh a cached token when less than this remains. Default 225,000 ms (3 min 45 s). */
  refreshMarginMs?: number;
  /** Environment to read `DWD_EMULATOR_HOST` from; defaults to the runtime's. */
  env?: Record<string, string | undefined>;
  /**
   * Every scope this client is meant to hold under domain-wide delegation; diagnoses list all of them
   * in the prefilled Admin-console link, since the link replaces the entry. Default: the scopes of the
   * failing request.
   */
  delegatedScopes?: string[];
}

/** An access token for one subject and scope set. */
export interface AccessToken {
  /** The bearer token. Never log it. */
  accessToken: string;
  /** Expiry in ms since the epoch (local clock). */
  expiresAt: number;
  /** The impersonated user, when any. */
  subject?: string;
  /** The scopes, sorted and unique. */
  scopes: string[];
}

/** What {@link TokenSource.getToken} asks for. */
export interface GetTokenOptions {
  /** The user to impersonate; omit to act as the service account itself. */
  subject?: string;
  /** OAuth scopes; at least one. */
  scopes: string[];
}

/** Counters of a {@link TokenSource}. */
export interface TokenSourceStats {
  /** Token-endpoint requests made. */
  exchanges: number;
  /** Calls answered from the cache or by joining an exchange in flight. */
  hits: number;
}

/** Hands out delegated access tokens. */
export interface TokenSource {
  /** The signing key, when the source was made from one (absent for keyless signers). */
  key?: ServiceAccountKey;
  /** Who signs the assertions: the key's local signer, or a keyless one. */
  signer: JwtSigner;
  /** The token endpoint this source posts to. */
  tokenUri: string;
  /**
   * A token for `subject` with `scopes`: from the cache while it has more than the refresh margin
   * left, else from one exchange shared by every concurrent caller. When that exchange fails while the
   * cached token has not yet expired, the cached token is returned (a refresh failure is not an outage
   * for callers until the token really expires).
   */
  getToken(options: GetTokenOptions): Promise<AccessToken>;
  /** Forgets the cached token for one subject and scope set (e.g. after an API answered 401). */
  invalidate(options: GetTokenOptions): void;
  /** Drops every cached token. */
  clear(): void;
  /** Counters. */
  stats: TokenSourceStats;
}

function cacheId(subject: string | undefined, sortedScopes: string[]): string {
  return `${subject || ""}\n${sortedScopes.join(" ")}`;
}

interface Entry {
  token?: AccessToken;
  pending?: Promise<AccessToken>;
}

/**
 * Creates a token source for a service-account key, or for any {@link JwtSigner} (keyless delegation).
 *
 * @param keyOrSigner the key from {@link loadKey}, or a signer
 * @param options fetch, now, token URI, cache bound, refresh margin, env, the client's delegated scopes
 * @returns the token source
 * @throws {TypeError} from `getToken()` when `scopes` is empty (never silently drops the subject)
 * @throws {DelegationError} from `getToken()` when the token endpoint refuses and no unexpired token is
 *   cached: see `diagnoseTokenError`
 * @example
 * ```ts
 * const source = createTokenSource(await loadKey("key.json"));
 * const { accessToken } = await source.getToken({ subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] });
 * ```
 */
export function createTokenSource(keyOrSigner: ServiceAccountKey | JwtSigner, options: TokenSourceOptions = {}): TokenSource {
  const key = isJwtSigner(keyOrSigner) ? undefined : keyOrSigner;
  const signer = isJwtSigner(keyOrSigner) ? keyOrSigner : keySigner(keyOrSigner);
  const doFetch = options.fetch ?? defaultFetch;
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  const tokenUri = resolveEndpoints({ env: options.env, tokenUri: options.tokenUri, keyTokenUri: signer.tokenUri }).tokenUri;
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recently used.
  const cache = new Map<string, Entry>();
  const stats: TokenSourceStats = { exchanges: 0, hits: 0 };
  const delegatedScopes = options.delegatedScopes ? [...options.delegatedScopes] : undefined;

  function touch(id: string, entry: Entry): void {
    cache.delete(id);
    cache.set(id, entry);
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  }

  async function exchange(subject: string | undefined, scopes: string[]): Promise<AccessToken> {
    stats.exchanges++;
    const sentAt = now();
    const context = { key: signer, scopes, tokenUri, ...(subject ? { subject } : {}), ...(delegatedScopes ? { delegatedScopes } : {}) };
    const assertion = await signer.sign(buildClaims(signer, { subject, scopes, audience: tokenUri, now: sentAt }));
    let response: FetchLikeResponse;
    try {
      response = await doFetch(tokenUri, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
      });
    } catch (networkError) {
      throw diagnoseTokenError({ networkError }, context);
    }
    const text = await response.text().catch(() => "");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    const failure: TokenEndpointFailure = { status: response.status, body, date: response.headers.get("date") };
    if (!response.ok) throw diagnoseTokenError(failure, { ...context, now: now() });
    const json = body as { access_token?: unknown; expires_in?: unknown } | null;
    const accessToken = typeof json === "object" && json !== null && typeof json.access_token === "string" ? json.access_token : undefined;
    if (!accessToken) {
      throw new DelegationError("token_endpoint_error", `Cannot get a token for ${subject ? `"${subject}"` : `service account "${signer.clientEmail}"`}: the token endpoint answered ${response.status} without an access token`, {
        ...context,
        clientEmail: signer.clientEmail,
        status: response.status,
        hint: "Check that the token URI points at Google's token endpoint (or the emulator)",
        cause: typeof body === "string" ? undefined : body,
      });
    }
    const expiresIn = Number(json?.expires_in);
    return {
      accessToken,
      expiresAt: sentAt + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000,
      ...(subject ? { subject } : {}),
      scopes,
    };
  }

  return {
    ...(key ? { key } : {}),
    signer,
    tokenUri,
    stats,
    clear(): void {
      cache.clear();
    },
    invalidate(request: GetTokenOptions): void {
      const entry = cache.get(cacheId(request.subject, normalizeScopes(request.scopes)));
      if (entry) delete entry.token;
    },
    getToken(request: GetTokenOptions): Promise<AccessToken> {
      let scopes: string[];
      try {
        scopes = normalizeScopes(request?.scopes);
      } catch (error) {
        return Promise.reject(error instanceof TypeError ? new TypeError(`getToken(): ${error.message}`) : (error as Error));
      }
      const subject = request.subject || undefined;
      const id = cacheId(subject, scopes);
      const entry = cache.get(id) ?? {};
      if (entry.token && entry.token.expiresAt - margin > now()) {
        stats.hits++;
        touch(id, entry);
        return Promise.resolve(entry.token);
      }
      if (entry.pending) {
        stats.hits++;
        touch(id, entry);
        return entry.pending;
      }
      const pending = exchange(subject, scopes).then(
        (token) => {
          if (entry.pending === pending) delete entry.pending;
          entry.token = token;
          return token;
        },
        (error: unknown) => {
          if (entry.pending === pending) delete entry.pending;
          // A failed proactive refresh: the cached token is still valid, so hand it out; the next call
          // inside the margin tries again, and the error surfaces once the token has really expired.
          if (entry.token && entry.token.expiresAt > now()) return entry.token;
          throw error;
        },
      );
      entry.pending = pending;
      touch(id, entry);
      return pending;
    },
  };
}
