import { stringToBase64Url, toBase64Url } from "./base64.ts";
import type { EmulatorContext } from "./context.ts";
import { errorInfo, rpcError } from "./google-rpc.ts";
import type { IamState } from "./iam-state.ts";
import { principalOf, projectNumber } from "./iam-state.ts";
import { bearerToken } from "./issue-token.ts";
import type { ServiceAccountRecord } from "./service-account.ts";

const service = "iamcredentials.googleapis.com";
const signJwtPermission = "iam.serviceAccounts.signJwt";
const acceptedScopes = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/iam",
];
const maxExpirySeconds = 12 * 3600;
const resourcePattern = /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/]+):signJwt$/;

/** The answer when the IAM Credentials API is off in the caller's project (the fault `iamCredentialsDisabled`). */
async function serviceDisabled(projectId: string, nowMs: number): Promise<Response> {
  const n = await projectNumber(projectId);
  const url = `https://console.developers.google.com/apis/api/${service}/overview?project=${n}`;
  const message = `IAM Service Account Credentials API has not been used in project ${n} before or it is disabled. Enable it by visiting ${url} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
  return rpcError(403, "PERMISSION_DENIED", message, nowMs, [
    errorInfo("SERVICE_DISABLED", "googleapis.com", {
      consumer: `projects/${n}`,
      service,
      serviceTitle: "IAM Service Account Credentials API",
      containerInfo: n,
      activationUrl: url,
    }),
    {
      "@type": "type.googleapis.com/google.rpc.Help",
      links: [{ description: "Google developers console API activation", url }],
    },
  ]);
}

function denied(nowMs: number, resource: string): Response {
  return rpcError(
    403,
    "PERMISSION_DENIED",
    `Permission '${signJwtPermission}' denied on resource (or it may not exist).`,
    nowMs,
    [
      errorInfo("IAM_PERMISSION_DENIED", "iam.googleapis.com", {
        permission: signJwtPermission,
        resource,
      }),
    ],
  );
}

function invalid(nowMs: number, message = "Request contains an invalid argument."): Response {
  return rpcError(400, "INVALID_ARGUMENT", message, nowMs);
}

function unauthenticated(nowMs: number, missing: boolean): Response {
  const message = missing
    ? "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
    : "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
  return rpcError(401, "UNAUTHENTICATED", message, nowMs, [
    errorInfo(missing ? "CREDENTIALS_MISSING" : "ACCESS_TOKEN_TYPE_UNSUPPORTED", "googleapis.com", {
      method: "google.iam.credentials.v1.IAMCredentials.SignJwt",
      service,
    }),
  ]);
}

/** A service account by email or unique ID (the numeric client ID). */
function findAccount(ctx: EmulatorContext, id: string): ServiceAccountRecord | undefined {
  const key = id.toLowerCase();
  const byEmail = ctx.store.accounts.get(key);
  if (byEmail !== undefined) return byEmail;
  for (const a of ctx.store.accounts.values()) if (a.clientId === id) return a;
  return undefined;
}

function holdsTokenCreator(iam: IamState, member: string, target: ServiceAccountRecord): boolean {
  return iam.tokenCreators.get(target.email)?.has(member) === true;
}

function parsePayload(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== "string") return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POST /v1/projects/-/serviceAccounts/{email or unique ID}:signJwt — the IAM Credentials API: signs the
 * payload with the target's key (header `kid` = its key ID) when the caller's token acts as a member
 * holding Token Creator on it (on each hop of `delegates`).
 */
export async function handleSignJwt(
  ctx: EmulatorContext,
  iam: IamState,
  request: Request,
): Promise<Response> {
  const nowMs = ctx.clock();
  const path = decodeURIComponent(new URL(request.url).pathname);
  const match = resourcePattern.exec(path);
  if (match === null) return rpcError(404, "NOT_FOUND", "Requested entity was not found.", nowMs);
  const presented = bearerToken(request);
  if (presented === undefined || presented === "") return unauthenticated(nowMs, true);
  const token = ctx.store.tokens.get(presented);
  if (token === undefined || token.expiresAt <= nowMs) return unauthenticated(nowMs, false);
  if (!token.scopes.some((s) => acceptedScopes.includes(s))) {
    return rpcError(
      403,
      "PERMISSION_DENIED",
      "Request had insufficient authentication scopes.",
      nowMs,
      [
        errorInfo("ACCESS_TOKEN_SCOPE_INSUFFICIENT", "googleapis.com", {
          method: "google.iam.credentials.v1.IAMCredentials.SignJwt",
          service,
        }),
      ],
    );
  }
  const member = principalOf(ctx.store, token);
  if (ctx.faults.iamCredentialsDisabled === true) {
    const caller = ctx.store.accounts.get(token.accountEmail);
    return serviceDisabled(caller?.projectId ?? "dwd-emulator", nowMs);
  }
  const [, project = "", id = ""] = match;
  if (project !== "-")
    return invalid(
      nowMs,
      `Invalid resource name "projects/${project}/serviceAccounts/${id}": the project must be the wildcard "-".`,
    );

  let body: Record<string, unknown>;
  try {
    const parsed: unknown = await request.json();
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return invalid(nowMs);
    body = parsed as Record<string, unknown>;
  } catch {
    return invalid(nowMs, "Invalid JSON payload received. Unexpected token.");
  }
  const delegates = body["delegates"] ?? [];
  if (!Array.isArray(delegates) || !delegates.every((d): d is string => typeof d === "string"))
    return invalid(nowMs);

  // The chain: caller → delegates[0] → … → target; each hop needs Token Creator on the next.
  let holder = member;
  for (const delegate of delegates) {
    const m = /^projects\/-\/serviceAccounts\/([^/]+)$/.exec(delegate);
    if (m === null)
      return invalid(
        nowMs,
        `Invalid form of delegate "${delegate}": expected projects/-/serviceAccounts/{ACCOUNT_EMAIL_OR_UNIQUEID}.`,
      );
    const hop = findAccount(ctx, m[1] ?? "");
    if (hop === undefined || !holdsTokenCreator(iam, holder, hop)) return denied(nowMs, delegate);
    holder = `serviceAccount:${hop.email}`;
  }
  const target = findAccount(ctx, id);
  if (target === undefined)
    return rpcError(404, "NOT_FOUND", `Not found; Gaia id not found for email ${id}`, nowMs);
  if (!holdsTokenCreator(iam, holder, target))
    return denied(nowMs, `projects/-/serviceAccounts/${id}`);

  const claims = parsePayload(body["payload"]);
  if (claims === undefined) return invalid(nowMs);
  const now = Math.floor(nowMs / 1000);
  let payload = body["payload"] as string;
  const exp = claims["exp"];
  if (exp === undefined) {
    payload = JSON.stringify({ ...claims, exp: now + 3600 });
  } else if (
    typeof exp !== "number" ||
    !Number.isInteger(exp) ||
    exp < now ||
    exp > now + maxExpirySeconds
  ) {
    return invalid(
      nowMs,
      "Invalid payload: the exp claim must be an integer timestamp that is not in the past and no more than 12 hours in the future.",
    );
  }
  const key = target.keys[0];
  if (key === undefined) throw new Error(`Service account "${target.name}" has no key`);
  const input = `${stringToBase64Url(JSON.stringify({ alg: "RS256", kid: key.keyId, typ: "JWT" }))}.${stringToBase64Url(payload)}`;
  const signature = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.privateKey, new TextEncoder().encode(input)),
  );
  return new Response(
    JSON.stringify({ keyId: key.keyId, signedJwt: `${input}.${toBase64Url(signature)}` }),
    {
      status: 200,
      headers: {
        "Content-Type": "application/json; charset=UTF-8",
        Date: new Date(nowMs).toUTCString(),
        Server: "ESF",
      },
    },
  );
}
