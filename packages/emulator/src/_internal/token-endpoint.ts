import { issueToken } from "./issue-token.ts";
import type { EmulatorContext } from "./context.ts";
import { tokenHeaders } from "./headers.ts";
import type { ParsedJws } from "./parse-jws.ts";
import { parseJws } from "./parse-jws.ts";
import { handleRefreshGrant } from "./refresh-grant.ts";
import type { ServiceAccountRecord } from "./service-account.ts";
import type { TokenError } from "./token-errors.ts";
import { tokenErrors } from "./token-errors.ts";

const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** Paths the token endpoint answers on: ours and Google's legacy ones. */
export const tokenPaths: readonly string[] = ["/token", "/o/oauth2/token", "/oauth2/v4/token"];

const googleAudiences = [
  "https://oauth2.googleapis.com/token",
  "https://accounts.google.com/o/oauth2/token",
  "https://www.googleapis.com/oauth2/v4/token",
];

// Loopback names of one origin: a client that reaches http://127.0.0.1:8085 may as well name it
// http://localhost:8085 (DWD_EMULATOR_HOST=localhost:8085). Only the configured URL's own port counts.
const loopbackHosts = ["127.0.0.1", "localhost", "[::1]"];

/**
 * `aud` values accepted: Google's three token URLs, and the token paths on the emulator's configured base
 * URL (with its loopback aliases when it is a loopback URL). Never derived from the request: a `Host`
 * header is whatever the client claims, so an assertion made for another audience would be accepted.
 */
export function acceptedAudiences(baseUrl: string): Set<string> {
  const set = new Set(googleAudiences);
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    return set;
  }
  const origins = [base.origin];
  if (loopbackHosts.includes(base.hostname))
    for (const host of loopbackHosts)
      origins.push(`${base.protocol}//${host}${base.port === "" ? "" : `:${base.port}`}`);
  for (const origin of origins) for (const path of tokenPaths) set.add(origin + path);
  return set;
}

let audienceCache: { key: string; audiences: Set<string> } | undefined;

/** Audiences of the public base URL and, behind a proxy, of the listening URL too. */
function audiencesFor(baseUrl: string, listenUrl: string | undefined): Set<string> {
  const key = `${baseUrl} ${listenUrl ?? ""}`;
  if (audienceCache?.key !== key) {
    const audiences = acceptedAudiences(baseUrl);
    if (listenUrl !== undefined) for (const aud of acceptedAudiences(listenUrl)) audiences.add(aud);
    audienceCache = { key, audiences };
  }
  return audienceCache.audiences;
}

function errorResponse(err: TokenError, nowMs: number): Response {
  return new Response(JSON.stringify({ error: err.error, error_description: err.description }), {
    status: err.status,
    headers: tokenHeaders(nowMs),
  });
}

async function readForm(request: Request): Promise<URLSearchParams> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  // Google reads only urlencoded bodies; a multipart body yields an empty grant_type.
  if (type !== "application/x-www-form-urlencoded") return new URLSearchParams();
  try {
    return new URLSearchParams(await request.text());
  } catch {
    return new URLSearchParams();
  }
}

