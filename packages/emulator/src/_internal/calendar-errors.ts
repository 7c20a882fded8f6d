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
        errors: [
          {
            message: "Login Required.",
            domain: "global",
            reason: "required",
            location: "Authorization",
            locationType: "header",
          },
        ],
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
        errors: [
          {
            message: "Invalid Credentials",
            domain: "global",
            reason: "authError",
            location: "Authorization",
            locationType: "header",
          },
        ],
        status: "UNAUTHENTICATED",
      },
    },
    nowMs,
    `${realm}, error="invalid_token"`,
  );
}

/** 403: the token lacks every scope the method accepts. `method` is the RPC name, e.g. `calendar.v3.CalendarList.Get`. */
export function insufficientScope(
  method: string,
  accepted: readonly string[],
  nowMs: number,
  service = "calendar-json.googleapis.com",
): Response {
  return respond(
    403,
    {
      error: {
        code: 403,
        message: "Request had insufficient authentication scopes.",
        errors: [
          {
            message: "Insufficient Permission",
            domain: "global",
            reason: "insufficientPermissions",
          },
        ],
        status: "PERMISSION_DENIED",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            domain: "googleapis.com",
            metadata: { service, method },
          },
        ],
      },
    },
    nowMs,
    `${realm}, error="insufficient_scope", scope="${accepted.join(" ")}"`,
  );
}

function legacy(
  code: number,
  domain: string,
  reason: string,
  message: string,
  nowMs: number,
  location?: { type: string; name: string },
): Response {
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
  return legacy(400, "global", "invalid", "Invalid Value", nowMs, {
    type: "parameter",
    name: parameter,
  });
}

/** 400: a `fields` selection that does not parse, or names a field the answer does not have. */
export function invalidFieldSelection(selection: string, nowMs: number): Response {
  return legacy(400, "global", "invalidParameter", `Invalid field selection ${selection}`, nowMs, {
    type: "parameter",
    name: "fields",
  });
}

/** 410: the sync token is stale or foreign. */
export function fullSyncRequired(nowMs: number): Response {
  return legacy(
    410,
    "calendar",
    "fullSyncRequired",
    "Sync token is no longer valid, a full sync is required.",
    nowMs,
    {
      type: "parameter",
      name: "syncToken",
    },
  );
}

/** 500: an emulator bug, in Google's words. */
export function backendError(nowMs: number): Response {
  return legacy(500, "global", "backendError", "Backend Error", nowMs);
}

/** A Calendar error in the legacy envelope, for the cases without a builder of their own. */
export function calendarError(
  code: number,
  reason: string,
  message: string,
  nowMs: number,
  options: {
    domain?: string | undefined;
    location?: { type: string; name: string } | undefined;
  } = {},
): Response {
  return legacy(code, options.domain ?? "global", reason, message, nowMs, options.location);
}

/** 403 requiredAccessLevel: the principal's role on the calendar is below `needed`. */
export function requiredAccessLevel(needed: "writer" | "owner", nowMs: number): Response {
  return legacy(
    403,
    "calendar",
    "requiredAccessLevel",
    `You need to have ${needed} access to this calendar.`,
    nowMs,
  );
}

/** 403 forbiddenForServiceAccounts: attendees on an event written by the service account acting as itself. */
export function forbiddenForServiceAccounts(nowMs: number): Response {
  return legacy(
    403,
    "calendar",
    "forbiddenForServiceAccounts",
    "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
    nowMs,
  );
}

/** 403 forbiddenForNonOrganizer: a guest changed a property only the organizer may change. */
export function forbiddenForNonOrganizer(nowMs: number): Response {
  return legacy(
    403,
    "calendar",
    "forbiddenForNonOrganizer",
    "Shared properties can only be changed by the organizer of the event.",
    nowMs,
  );
}

/** 409 duplicate: a client-chosen ID (or a calendar-list entry) that already exists. */
export function duplicate(nowMs: number): Response {
  return legacy(409, "global", "duplicate", "The requested identifier already exists.", nowMs);
}

/** 412 conditionNotMet: `If-Match` names a stale ETag. */
export function conditionNotMet(nowMs: number): Response {
  return legacy(412, "global", "conditionNotMet", "Precondition Failed", nowMs, {
    type: "header",
    name: "If-Match",
  });
}

/** 410 deleted: the resource was already deleted. */
export function alreadyDeleted(nowMs: number): Response {
  return legacy(410, "global", "deleted", "Resource has been deleted", nowMs);
}

/** 400 required: a field the method needs is missing, e.g. `Missing end time.`. */
export function missingField(message: string, nowMs: number): Response {
  return legacy(400, "global", "required", message, nowMs);
}

/** 400 badRequest: a body that is not JSON or a malformed date-time. */
export function badRequest(nowMs: number): Response {
  return legacy(400, "global", "badRequest", "Bad Request", nowMs);
}

/** 400 invalid with a message of its own (no location), e.g. `Invalid resource id value.`. */
export function invalid(message: string, nowMs: number): Response {
  return legacy(400, "global", "invalid", message, nowMs);
}

/** 400 timeRangeEmpty: `timeMax` is not after `timeMin`. */
export function timeRangeEmpty(nowMs: number): Response {
  return legacy(400, "calendar", "timeRangeEmpty", "The specified time range is empty.", nowMs, {
    type: "parameter",
    name: "timeMax",
  });
}

/** 403 insufficientPermissions for a scope that is held but does not reach this calendar (owned, app-created). */
export function insufficientPermissions(nowMs: number): Response {
  return legacy(403, "global", "insufficientPermissions", "Insufficient Permission", nowMs);
}

/** 403 or 429 rateLimitExceeded (usageLimits), with `Retry-After` on 429. */
export function rateLimitExceeded(
  status: 403 | 429,
  nowMs: number,
  retryAfterSeconds?: number,
): Response {
  const res = legacy(status, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded", nowMs);
  if (retryAfterSeconds !== undefined) res.headers.set("Retry-After", String(retryAfterSeconds));
  return res;
}

/** 503 in the common Google front-end form. */
export function serviceUnavailable(nowMs: number): Response {
  return respond(
    503,
    {
      error: {
        code: 503,
        message: "The service is currently unavailable.",
        errors: [
          {
            message: "The service is currently unavailable.",
            domain: "global",
            reason: "backendError",
          },
        ],
        status: "UNAVAILABLE",
      },
    },
    nowMs,
  );
}
