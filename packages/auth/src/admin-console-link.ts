/**
 * `adminConsoleLink()`: the prefilled Admin-console link that adds a domain-wide delegation entry.
 *
 * @module
 */

/** Where domain-wide delegation lives in the Admin console. */
export const ADMIN_CONSOLE_PATH =
  "Admin console → Security → Access and data control → API controls → Domain-wide delegation";

// Keeps `:` `/` and `,` readable in the query; escapes everything else that is not URL-safe.
function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ":").replace(/%2F/gi, "/");
}

/**
 * Builds `https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=…&clientScopeToAdd=…&overwriteClientId=true`.
 * The link overwrites the client's entry, so pass the full scope set, not only the missing ones.
 *
 * @param clientId the service account's numeric OAuth2 client ID (not its email)
 * @param scopes every scope the entry must hold
 * @returns the link
 * @example
 * ```ts
 * adminConsoleLink("112233445566778899001", ["https://www.googleapis.com/auth/calendar"]);
 * ```
 */
export function adminConsoleLink(clientId: string, scopes: readonly string[]): string {
  const scopeList = [...new Set(scopes)].map(encodeQueryValue).join(",");
  return `https://admin.google.com/ac/owl/domainwidedelegation?clientIdToAdd=${encodeQueryValue(clientId)}&clientScopeToAdd=${scopeList}&overwriteClientId=true`;
}
