/**
 * `@dwd/auth`: service-account keys (JSON, .p12, PEM), domain-wide delegation tokens with a
 * per-subject cache, and a diagnosis with the exact fix for every token-endpoint error.
 * Web-standard (fetch + WebCrypto); node-forge loads only when a .p12 is read.
 *
 * @example
 * ```ts
 * import { createTokenSource, loadKey } from "@dwd/auth";
 * const source = createTokenSource(await loadKey("service-account.json"));
 * const token = await source.getToken({ subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] });
 * ```
 *
 * @module
 */

export { ADMIN_CONSOLE_PATH, adminConsoleLink } from "./admin-console-link.ts";
export { diagnoseTokenError, findClientIdHint } from "./diagnose-token-error.ts";
export type { DiagnoseContext, TokenEndpointFailure } from "./diagnose-token-error.ts";
export { DelegationError, DwdError, KeyError } from "./errors.ts";
export {
  CLOUD_PLATFORM_SCOPE,
  callerFromKey,
  findCallerCredentials,
} from "./caller-credentials.ts";
export type { CallerCredentials, CallerCredentialsOptions } from "./caller-credentials.ts";
export { defaultFetch } from "./fetch-like.ts";
export type { FetchLike, FetchLikeInit, FetchLikeResponse } from "./fetch-like.ts";
export type {
  DelegationErrorCode,
  DelegationFacts,
  DwdErrorCode,
  DwdErrorOptions,
  KeyErrorCode,
} from "./errors.ts";
export { createIamSigner } from "./iam-signer.ts";
export type { IamSigner, IamSignerOptions } from "./iam-signer.ts";
export { KeylessError } from "./keyless-error.ts";
export type { KeylessErrorCode, KeylessFacts } from "./keyless-error.ts";
export { REDACTED, containsSecret, redactLines, redactSecrets, registerSecret } from "./redact.ts";
export {
  abortableSleep,
  nothingListens,
  retryAfterSeconds,
  retryDelay,
  retryPolicy,
} from "./retry-policy.ts";
export type { RetryOptions, RetryPolicy } from "./retry-policy.ts";
export { isJwtSigner, keySigner } from "./signer.ts";
export type { JwtSigner, SignOptions, SignerIdentity } from "./signer.ts";
export { MAX_KEY_BYTES, MAX_P12_ITERATIONS, loadKey } from "./load-key.ts";
export type { KeySource, LoadKeyOptions } from "./load-key.ts";
export { measureClockOffset } from "./measure-clock-offset.ts";
export type { MeasureClockOffsetOptions } from "./measure-clock-offset.ts";
export {
  GOOGLE_CALENDAR_ROOT,
  GOOGLE_IAM_CREDENTIALS_ROOT,
  resolveEndpoints,
} from "./resolve-endpoints.ts";
export type { Endpoints, ResolveEndpointsOptions } from "./resolve-endpoints.ts";
export { GOOGLE_TOKEN_URI } from "./service-account-key.ts";
export type { CryptoKeyMembers, ServiceAccountKey, WebCryptoKey } from "./service-account-key.ts";
export {
  ASSERTION_LIFETIME_SECONDS,
  IAT_BACKDATE_SECONDS,
  MAX_ASSERTION_LENGTH,
  MAX_SCOPE_CLAIM_LENGTH,
  MAX_SUBJECT_LENGTH,
  buildClaims,
  normalizeScopes,
  normalizeSubject,
  signJwt,
} from "./sign-jwt.ts";
export type { BuildClaimsOptions, JwtClaims } from "./sign-jwt.ts";
export {
  DEFAULT_REFRESH_MARGIN_MS,
  DEFAULT_TOKEN_TIMEOUT_MS,
  JWT_BEARER_GRANT,
  createTokenSource,
} from "./token-source.ts";
export type {
  AccessToken,
  GetTokenOptions,
  TokenSource,
  TokenSourceOptions,
  TokenSourceStats,
} from "./token-source.ts";
export { cacheKeyProblem, createSharedTokenSource } from "./shared-token-source.ts";
export type {
  SharedTokenSource,
  SharedTokenSourceOptions,
  SharedTokenStats,
  SharedTokenStore,
} from "./shared-token-source.ts";
