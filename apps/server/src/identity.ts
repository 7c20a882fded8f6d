/**
 * `createIdentityVerifier()`: callers that prove who they are with an OIDC ID token (workload
 * identity) instead of a shared secret. The token is verified locally with `jose`: the signature with
 * the issuer's keys (JWKS, cached; fetched again for an unknown key ID at most once per cooldown, a
 * failed fetch retried after a back-off, the answer bounded in size and keys), the algorithm against
 * the configured allow-list, and `iss`, `aud`, `exp`, `nbf` with at most 60 s of clock skew. A verified
 * token is remembered until it expires (a bounded cache), so a caller's next requests cost a map lookup.
 *
 * jose verifies (signature, algorithms, claims, JWK import); only when to fetch keys is decided here:
 * jose's `createRemoteJWKSet` fetches again on every request while its fetch fails (no back-off), reads
 * an answer of any size, and keeps time by `Date.now()` alone — an issuer that is down or hostile would
 * turn each request into a fetch.
 *
 * @module
 */

import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from "jose";
import type { JWTPayload } from "jose";
import type { IdentityConfig } from "./identity-config.ts";
import { GOOGLE_ISSUER, GOOGLE_JWKS_URI, canonicalIssuer } from "./identity-config.ts";
import type { Caller } from "./policy.ts";
import { ProblemError } from "./problem.ts";
import { readBounded } from "./_internal/read-bounded.ts";

/** A caller with its identity compiled for matching. */
export interface IdentityCaller {
  caller: Caller;
  issuer: string;
  audience: string;
  subjects: ReadonlySet<string>;
  /** Lower-cased. */
  emails: ReadonlySet<string>;
  algorithms: readonly string[];
  jwksUri?: string;
}

/**
 * Compiles one caller's identity.
 *
 * @param caller the compiled caller
 * @param identity its configured identity
 * @returns the identity, ready to match tokens against
 */
export function compileIdentity(caller: Caller, identity: IdentityConfig): IdentityCaller {
  return {
    caller,
    issuer: canonicalIssuer(identity.issuer),
    audience: identity.audience,
    subjects: new Set(identity.subjects ?? []),
    emails: new Set((identity.emails ?? []).map((e) => e.toLowerCase())),
    algorithms: identity.algorithms ?? ["RS256"],
    ...(identity.jwksUri !== undefined ? { jwksUri: identity.jwksUri } : {}),
  };
}

/** What a verified token says, as far as matching needs. */
interface Verified {
  iss: string;
  aud: readonly string[];
  sub: string;
  email?: string;
  emailVerified: boolean;
  alg: string;
  /** Epoch ms after which the cached verification is void (`exp`). */
  expiresAt: number;
}

/** Counters for /metrics. */
export interface IdentityStats {
  /** Tokens whose signature and claims were checked (not from the cache). */
  verified: number;
  /** Requests answered from the verified-token cache. */
  cacheHits: number;
  /** Tokens refused (invalid, or matching no caller). */
  refused: number;
  /** JWKS (and discovery) fetches, and how many failed. */
  keyFetches: number;
  keyFetchFailures: number;
}

/** Options of {@link createIdentityVerifier}. */
export interface IdentityVerifierOptions {
  /** Fetches JWKS and discovery documents (default `globalThis.fetch`). */
  fetch?: (
    url: string,
    init: { headers: Record<string, string>; signal: AbortSignal },
  ) => Promise<Response>;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  /** Verified tokens remembered at most (default 10,000; the oldest go first). */
  maxCachedTokens?: number;
  /** Keys are fetched again after this long (default 1 h; a failed refresh keeps the old keys). */
  keysMaxAgeMs?: number;
  /** At most one fetch for an unknown key ID per this long, per issuer (default 30 s). */
  unknownKeyCooldownMs?: number;
  /** After a failed fetch, the next waits this long (default 5 s). */
  failureBackoffMs?: number;
  /** Diagnostic lines. */
  log?: (line: string) => void;
}

