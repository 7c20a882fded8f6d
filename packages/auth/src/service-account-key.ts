/**
 * The loaded-key type shared by every module of `@dwd/auth`.
 *
 * @module
 */

/** Google's current OAuth 2.0 token endpoint: the default POST target and `aud`. */
export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

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
  privateKey: CryptoKey;
  /** The file path or a label, for messages. */
  source?: string | undefined;
}
