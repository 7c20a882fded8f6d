// A caller with gcloud's user credentials (an authorized_user file): refreshed with its refresh token.
import type { CallerCredentials, CallerCredentialsOptions } from "../caller-credentials.ts";
import { defaultFetch } from "../fetch-like.ts";
import type { FetchLikeResponse } from "../fetch-like.ts";
import { KeylessError } from "../keyless-error.ts";
import { registerSecret } from "../redact.ts";
import { resolveEndpoints } from "../resolve-endpoints.ts";
import { DEFAULT_REFRESH_MARGIN_MS } from "../token-source.ts";
import { cachedToken } from "./cached-token.ts";
import { readAnswer } from "./read-answer.ts";

const LOGIN = "gcloud auth application-default login";

function field(json: Record<string, unknown>, name: string): string | undefined {
  const value = json[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

export function authorizedUserCaller(
  json: Record<string, unknown>,
  path: string,
  options: CallerCredentialsOptions,
): CallerCredentials {
  const clientId = field(json, "client_id");
  const clientSecret = field(json, "client_secret");
  const refreshToken = field(json, "refresh_token");
  const missing = [
    ["client_id", clientId],
    ["client_secret", clientSecret],
    ["refresh_token", refreshToken],
  ].find(([, v]) => v === undefined)?.[0];
  if (missing !== undefined) {
    throw new KeylessError(
      "ambient_credentials_invalid",
      `Cannot use the credentials in "${path}": the authorized_user file has no "${missing}"`,
      {
        callerSource: path,
        hint: `Run ${LOGIN} again to rewrite it`,
      },
    );
  }
  registerSecret(refreshToken ?? "");
  registerSecret(clientSecret ?? "");
  const account = field(json, "account");
  const member = account ? `user:${account}` : undefined;
  const projectId = field(json, "quota_project_id");
  const tokenUri = resolveEndpoints({
    env: options.env,
    keyTokenUri: field(json, "token_uri"),
  }).tokenUri;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? defaultFetch;
  const facts = { callerSource: path, ...(member ? { caller: member } : {}) };

  const token = cachedToken(
    async () => {
      const sentAt = now();
      let response: FetchLikeResponse;
      try {
        response = await doFetch(tokenUri, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            accept: "application/json",
          },
          body: new URLSearchParams({
            grant_type: "refresh_token",
            client_id: clientId ?? "",
            client_secret: clientSecret ?? "",
            refresh_token: refreshToken ?? "",
          }).toString(),
          redirect: "manual", // a refresh token and a client secret go to the token URI only
        });
      } catch (cause) {
        const code = (cause as { cause?: { code?: unknown } | undefined } | null)?.cause?.code;
        throw new KeylessError(
          "caller_token_error",
          `Cannot refresh the user credentials in "${path}": the token endpoint "${tokenUri}" cannot be reached (${typeof code === "string" ? code : "network error"})`,
          {
            ...facts,
            retryable: true,
            cause,
            hint: "Check the network, proxy and DNS; if DWD_EMULATOR_HOST is set, check that the emulator is running",
          },
        );
      }
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(await readAnswer(response)) as Record<string, unknown>;
      } catch {
        // not JSON: handled as an unexpected answer below
      }
      const accessToken =
        typeof body["access_token"] === "string" ? body["access_token"] : undefined;
      if (response.ok && accessToken) {
        const expiresIn = Number(body["expires_in"]);
        return {
          token: accessToken,
          expiresAt:
            sentAt + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000,
        };
      }
      const error = typeof body["error"] === "string" ? body["error"] : "";
      const description =
        typeof body["error_description"] === "string" ? body["error_description"] : "";
      const rapt = body["error_subtype"] === "invalid_rapt" || description.includes("invalid_rapt");
      const googleFacts = {
        ...facts,
        status: response.status,
        cause: body,
        ...(error ? { googleStatus: error } : {}),
        ...(rapt ? { reason: "invalid_rapt" } : {}),
      };
      if (
        error === "invalid_grant" ||
        error === "invalid_client" ||
        error === "unauthorized_client"
      ) {
        const why = rapt
          ? "your organisation's reauthentication policy requires you to sign in again (invalid_rapt)"
          : error === "invalid_grant"
            ? `Google refused the refresh token ("${description || error}")`
            : `Google does not know the OAuth client of the file ("${description || error}")`;
        return Promise.reject(
          new KeylessError(
            "caller_refresh_refused",
            `Cannot refresh the user credentials in "${path}": ${why}`,
            {
              ...googleFacts,
              hint: `Run ${LOGIN} again (it rewrites "${path}"), then retry`,
            },
          ),
        );
      }
      const retryable = response.status === 429 || response.status >= 500;
      return Promise.reject(
        new KeylessError(
          "caller_token_error",
          `Cannot refresh the user credentials in "${path}": the token endpoint answered ${response.status}${error ? ` "${error}"` : ""}`,
          {
            ...googleFacts,
            retryable,
            hint: retryable
              ? "Retry with backoff; Google's token endpoint is temporarily unavailable"
              : `Run ${LOGIN} again, then retry`,
          },
        ),
      );
    },
    now,
    DEFAULT_REFRESH_MARGIN_MS,
  );

  return {
    kind: "authorized_user",
    source: path,
    ...(member ? { member } : {}),
    ...(projectId ? { projectId } : {}),
    getToken: () => token.get(),
    invalidate: () => token.invalidate(),
    describe: () =>
      Promise.resolve({ ...(member ? { member } : {}), ...(projectId ? { projectId } : {}) }),
  };
}
