/**
 * The signer seam: everything after signing (cache, single flight, diagnoses) is shared, whoever signs.
 * A key file signs locally ({@link keySigner}); keyless delegation asks the IAM Credentials API.
 *
 * @module
 */

import type { ServiceAccountKey } from "./service-account-key.ts";
import type { JwtClaims } from "./sign-jwt.ts";
import { signJwt } from "./sign-jwt.ts";

/** Who signs, as the diagnoses need to name it. */
export interface SignerIdentity {
  /** `json`, `p12` or `pem` for a local key; `iam` for the IAM Credentials API's `signJwt`. */
  kind: ServiceAccountKey["kind"] | "iam";
  /** The service account the assertion is issued for (`iss`). */
  clientEmail: string;
  /** Its numeric OAuth2 client ID (what the Admin console names), when known. */
  clientId?: string | undefined;
  /** The signing key's ID, when known. */
  privateKeyId?: string | undefined;
}

/** Options of {@link JwtSigner.sign}. */
export interface SignOptions {
  /** Abandons the signing request (only signers that make one use it). */
  signal?: AbortSignal | undefined;
}

/** Signs a JWT claim set with RS256 for one service account. */
export interface JwtSigner extends SignerIdentity {
  /** The token endpoint the signer's credentials name (a key file's `token_uri`), when any. */
  tokenUri?: string | undefined;
  /**
   * Signs `claims` and returns the compact JWS.
   *
   * @param claims the claim set
   * @param options abort signal
   */
  sign(claims: JwtClaims, options?: SignOptions): Promise<string>;
}

/**
 * A signer over a loaded key: RS256 with WebCrypto, `kid` = the key ID.
 *
 * @param key a key from `loadKey`
 * @returns the signer
 * @example
 * ```ts
 * import { keySigner, loadKey } from "@dwd/auth";
 * const signer = keySigner(await loadKey("service-account.json"));
 * ```
 */
export function keySigner(key: ServiceAccountKey): JwtSigner {
  return {
    kind: key.kind,
    clientEmail: key.clientEmail,
    ...(key.clientId ? { clientId: key.clientId } : {}),
    ...(key.privateKeyId ? { privateKeyId: key.privateKeyId } : {}),
    tokenUri: key.tokenUri,
    sign: (claims) => signJwt(key, claims),
  };
}

/**
 * Whether a value is a {@link JwtSigner} rather than a loaded key.
 *
 * @param value a key or a signer
 * @returns true for a signer
 * @example
 * ```ts
 * import { isJwtSigner } from "@dwd/auth";
 * isJwtSigner({ kind: "iam", clientEmail: "bot@p.iam.gserviceaccount.com", sign: async () => "" }); // true
 * ```
 */
export function isJwtSigner(value: ServiceAccountKey | JwtSigner): value is JwtSigner {
  return typeof (value as Partial<JwtSigner>).sign === "function";
}
