import { apiHeaders } from "./headers.ts";

/**
 * Calendar API error answers, byte for byte as Google sends them: the front-end layer
 * (auth, scopes) adds `status`/`details`; Calendar's own errors use the legacy envelope without them.
 */
const realm = 'Bearer realm="https://accounts.google.com/"';

function respond(status: number, body: unknown, nowMs: number, wwwAuthenticate?: string): Response {
  const headers = apiHeaders(nowMs);
  if (wwwAuthenticate !== undefined) headers.set("WWW-Authenticate", wwwAuthenticate);
  return new Response(JSON.stringify(body), { status, headers });
}

/** 401: no credentials at all. */
export function loginRequired(nowMs: number): Response {
  return respond(
    401,
    {
      error: {
        code: 401,
        message:
          "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        errors: [{ message: "Login Required.", domain: "global", reason: "required", location: "Authorization", locationType: "header" }],
        status: "UNAUTHENTICATED",
      },
    },
    nowMs,
    realm,
  );
}

/** 401: an expired, revoked or unknown access token. */
export function invalidCredentials(nowMs: number): Response {
  return respond(
    401,
    {
      error: {
        code: 401,
        message:
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        errors: [{ message: "Invalid Credentials", domain: "global", reason: "authError", location: "Authorization", locationType: "header" }],
        status: "UNAUTHENTICATED",
      },
    },
    nowMs,
    `${realm}, error="invalid_token"`,
  );
}

/** 403: the token lacks every scope the method accepts. `method` is the RPC name, e.g. `calendar.v3.CalendarList.Get`. */
export function insufficientScope(method: string, accepted: readonly string[], nowMs: number): Response {
  return respond(
    403,
    {
      error: {
        code: 403,
        message: "Request had insufficient authentication scopes.",
        errors: [{ message: "Insufficient Permission", domain: "global", reason: "insufficientPermissions" }],
        status: "PERMISSION_DENIED",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            domain: "googleapis.com",
            metadata: { service: "calendar-json.googleapis.com", method },
          },
        ],
      },
    },
    nowMs,
    `${realm}, error="insufficient_scope", scope="${accepted.join(" ")}"`,
  );
}

function legacy(code: number, domain: string, reason: string, message: string, nowMs: number, location?: { type: string; name: string }): Response {
  const item: Record<string, string> = { domain, reason, message };
  if (location !== undefined) {
    item["locationType"] = location.type;
    item["location"] = location.name;
  }
  return respond(code, { error: { errors: [item], code, message } }, nowMs);
}

/** 404: the calendar does not exist or is not in the principal's list. */
export function notFound(nowMs: number): Response {
  return legacy(404, "global", "notFound", "Not Found", nowMs);
}

/** 400: a query parameter has a bad value. */
export function invalidValue(parameter: string, nowMs: number): Response {
  return legacy(400, "global", "invalid", "Invalid Value", nowMs, { type: "parameter", name: parameter });
}

/** 410: the sync token is stale or foreign. */
export function fullSyncRequired(nowMs: number): Response {
  return legacy(410, "calendar", "fullSyncRequired", "Sync token is no longer valid, a full sync is required.", nowMs, {
    type: "parameter",
    name: "syncToken",
  });
}

/** 500: an emulator bug, in Google's words. */
export function backendError(nowMs: number): Response {
  return legacy(500, "global", "backendError", "Backend Error", nowMs);
}