/** Verifies callers' ID tokens. */
export interface IdentityVerifier {
  /**
   * The caller `token` proves among `identities`.
   *
   * @throws {ProblemError} 401 `invalid_token` (bad signature, expired, wrong audience…), 401
   *   `unknown_token` (an issuer or identity no caller has), 503 `identity_keys_unavailable`
   */
  authenticate(token: string, identities: readonly IdentityCaller[]): Promise<Caller>;
  stats: IdentityStats;
}

/** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. */
export const CLOCK_SKEW_SECONDS = 60;
const maxDocumentBytes = 256 * 1024;
const maxKeys = 100;
const fetchTimeoutMs = 5000;

/** Whether `token` has the shape of a JWS (three base64url parts): only those are tried as ID tokens. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

class KeysUnavailable extends Error {}

type KeySet = ReturnType<typeof createLocalJWKSet>;

/** One issuer's keys, with the rules on when to fetch them again. */
interface IssuerKeys {
  issuer: string;
  jwksUri?: string;
  set?: KeySet;
  /** When the set was fetched (0: never). */
  fetchedAt: number;
  /** When the last fetch started (0: never), and whether it failed. */
  attemptAt: number;
  failed: boolean;
  pending?: Promise<void>;
}

/**
 * Creates the verifier (one per server: its key and token caches survive policy reloads).
 *
 * @param options transport, clock, cache bounds
 * @returns the verifier
 * @example
 * ```ts
 * const verifier = createIdentityVerifier();
 * const caller = await verifier.authenticate(idToken, policy.identities);
 * ```
 */
