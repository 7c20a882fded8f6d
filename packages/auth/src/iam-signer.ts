/**
 * `createIamSigner()`: keyless domain-wide delegation. The IAM Credentials API's `signJwt` signs the
 * assertion with a Google-managed key of the target service account; the caller proves itself with its
 * own credentials (Application Default Credentials, or a key you pass).
 *
 * @module
 */

import { diagnoseIamError } from "./_internal/diagnose-iam-error.ts";
import type { CallerCredentials } from "./caller-credentials.ts";
import { callerFromKey, findCallerCredentials } from "./caller-credentials.ts";
import { defaultFetch } from "./fetch-like.ts";
import type { FetchLike, FetchLikeResponse } from "./fetch-like.ts";
import { KeylessError } from "./keyless-error.ts";
import { discardAnswer, isRedirect, readAnswer } from "./_internal/read-answer.ts";
import { resolveEndpoints } from "./resolve-endpoints.ts";
import type { ServiceAccountKey } from "./service-account-key.ts";
import type { JwtClaims } from "./sign-jwt.ts";
import type { JwtSigner } from "./signer.ts";

/** Options of {@link createIamSigner}. */
export interface IamSignerOptions {
  /** The target service account's email: the `iss` of the assertions, the account with the DWD grant. */
  serviceAccount: string;
  /** A delegation chain: emails (or `projects/-/serviceAccounts/…` names) of accounts between caller and target. */
  delegates?: string[] | undefined;
  /** The caller: credentials from {@link findCallerCredentials}, or a loaded key. Default: Application Default Credentials. */
  credentials?: CallerCredentials | ServiceAccountKey | undefined;
  /** Transport for the IAM Credentials API and the caller's token; `globalThis.fetch` by default. */
  fetch?: FetchLike | undefined;
  /** IAM Credentials API root; wins over `DWD_EMULATOR_HOST` (default `https://iamcredentials.googleapis.com`). */
  iamRoot?: string | undefined;
  /** Environment (DWD_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS, HOME, GCE_METADATA_HOST, …); the runtime's by default. */
  env?: Record<string, string | undefined> | undefined;
  /** The target's numeric client ID (unique ID), for the Admin-console diagnoses; `signJwt` does not return it. */
  clientId?: string | undefined;
  /** Clock in ms, for the caller's token cache; defaults to `Date.now`. */
  now?: (() => number) | undefined;
  /** How long the metadata server has to answer when it is the caller: 3,000 ms when only looked for, 10,000 when `GCE_METADATA_HOST` names it. */
  metadataTimeoutMs?: number | undefined;
}

/** A {@link JwtSigner} backed by `signJwt`. */
export interface IamSigner extends JwtSigner {
  kind: "iam";
  /** The caller's credentials, found on first use (files only; no network). */
  caller(): Promise<CallerCredentials>;
  /** The delegation chain, as resource names. */
  delegates: string[];
}

function isCaller(value: CallerCredentials | ServiceAccountKey): value is CallerCredentials {
  return typeof (value as Partial<CallerCredentials>).getToken === "function";
}

/**
 * Creates a signer that asks the IAM Credentials API to sign (`POST {iamRoot}/v1/projects/-/serviceAccounts/{email}:signJwt`,
 * body `{"payload": "<claims JSON>", "delegates": […]}`, bearer = the caller's own token). Nothing is
 * read or fetched until the first `sign()`.
 *
 * @param options the target account, delegates, the caller's credentials, fetch, IAM root, env, client ID
 * @returns the signer, for `createTokenSource(signer)`
 * @throws {KeylessError} from `sign()`: `iam_permission_denied` (with the gcloud line that grants Token
 *   Creator), `iam_api_disabled` (with the activation URL), `no_ambient_credentials`,
 *   `metadata_unreachable`, `caller_refresh_refused`, … ; {@link KeyError} when a caller key file is bad
 * @example
 * ```ts
 * const signer = createIamSigner({ serviceAccount: "calendar-bot@my-project.iam.gserviceaccount.com" });
 * const source = createTokenSource(signer);
 * const { accessToken } = await source.getToken({ subject: "info@example.com", scopes: ["https://www.googleapis.com/auth/calendar"] });
 * ```
 */
