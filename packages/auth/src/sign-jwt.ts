/**
 * RS256 assertions for the jwt-bearer grant: `buildClaims()` and `signJwt()`, WebCrypto only.
 *
 * @module
 */

import { base64UrlEncode } from "./_internal/base64.ts";
import { redactSecrets } from "./redact.ts";
import { GOOGLE_TOKEN_URI } from "./service-account-key.ts";
import type { ServiceAccountKey } from "./service-account-key.ts";

/** The claims of a jwt-bearer assertion. */
export interface JwtClaims {
  /** The service account's email. */
  iss: string;
  /** The impersonated user (domain-wide delegation); absent to act as the service account. */
  sub?: string | undefined;
  /** Space-separated scopes. */
  scope: string;
  /** The token endpoint the assertion is posted to. */
  aud: string;
  /** Issued at, seconds since the epoch (backdated for clock skew). */
  iat: number;
  /** Expiry, `iat + 3600`. */
  exp: number;
  [claim: string]: unknown;
}

/** Options of {@link buildClaims}. */
export interface BuildClaimsOptions {
  /** The user to impersonate. */
  subject?: string | undefined;
  /** OAuth scopes; at least one. */
  scopes: readonly string[];
  /** `aud`; defaults to the key's token URI. */
  audience?: string | undefined;
  /** Current time in ms; defaults to `Date.now()`. */
  now?: number | undefined;
}

/** Seconds `iat` is set in the past, so a clock slightly ahead of Google's still gets a token. */
export const IAT_BACKDATE_SECONDS = 30;
/** The assertion lifetime Google allows at most. */
export const ASSERTION_LIFETIME_SECONDS = 3600;

/** The longest subject sent: an email address has at most 254 characters (RFC 5321's 256-octet path). */
export const MAX_SUBJECT_LENGTH = 254;
/**
 * The longest `scope` claim sent, in characters (8,192). Google refuses far larger assertions, but with
 * "Invalid JWT Signature", which reads like a deleted key. Every Workspace scope a delegation entry can
 * hold fits with room to spare (they average about 50 characters).
 */
export const MAX_SCOPE_CLAIM_LENGTH = 8192;
/** The largest signed assertion sent, in characters (16,384). */
export const MAX_ASSERTION_LENGTH = 16_384;

/**
 * Builds the claims of a jwt-bearer assertion.
 *
 * `aud` is the token URI the assertion is posted to (the key's `token_uri` by default): Google
 * accepts its current and legacy token URLs, and an emulator accepts only its own.
 *
 * @param key the service-account key (`iss`, default `aud`)
 * @param options subject, scopes, audience, now
 * @returns the claims
 * @throws {TypeError} when `scopes` is empty (Google answers `invalid_scope`, and google-auth-library
 *   would silently drop the subject), or the subject is not one user (see {@link normalizeSubject})
 * @example
 * ```ts
 * const claims = buildClaims(key, { subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] });
 * ```
 */
export function buildClaims(
  key: Pick<ServiceAccountKey, "clientEmail"> & { tokenUri?: string | undefined },
  options: BuildClaimsOptions,
): JwtClaims {
  const scopes = normalizeScopes(options.scopes);
  const subject = normalizeSubject(options.subject);
  const iat = Math.floor((options.now ?? Date.now()) / 1000) - IAT_BACKDATE_SECONDS;
  return {
    iss: key.clientEmail,
    ...(subject !== undefined ? { sub: subject } : {}),
    scope: scopes.join(" "),
    aud: options.audience ?? key.tokenUri ?? GOOGLE_TOKEN_URI,
    iat,
    exp: iat + ASSERTION_LIFETIME_SECONDS,
  };
}

/**
 * Validates and normalises scopes: deduplicated and sorted.
 *
 * @param scopes the requested scopes
 * @returns the sorted, unique scopes
 * @throws {TypeError} when no scope is given
 * @example
 * ```ts
 * normalizeScopes(["b", "a", "b"]); // ["a", "b"]
 * ```
 */
export function normalizeScopes(scopes: readonly string[] | undefined): string[] {
  const list: readonly unknown[] = Array.isArray(scopes) ? scopes : [];
  if (
    list.length === 0 ||
    !list.every((s): s is string => typeof s === "string" && s.trim() !== "")
  ) {
    throw new TypeError(
      "scopes are required: pass at least one OAuth scope (a token without scopes cannot act for a subject)",
    );
  }
  return [...new Set(list.map((s) => s.trim()))].sort();
}

/**
 * Validates the subject: surrounding whitespace is trimmed; an empty subject, or one holding whitespace
 * or a control character inside, is refused. An empty string must not silently act as the service
 * account (omit the subject for that), and no email address holds a space.
 *
 * @param subject the user to impersonate, or `undefined` for the service account itself
 * @returns the trimmed subject, or `undefined`
 * @throws {TypeError} when the subject is not a string, is empty, or holds whitespace or a control
 *   character
 * @example
 * ```ts
 * normalizeSubject(" info@example.com "); // "info@example.com"
 * ```
 */
export function normalizeSubject(subject: string | undefined): string | undefined {
  if (subject === undefined) return undefined;
  if (typeof subject !== "string")
    throw new TypeError("subject must be a string: the email of the user to impersonate");
  const trimmed = subject.trim();
  if (trimmed === "") {
    throw new TypeError(
      "subject is empty: pass the email of the user to impersonate, or omit subject to act as the service account itself",
    );
  }
  // Shown JSON-quoted, so a control character is visible instead of acting on a terminal.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(trimmed)) {
    const shown =
      trimmed.length > 80
        ? `${JSON.stringify(trimmed.slice(0, 80)).slice(0, -1)}…"`
        : JSON.stringify(trimmed);
    throw new TypeError(
      `subject ${redactSecrets(shown)} holds whitespace or a control character: pass one user's email address`,
    );
  }
  return trimmed;
}

/**
 * Signs claims as a compact RS256 JWS: header `{"alg":"RS256","typ":"JWT","kid":private_key_id}`
 * (`kid` only when the key has an id), base64url without padding.
 *
 * @param key the service-account key
 * @param claims the claims (see {@link buildClaims})
 * @returns the compact JWT
 * @example
 * ```ts
 * const jwt = await signJwt(key, buildClaims(key, { scopes: ["https://www.googleapis.com/auth/calendar"] }));
 * ```
 */
export async function signJwt(
  key: Pick<ServiceAccountKey, "privateKey" | "privateKeyId">,
  claims: Record<string, unknown>,
): Promise<string> {
  const header = {
    alg: "RS256",
    typ: "JWT",
    ...(key.privateKeyId ? { kid: key.privateKeyId } : {}),
  };
  const input = `${base64UrlEncode(JSON.stringify(header))}.${base64UrlEncode(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign(
    "RSASSA-PKCS1-v1_5",
    key.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64UrlEncode(new Uint8Array(signature))}`;
}