async function verifySignature(account: ServiceAccountRecord, jws: ParsedJws): Promise<boolean> {
  for (const key of account.keys) {
    try {
      const ok = await crypto.subtle.verify(
        "RSASSA-PKCS1-v1_5",
        key.publicKey,
        jws.signature as Uint8Array<ArrayBuffer>,
        jws.signingInput as Uint8Array<ArrayBuffer>,
      );
      if (ok) return true;
    } catch {
      // A malformed signature is a mismatch, not a crash.
    }
  }
  return false;
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

interface Grant {
  account: ServiceAccountRecord;
  subject: string | null;
  scopes: string[];
}

/** Checks an assertion as Google does; returns the grant or the error to answer. */
async function check(
  ctx: EmulatorContext,
  assertion: string,
  nowMs: number,
): Promise<Grant | TokenError> {
  const { store } = ctx;
  const jws = parseJws(assertion);
  // Garbage, bad base64url and every algorithm but RS256 (none, HS256 keyed with the public key, …)
  // never reach a verifier: Google reports them all as a bad signature.
  if (jws === undefined || jws.header["alg"] !== "RS256") return tokenErrors.invalidSignature;
  // RFC 7515 §4.1.11: a recipient must refuse a JWS whose `crit` names extensions it does not
  // understand. The emulator understands none (nor does Google's token endpoint), so any `crit` is refused.
  if (Object.hasOwn(jws.header, "crit")) return tokenErrors.invalidSignature;
  const iss = jws.claims["iss"];
  const account = typeof iss === "string" ? store.accounts.get(iss.toLowerCase()) : undefined;
  if (account === undefined) return tokenErrors.noVerifier;
  if (!(await verifySignature(account, jws))) return tokenErrors.invalidSignature;
  if (account.disabled) return tokenErrors.disabledClient;

  const aud = jws.claims["aud"];
  if (typeof aud !== "string" || !audiencesFor(ctx.baseUrl(), ctx.listenUrl?.()).has(aud))
    return tokenErrors.audience;

  const { iat, exp } = jws.claims;
  const now = Math.floor(nowMs / 1000);
  if (
    !isNumber(iat) ||
    !isNumber(exp) ||
    iat > now + 60 ||
    exp <= now ||
    exp < iat ||
    exp - iat > 3600
  ) {
    return tokenErrors.shortLived;
  }

  const scope = jws.claims["scope"];
  if (scope === undefined || scope === null || (typeof scope === "string" && scope.trim() === ""))
    return tokenErrors.emptyScope;
  if (typeof scope !== "string") return tokenErrors.invalidScope;
  const scopes = [...new Set(scope.trim().split(/\s+/))];
  if (scopes.some((s) => !store.scopes.has(s))) return tokenErrors.invalidScope; // also catches "a,b"

  const sub = jws.claims["sub"];
  if (sub === undefined || sub === null || sub === "") return { account, subject: null, scopes };
  if (typeof sub !== "string") return tokenErrors.invalidSubField;
  const subject = sub.trim().toLowerCase();
  // sub = the account's own email is the account acting as itself.
  if (subject === account.email) return { account, subject: null, scopes };
  const at = subject.lastIndexOf("@");
  if (at < 1) return tokenErrors.unknownUser;
  // A user of another domain (or a consumer account): no DWD entry of ours applies.
  if (subject.slice(at + 1) !== store.domain) return tokenErrors.unauthorizedClient;
  const user = store.users.get(subject);
  if (user === undefined) return tokenErrors.unknownUser;
  if (user.suspended === true) {
    switch (ctx.suspendedSubject) {
      case "invalid_account":
        return tokenErrors.suspendedAccount;
      case "invalid_grant":
        return tokenErrors.unknownUser;
      case "access_denied":
        return tokenErrors.accountRestricted;
      case "allow":
        break;
    }
  }
  // DWD entries match scope URLs exactly: "calendar" does not imply "calendar.events".
  const granted = store.grants.get(account.clientId);
  const covered = scopes.filter((s) => granted?.has(s) === true).length;
  if (covered === 0) return tokenErrors.unauthorizedClient;
  if (covered < scopes.length) return tokenErrors.accessDenied;
  return { account, subject, scopes };
}

/** POST /token (and Google's legacy paths): the jwt-bearer grant. */
export async function handleTokenRequest(
  ctx: EmulatorContext,
  request: Request,
): Promise<Response> {
  ctx.stats.tokenRequests++;
  const nowMs = ctx.clock();
  if (ctx.faults.tokenOutage === true) return errorResponse(tokenErrors.outage, nowMs);
  const form = await readForm(request);
  const grantType = form.get("grant_type") ?? "";
  if (grantType === "refresh_token") return handleRefreshGrant(ctx, ctx.iam, form, nowMs);
  if (grantType !== jwtBearer)
    return errorResponse(tokenErrors.unsupportedGrantType(grantType), nowMs);
  const assertion = form.get("assertion");
  if (assertion === null || assertion === "")
    return errorResponse(tokenErrors.missingAssertion, nowMs);

  const result = await check(ctx, assertion, nowMs);
  if ("error" in result) return errorResponse(result, nowMs);

  const body = issueToken(
    ctx,
    {
      accountEmail: result.account.email,
      clientId: result.account.clientId,
      subject: result.subject,
      scopes: result.scopes,
    },
    nowMs,
  );
  return new Response(JSON.stringify(body), { status: 200, headers: tokenHeaders(nowMs) });
}
