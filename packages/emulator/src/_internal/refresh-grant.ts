import type { EmulatorContext } from "./context.ts";
import { tokenHeaders } from "./headers.ts";
import type { IamState } from "./iam-state.ts";
import { issueToken } from "./issue-token.ts";

/** What `gcloud auth application-default login` asks for; the token acts as the user. */
const userScopes = [
  "openid",
  "https://www.googleapis.com/auth/userinfo.email",
  "https://www.googleapis.com/auth/cloud-platform",
];

function refuse(status: 400 | 401, body: Record<string, string>, nowMs: number): Response {
  return new Response(JSON.stringify(body), { status, headers: tokenHeaders(nowMs) });
}

/**
 * `grant_type=refresh_token` on the token endpoint, for the scenario's `authorizedUsers` (the
 * credentials `gcloud auth application-default login` writes): Google's answers for an unknown client,
 * a wrong secret, an unknown or revoked refresh token, and a reauthentication policy (`invalid_rapt`).
 */
export function handleRefreshGrant(
  ctx: EmulatorContext,
  iam: IamState | undefined,
  form: URLSearchParams,
  nowMs: number,
): Response {
  const refreshToken = form.get("refresh_token") ?? "";
  const clientId = form.get("client_id") ?? "";
  if (refreshToken === "")
    return refuse(
      400,
      { error: "invalid_request", error_description: "Missing required parameter: refresh_token" },
      nowMs,
    );
  const user = iam?.authorizedUsers.get(refreshToken);
  const known = [...(iam?.authorizedUsers.values() ?? [])].some((u) => u.clientId === clientId);
  if (!known)
    return refuse(
      401,
      { error: "invalid_client", error_description: "The OAuth client was not found." },
      nowMs,
    );
  if (user === undefined || user.clientId !== clientId)
    return refuse(400, { error: "invalid_grant", error_description: "Bad Request" }, nowMs);
  if ((form.get("client_secret") ?? "") !== user.clientSecret)
    return refuse(401, { error: "invalid_client", error_description: "Unauthorized" }, nowMs);
  if (user.refresh === "revoked")
    return refuse(
      400,
      { error: "invalid_grant", error_description: "Token has been expired or revoked." },
      nowMs,
    );
  if (user.refresh === "reauth") {
    return refuse(
      400,
      {
        error: "invalid_grant",
        error_description: "reauth related error (invalid_rapt)",
        error_uri: "https://support.google.com/a/answer/9368756",
        error_subtype: "invalid_rapt",
      },
      nowMs,
    );
  }
  const body = {
    ...issueToken(
      ctx,
      { accountEmail: user.email, clientId: user.clientId, subject: null, scopes: userScopes },
      nowMs,
    ),
    scope: userScopes.join(" "),
  };
  return new Response(JSON.stringify(body), { status: 200, headers: tokenHeaders(nowMs) });
}
