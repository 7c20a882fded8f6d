/**
 * The token endpoint's error answers, byte for byte as Google sends them.
 * Where Google has been seen to send several spellings, the one chosen here is documented in the README.
 */
export interface TokenError {
  status: 400 | 401 | 403 | 503;
  error: string;
  description: string;
}

function e(status: TokenError["status"], error: string, description: string): TokenError {
  return { status, error, description };
}

type Catalogue = {
  unsupportedGrantType: (value: string) => TokenError;
} & Record<
  | "missingAssertion"
  | "invalidSignature"
  | "noVerifier"
  | "disabledClient"
  | "audience"
  | "shortLived"
  | "emptyScope"
  | "invalidScope"
  | "invalidSubField"
  | "unknownUser"
  | "suspendedAccount"
  | "accountRestricted"
  | "unauthorizedClient"
  | "accessDenied"
  | "outage",
  TokenError
>;

/** Catalogue of token-endpoint errors. */
export const tokenErrors: Catalogue = {
  unsupportedGrantType: (value: string): TokenError =>
    e(400, "unsupported_grant_type", `Invalid grant_type: ${value}`),
  missingAssertion: e(400, "invalid_request", "Missing required parameter: assertion"),
  invalidSignature: e(400, "invalid_grant", "Invalid JWT Signature."),
  noVerifier: e(400, "invalid_grant", "Invalid JWT: No valid verifier found for issuer."),
  disabledClient: e(401, "disabled_client", "The OAuth client was disabled."),
  audience: e(400, "invalid_grant", "Invalid JWT: Failed audience check."),
  shortLived: e(
    400,
    "invalid_grant",
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
  ),
  emptyScope: e(400, "invalid_scope", "Empty or missing scope not allowed."),
  invalidScope: e(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."),
  invalidSubField: e(400, "invalid_request", "Invalid impersonation &quot;sub&quot; field"),
  unknownUser: e(400, "invalid_grant", "Invalid email or User ID"),
  suspendedAccount: e(400, "invalid_account", "Forbidden"),
  accountRestricted: e(403, "access_denied", "Account restricted"),
  unauthorizedClient: e(
    401,
    "unauthorized_client",
    "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
  ),
  accessDenied: e(403, "access_denied", "Requested client not authorized."),
  outage: e(503, "temporarily_unavailable", "The service is currently unavailable."),
};
