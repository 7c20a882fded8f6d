/**
 * A caller known by its workload identity instead of a shared secret: an OIDC issuer (Google's
 * `https://accounts.google.com` for the ID tokens Cloud Run, GKE and GCE hand a workload, or any OIDC
 * issuer), the audience the token must name, and the subjects or emails allowed. Its schema is part of
 * the configuration file's.
 *
 * @module
 */

import type { Schema, SchemaIssue } from "./_internal/schema.ts";

/** Google's ID-token issuer, as configured and as its tokens name it. */
export const GOOGLE_ISSUER = "https://accounts.google.com";
/** Where Google publishes the keys of its ID tokens (JWKS). */
export const GOOGLE_JWKS_URI = "https://www.googleapis.com/oauth2/v3/certs";
/** The signature algorithms a configuration may allow: asymmetric only (no `none`, no HS*). */
export const identityAlgorithms = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/** One caller's workload identity. */
export interface IdentityConfig {
  /** The issuer's URL: `https://accounts.google.com` for Google-signed ID tokens, or any OIDC issuer. */
  issuer: string;
  /** The `aud` the token must carry: the server's URL for Google ID tokens. */
  audience: string;
  /** Allowed `sub` claims (for Google: the service account's numeric unique ID). */
  subjects?: string[];
  /** Allowed `email` claims (only with `email_verified: true`). */
  emails?: string[];
  /** The issuer's JWKS; default Google's for Google, else from the issuer's discovery document. */
  jwksUri?: string;
  /** Signature algorithms accepted; default `["RS256"]`. */
  algorithms?: (typeof identityAlgorithms)[number][];
}

/** JSON Schema of a caller's `identity`. */
export const identitySchema: Schema = {
  type: "object",
  description:
    "The caller's workload identity (instead of tokenSha256): an OIDC ID token from this issuer, for this audience, naming one of the subjects or emails",
  required: ["issuer", "audience"],
  additionalProperties: false,
  properties: {
    issuer: {
      type: "string",
      format: "uri",
      description:
        'the issuer URL: "https://accounts.google.com" for Google-signed ID tokens (Cloud Run, GKE, GCE metadata server), or any OIDC issuer',
    },
    audience: {
      type: "string",
      minLength: 1,
      maxLength: 2048,
      description: "the aud the token must carry, e.g. this server's URL",
    },
    subjects: {
      type: "array",
      minItems: 1,
      maxItems: 1000,
      description: "allowed sub claims (for Google: the service account's numeric unique ID)",
      items: { type: "string", minLength: 1, maxLength: 255 },
    },
    emails: {
      type: "array",
      minItems: 1,
      maxItems: 1000,
      description:
        "allowed email claims, accepted only with email_verified true (for Google: the service account's email)",
      items: { type: "string", format: "email" },
    },
    jwksUri: {
      type: "string",
      format: "uri",
      description:
        "the issuer's JWKS URL; default Google's certificates for Google, else the jwks_uri of the issuer's /.well-known/openid-configuration",
    },
    algorithms: {
      type: "array",
      minItems: 1,
      description: 'signature algorithms accepted; default ["RS256"]',
      items: { type: "string", enum: identityAlgorithms },
    },
  },
};

/** `https://accounts.google.com` for either spelling Google uses, else the issuer as written. */
export function canonicalIssuer(issuer: string): string {
  return issuer === "accounts.google.com" || issuer === GOOGLE_ISSUER ? GOOGLE_ISSUER : issuer;
}

function isLoopback(url: URL): boolean {
  return ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
}

/**
 * What the schema cannot say about one identity: https (except loopback, for tests and the emulator),
 * and at least one subject or email.
 *
 * @param identity the caller's identity
 * @param field its place in the file, e.g. `callers[2].identity`
 * @returns the issues
 */
export function identityIssues(identity: IdentityConfig, field: string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  for (const key of ["issuer", "jwksUri"] as const) {
    const value = identity[key];
    if (value === undefined) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      issues.push({ field: `${field}.${key}`, problem: `is not a URL ("${value}")` });
      continue;
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url)))
      issues.push({
        field: `${field}.${key}`,
        problem: `must be an https URL (http only on loopback), got "${value}"`,
      });
  }
  if ((identity.subjects?.length ?? 0) + (identity.emails?.length ?? 0) === 0)
    issues.push({
      field: field,
      problem: 'names no one: give "subjects" or "emails" (or both)',
    });
  return issues;
}