export function createIdentityVerifier(options: IdentityVerifierOptions = {}): IdentityVerifier {
  const now = options.now ?? Date.now;
  const fetchImpl =
    options.fetch ??
    ((url: string, init: { headers: Record<string, string>; signal: AbortSignal }) =>
      globalThis.fetch(url, { ...init, redirect: "error" }));
  const maxCached = options.maxCachedTokens ?? 10_000;
  const keysMaxAgeMs = options.keysMaxAgeMs ?? 3_600_000;
  const cooldownMs = options.unknownKeyCooldownMs ?? 30_000;
  const backoffMs = options.failureBackoffMs ?? 5000;
  const log = options.log ?? (() => undefined);
  const stats: IdentityStats = {
    verified: 0,
    cacheHits: 0,
    refused: 0,
    keyFetches: 0,
    keyFetchFailures: 0,
  };
  const cache = new Map<string, Verified>();
  const issuers = new Map<string, IssuerKeys>();

  /** GETs a JSON document of at most `maxDocumentBytes`, within `fetchTimeoutMs`. */
  async function getJson(url: string): Promise<unknown> {
    stats.keyFetches++;
    const response = await fetchImpl(url, {
      headers: { accept: "application/json, application/jwk-set+json" },
      signal: AbortSignal.timeout(fetchTimeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`${url} answered ${response.status}`);
    }
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > maxDocumentBytes) {
      await response.body?.cancel();
      throw new Error(`${url} answered more than ${maxDocumentBytes} bytes`);
    }
    const bytes = await readBounded(
      response.body,
      maxDocumentBytes,
      () => new Error(`${url} answered more than ${maxDocumentBytes} bytes`),
    );
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  async function jwksUriOf(entry: IssuerKeys): Promise<string> {
    if (entry.jwksUri !== undefined) return entry.jwksUri;
    if (entry.issuer === GOOGLE_ISSUER) return GOOGLE_JWKS_URI;
    const doc = (await getJson(
      `${entry.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`,
    )) as { issuer?: unknown; jwks_uri?: unknown } | null;
    if (doc?.issuer !== entry.issuer)
      throw new Error(
        `the discovery document of "${entry.issuer}" names another issuer (${JSON.stringify(doc?.issuer)})`,
      );
    if (typeof doc.jwks_uri !== "string" || !/^https?:\/\//.test(doc.jwks_uri))
      throw new Error(`the discovery document of "${entry.issuer}" has no jwks_uri`);
    entry.jwksUri = doc.jwks_uri;
    return doc.jwks_uri;
  }

  /** Fetches the issuer's keys (one fetch at a time per issuer); a failure keeps the old set. */
  function refresh(entry: IssuerKeys): Promise<void> {
    entry.pending ??= (async () => {
      entry.attemptAt = now();
      try {
        const jwks = (await getJson(await jwksUriOf(entry))) as { keys?: unknown } | null;
        if (!Array.isArray(jwks?.keys)) throw new Error("the JWKS has no keys array");
        if (jwks.keys.length > maxKeys)
          throw new Error(`the JWKS has ${jwks.keys.length} keys, more than ${maxKeys}`);
        entry.set = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
        entry.fetchedAt = now();
        entry.failed = false;
      } catch (error) {
        entry.failed = true;
        stats.keyFetchFailures++;
        log(
          JSON.stringify({
            level: "warn",
            msg: `identity: cannot fetch the keys of "${entry.issuer}": ${error instanceof Error ? error.message : String(error)}`,
          }),
        );
      } finally {
        entry.pending = undefined;
      }
    })();
    return entry.pending;
  }

  const mayFetch = (entry: IssuerKeys, minGapMs: number): boolean =>
    entry.attemptAt === 0 || now() - entry.attemptAt >= (entry.failed ? backoffMs : minGapMs);

  async function keyFor(
    entry: IssuerKeys,
    header: Parameters<KeySet>[0],
    token: Parameters<KeySet>[1],
  ): Promise<Awaited<ReturnType<KeySet>>> {
    if (entry.pending) await entry.pending;
    if ((entry.set === undefined || now() - entry.fetchedAt >= keysMaxAgeMs) && mayFetch(entry, 0))
      await refresh(entry);
    if (entry.set === undefined) throw new KeysUnavailable();
    try {
      return await entry.set(header, token);
    } catch (error) {
      // A key ID the set does not have: the issuer may have rotated; look again, at most once a cooldown.
      if (!(error instanceof errors.JWKSNoMatchingKey) || !mayFetch(entry, cooldownMs)) throw error;
      await refresh(entry);
      return await entry.set(header, token);
    }
  }

  function issuerKeys(identity: IdentityCaller): IssuerKeys {
    const id = `${identity.issuer} ${identity.jwksUri ?? ""}`;
    let entry = issuers.get(id);
    if (entry === undefined) {
      entry = {
        issuer: identity.issuer,
        ...(identity.jwksUri !== undefined ? { jwksUri: identity.jwksUri } : {}),
        fetchedAt: 0,
        attemptAt: 0,
        failed: false,
      };
      issuers.set(id, entry);
    }
    return entry;
  }

  const refuse = (code: "invalid_token" | "unknown_token", detail: string, hint: string): never => {
    stats.refused++;
    throw new ProblemError(401, code, detail, {
      hint,
      headers: {
        "www-authenticate": `Bearer realm="dwd-server", error="invalid_token"`,
      },
    });
  };

  function match(v: Verified, identities: readonly IdentityCaller[]): Caller {
    for (const i of identities) {
      if (i.issuer !== v.iss || !v.aud.includes(i.audience) || !i.algorithms.includes(v.alg))
        continue;
      if (i.subjects.has(v.sub)) return i.caller;
      if (v.email !== undefined && v.emailVerified && i.emails.has(v.email)) return i.caller;
    }
    return refuse(
      "unknown_token",
      `The ID token of "${v.email ?? v.sub}" (issuer "${v.iss}", audience ${v.aud.map((a) => `"${a}"`).join(", ")}) matches no caller of this server`,
      "Name this identity (its sub or verified email) and audience in a caller's identity in the dwd-server configuration, if it should call",
    );
  }

  function why(error: unknown, allowed: readonly string[], audiences: readonly string[]): string {
    if (error instanceof errors.JWTExpired)
      return `it expired (exp ${String(error.payload.exp)}, more than ${CLOCK_SKEW_SECONDS} s ago)`;
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === "aud")
        return `its audience is not this server's (${audiences.map((a) => `"${a}"`).join(" or ")})`;
      if (error.claim === "nbf") return "it is not valid yet (nbf is in the future)";
      if (error.claim === "iat") return "it was issued in the future (iat)";
      return `its "${error.claim}" claim ${error.reason === "missing" ? "is missing" : "is invalid"}`;
    }
    if (error instanceof errors.JOSEAlgNotAllowed)
      return `its algorithm is not allowed (allowed: ${allowed.join(", ")})`;
    if (error instanceof errors.JWSSignatureVerificationFailed)
      return "its signature does not verify with the issuer's keys";
    if (error instanceof errors.JWKSNoMatchingKey)
      return "it is signed by a key the issuer does not publish";
    if (error instanceof errors.JWKSMultipleMatchingKeys)
      return "its key ID matches several of the issuer's keys";
    return "it is not a well-formed signed JWT";
  }

  async function verify(token: string, identities: readonly IdentityCaller[]): Promise<Verified> {
    let unverified: JWTPayload;
    let alg: string;
    try {
      unverified = decodeJwt(token);
      alg = String(decodeProtectedHeader(token).alg);
    } catch {
      return refuse(
        "invalid_token",
        "The bearer token is neither a caller's token nor a well-formed ID token",
        "Send the caller's token, or an ID token from the configured issuer",
      );
    }
    const iss = canonicalIssuer(typeof unverified.iss === "string" ? unverified.iss : "");
    const candidates = identities.filter((i) => i.issuer === iss);
    if (candidates.length === 0)
      return refuse(
        "unknown_token",
        `The ID token's issuer ${JSON.stringify(unverified.iss ?? null)} is not configured for any caller`,
        "Use a token from an issuer named in a caller's identity, or add the identity to the configuration",
      );
    const algorithms = [...new Set(candidates.flatMap((c) => c.algorithms))];
    const audiences = [...new Set(candidates.map((c) => c.audience))];
    const entry = issuerKeys(candidates[0]!);
    try {
      const { payload } = await jwtVerify(token, (h, t) => keyFor(entry, h, t), {
        algorithms,
        audience: audiences,
        issuer: iss === GOOGLE_ISSUER ? [GOOGLE_ISSUER, "accounts.google.com"] : iss,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(now()),
        requiredClaims: ["exp", "sub"],
      });
      stats.verified++;
      const aud = typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? []);
      const email =
        typeof payload["email"] === "string" ? payload["email"].toLowerCase() : undefined;
      return {
        iss,
        aud,
        sub: payload.sub!,
        ...(email !== undefined ? { email } : {}),
        emailVerified: payload["email_verified"] === true || payload["email_verified"] === "true",
        alg,
        expiresAt: payload.exp! * 1000,
      };
    } catch (error) {
      if (error instanceof ProblemError) throw error;
      if (error instanceof KeysUnavailable)
        throw new ProblemError(
          503,
          "identity_keys_unavailable",
          `Cannot check the ID token: the keys of "${iss}" cannot be fetched right now`,
          {
            hint: "Retry in a few seconds; the server's log names the fetch that failed",
            headers: { "retry-after": String(Math.ceil(backoffMs / 1000)) },
          },
        );
      return refuse(
        "invalid_token",
        `The ID token is not valid: ${why(error, algorithms, audiences)}`,
        "Fetch a fresh ID token from the issuer with the audience this server is configured for",
      );
    }
  }

  return {
    stats,
    async authenticate(token, identities) {
      const hit = cache.get(token);
      if (hit !== undefined) {
        if (hit.expiresAt > now()) {
          stats.cacheHits++;
          return match(hit, identities);
        }
        cache.delete(token);
      }
      const verified = await verify(token, identities);
      if (cache.size >= maxCached) cache.delete(cache.keys().next().value!);
      if (verified.expiresAt > now()) cache.set(token, verified);
      return match(verified, identities);
    },
  };
}
