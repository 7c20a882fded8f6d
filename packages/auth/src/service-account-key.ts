/**
 * The loaded-key type shared by every module of `@dwd/auth`.
 *
 * @module
 */

/** Google's current OAuth 2.0 token endpoint: the default POST target and `aud`. */
export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

/**
 * The members every runtime's Web Crypto `CryptoKey` has: what {@link WebCryptoKey} is where no
 * `CryptoKey` type is declared at all.
 */
export interface CryptoKeyMembers {
  /** `"private"` for a signing key. */
  readonly type: "private" | "public" | "secret";
  /** False for the keys dwd imports: the key material cannot be read back. */
  readonly extractable: boolean;
  /** The algorithm, e.g. `{ name: "RSASSA-PKCS1-v1_5", … }`. */
  readonly algorithm: { readonly name: string };
  /** What the key may do, e.g. `["sign"]`. */
  readonly usages: readonly string[];
}

/**
 * A Web Crypto key: the consumer's own `CryptoKey` type, found through the global `CryptoKey` value
 * that the DOM library, `@types/node` and Deno each declare, or {@link CryptoKeyMembers} where none is.
 * So the declarations compile without the DOM library (`lib: ["es2023"]`, `types: ["node"]` has a
 * `CryptoKey` value but no type of that name), and `crypto.subtle.sign(…, key.privateKey, …)` type-checks
 * in every setup.
 *
 * @example
 * ```ts
 * const handle: WebCryptoKey = key.privateKey;
 * console.log(handle.type, handle.algorithm.name, handle.extractable); // private RSASSA-PKCS1-v1_5 false
 * ```
 */
export type WebCryptoKey = typeof globalThis extends { CryptoKey: { prototype: infer K } }
  ? K
  : CryptoKeyMembers;

/** A service-account key ready to sign RS256 assertions. The private key is non-extractable. */
export interface ServiceAccountKey {
  /** Where the key came from. */
  kind: "json" | "p12" | "pem";
  /** The service account's email, used as `iss`. */
  clientEmail: string;
  /** The numeric OAuth2 client ID (what goes into the Admin console); unknown for .p12/PEM unless given. */
  clientId?: string | undefined;
  /** `private_key_id`, sent as the JWT header's `kid`. */
  privateKeyId?: string | undefined;
  /** `project_id` of the JSON key. */
  projectId?: string | undefined;
  /** The key's `token_uri`, or Google's default when absent. */
  tokenUri: string;
  /** Non-extractable RSASSA-PKCS1-v1_5 / SHA-256 signing key. */
  privateKey: WebCryptoKey;
  /** The file path or a label, for messages. */
  source?: string | undefined;
}