export function createIamSigner(options: IamSignerOptions): IamSigner {
  const email = options.serviceAccount?.trim();
  if (!email)
    throw new TypeError(
      "createIamSigner(): serviceAccount is required (the target service account's email)",
    );
  const delegates = (options.delegates ?? [])
    .map((d) => d.trim())
    .filter((d) => d !== "")
    .map((d) => (d.startsWith("projects/") ? d : `projects/-/serviceAccounts/${d}`));
  const doFetch = options.fetch ?? defaultFetch;
  const { iamRoot } = resolveEndpoints({ env: options.env, iamRoot: options.iamRoot });
  // Google's clients send the name unescaped ({+name}): "@" stays as is.
  const url = `${iamRoot}/v1/projects/-/serviceAccounts/${encodeURIComponent(email).replace(/%40/g, "@")}:signJwt`;
  const callerOptions = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.metadataTimeoutMs !== undefined
      ? { metadataTimeoutMs: options.metadataTimeoutMs }
      : {}),
  };
  let callerPromise: Promise<CallerCredentials> | undefined;

  const caller = (): Promise<CallerCredentials> => {
    const given = options.credentials;
    callerPromise ??= (
      given === undefined
        ? findCallerCredentials(callerOptions)
        : Promise.resolve(isCaller(given) ? given : callerFromKey(given, callerOptions))
    ).catch((error: unknown) => {
      callerPromise = undefined; // a file may appear; look again next time
      throw error;
    });
    return callerPromise;
  };

  async function post(credentials: CallerCredentials, payload: string): Promise<FetchLikeResponse> {
    const token = await credentials.getToken();
    try {
      return await doFetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json",
        },
        body: JSON.stringify({ payload, ...(delegates.length > 0 ? { delegates } : {}) }),
        redirect: "manual", // the caller's bearer token goes to the IAM root only
      });
    } catch (cause) {
      const code = (cause as { cause?: { code?: unknown } | undefined } | null)?.cause?.code;
      throw new KeylessError(
        "iam_unreachable",
        `Cannot sign an assertion for "${email}": the IAM Credentials API "${iamRoot}" cannot be reached (${typeof code === "string" ? code : "network error"})`,
        {
          serviceAccount: email,
          callerSource: credentials.source,
          retryable: true,
          cause,
          hint: "Check the network, proxy and DNS; if DWD_EMULATOR_HOST is set, check that the emulator is running",
        },
      );
    }
  }

  const signer: IamSigner = {
    kind: "iam",
    clientEmail: email,
    ...(options.clientId ? { clientId: options.clientId } : {}),
    delegates,
    caller,
    async sign(claims: JwtClaims): Promise<string> {
      const credentials = await caller();
      const payload = JSON.stringify(claims);
      let response = await post(credentials, payload);
      if (response.status === 401) {
        // The caller's cached token was revoked or has expired early: fetch a new one, once.
        credentials.invalidate();
        response = await post(credentials, payload);
      }
      if (isRedirect(response.status)) {
        const location = response.headers.get("location");
        await discardAnswer(response);
        throw new KeylessError(
          "iam_error",
          `Cannot sign an assertion for "${email}": the IAM Credentials API "${iamRoot}" answered ${response.status}, a redirect${location ? ` to "${location}"` : ""}, which dwd does not follow with a bearer token`,
          {
            serviceAccount: email,
            callerSource: credentials.source,
            status: response.status,
            hint: "Set iamRoot (or DWD_EMULATOR_HOST) to the API itself, https://iamcredentials.googleapis.com for Google, not to an address that redirects",
          },
        );
      }
      const text = await readAnswer(response).catch(() => "");
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const signed = (body as { signedJwt?: unknown; keyId?: unknown } | null) ?? {};
      if (response.ok && typeof signed.signedJwt === "string") {
        if (typeof signed.keyId === "string") signer.privateKeyId = signed.keyId;
        return signed.signedJwt;
      }
      const described = await credentials.describe();
      throw diagnoseIamError(response.status, body, {
        serviceAccount: email,
        delegates,
        callerSource: credentials.source,
        ...(described.member ? { member: described.member } : {}),
        ...(described.projectId ? { projectId: described.projectId } : {}),
      });
    },
  };
  return signer;
}
