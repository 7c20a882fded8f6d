// A .p12 or PEM key names no token endpoint, so its tokens are asked of Google. When that fails in a way
// an emulator's key would make it fail (Google cannot be reached from a sandbox, or does not know the
// key or its account), the hint says how to point the key at the emulator instead.

import { DelegationError } from "../errors.ts";
import type { DelegationErrorCode } from "../errors.ts";

const AFFECTED: ReadonlySet<DelegationErrorCode> = new Set<DelegationErrorCode>([
  "token_endpoint_unreachable",
  "token_endpoint_timeout",
  "token_endpoint_error",
  "invalid_signature",
  "invalid_grant",
  "client_not_found",
  "unknown_issuer",
  "account_deleted",
]);

/**
 * `error` with a hint that names `DWD_EMULATOR_HOST` and `tokenUri`, when it is a failure a key meant
 * for the emulator would meet at Google; any other error as it is.
 */
export function withEmulatorHint(error: unknown, keyKind: "p12" | "pem"): unknown {
  if (!(error instanceof DelegationError) || !AFFECTED.has(error.code)) return error;
  const what = keyKind === "p12" ? "A .p12 key" : "A PEM key";
  const hint = `${error.hint ?? ""}${error.hint ? ". " : ""}${what} names no token endpoint, so this went to Google's; to use the emulator instead, set DWD_EMULATOR_HOST=host:port (tokens and Calendar calls both go there), or tokenUri (--token-uri) to http://host:port/token`;
  return new DelegationError(error.code, error.message, {
    clientEmail: error.clientEmail,
    clientId: error.clientId,
    subject: error.subject,
    scopes: error.scopes,
    keyId: error.keyId,
    status: error.status,
    tokenUri: error.tokenUri,
    clockOffsetMs: error.clockOffsetMs,
    oauthError: error.oauthError,
    oauthErrorDescription: error.oauthErrorDescription,
    retryable: error.retryable,
    cause: error.cause,
    hint,
  });
}
