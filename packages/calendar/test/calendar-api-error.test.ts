import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CalendarApiError, createCalendarClient } from "../src/index.ts";
import type { CalendarApiErrorCode } from "../src/index.ts";

const sa = "calendar-bot@dwd-emulator.iam.gserviceaccount.com";
const fixtures = new URL("./fixtures/", import.meta.url);

// Google's exact error bodies (Calendar's legacy envelope, and the front end's with status/details).
const notFound = {
  error: {
    errors: [{ domain: "global", reason: "notFound", message: "Not Found" }],
    code: 404,
    message: "Not Found",
  },
};
const invalidCredentials = {
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
};
const insufficientScope = {
  error: {
    code: 403,
    message: "Request had insufficient authentication scopes.",
    errors: [
      { message: "Insufficient Permission", domain: "global", reason: "insufficientPermissions" },
    ],
    status: "PERMISSION_DENIED",
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        domain: "googleapis.com",
        metadata: {
          service: "calendar-json.googleapis.com",
          method: "calendar.v3.CalendarList.Get",
        },
      },
    ],
  },
};
const disabledMessage =
  "Google Calendar API has not been used in project 336992806363 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=336992806363 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.";
const accessNotConfigured = {
  error: {
    code: 403,
    message: disabledMessage,
    errors: [
      {
        message: disabledMessage,
        domain: "usageLimits",
        reason: "accessNotConfigured",
        extendedHelp: "https://console.developers.google.com",
      },
    ],
    status: "PERMISSION_DENIED",
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.Help",
        links: [
          {
            description: "Google developers console API activation",
            url: "https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=336992806363",
          },
        ],
      },
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "SERVICE_DISABLED",
        domain: "googleapis.com",
        metadata: { consumer: "projects/336992806363", service: "calendar-json.googleapis.com" },
      },
    ],
  },
};
const legacy = (code: number, domain: string, reason: string, message: string): unknown => ({
  error: { errors: [{ domain, reason, message }], code, message },
});

interface Case {
  name: string;
  status: number;
  body: unknown;
  subject?: string;
  call: "get" | "list" | "eventGet";
  code: CalendarApiErrorCode;
  retryable: boolean;
  message: string;
  hint?: RegExp;
}

const cases: Case[] = [
  {
    name: "404 on calendarList.get without a subject",
    status: 404,
    body: notFound,
    call: "get",
    code: "not_in_service_account_list",
    retryable: false,
    message: `Cannot get calendar "info@example.com" from the calendar list of service account "${sa}": Google answered 404 Not Found because no subject was set, so the call ran as the service account, whose own calendar list does not contain it`,
    hint: /--subject info@example\.com.*subject: "info@example\.com".*calendars\.get or events\.list/,
  },
  {
    name: "404 on calendarList.get with a subject",
    status: 404,
    body: notFound,
    call: "get",
    subject: "ana@example.com",
    code: "not_found",
    retryable: false,
    message:
      'Cannot get calendar "info@example.com" with calendar.calendarList.get as "ana@example.com": not found, or "ana@example.com" has no access to it',
    hint: /^Check the IDs \("primary" is the acting user's own calendar\)/,
  },
  {
    name: "404 on events.get without a subject",
    status: 404,
    body: notFound,
    call: "eventGet",
    code: "not_found",
    retryable: false,
    message: `Cannot get calendar "info@example.com" with calendar.events.get as service account "${sa}": not found, or service account "${sa}" has no access to it`,
    hint: /^No subject was set, so the call ran as the service account; Set the subject .*--subject <user>/,
  },
  {
    name: "401 authError",
    status: 401,
    body: invalidCredentials,
    call: "get",
    subject: "ana@example.com",
    code: "token_rejected",
    retryable: false,
    message:
      'Cannot call calendar.calendarList.get as "ana@example.com": the Calendar API rejected the access token (Invalid Credentials)',
    hint: /^A fresh token was rejected too/,
  },
  {
    name: "403 insufficientPermissions names the method's scopes and the Admin-console link",
    status: 403,
    body: insufficientScope,
    call: "get",
    subject: "ana@example.com",
    code: "insufficient_scope",
    retryable: false,
    message:
      'Cannot call calendar.calendarList.get as "ana@example.com": the token\'s scopes ("https://www.googleapis.com/auth/calendar.readonly") include none that this method accepts',
    hint: /https:\/\/www\.googleapis\.com\/auth\/calendar\.calendarlist\.readonly.*https:\/\/admin\.google\.com\/ac\/owl\/domainwidedelegation\?clientIdToAdd=1234567890&clientScopeToAdd=https:\/\/www\.googleapis\.com\/auth\/calendar\.readonly&overwriteClientId=true/,
  },
  {
    name: "403 accessNotConfigured gives the activation URL",
    status: 403,
    body: accessNotConfigured,
    call: "list",
    code: "api_not_enabled",
    retryable: false,
    message:
      'Cannot call calendar.calendarList.list: the Google Calendar API is not enabled in project "336992806363" of the service account',
    hint: /^Enable it at https:\/\/console\.developers\.google\.com\/apis\/api\/calendar-json\.googleapis\.com\/overview\?project=336992806363, then/,
  },
  {
    name: "403 userRateLimitExceeded",
    status: 403,
    body: legacy(403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded"),
    call: "list",
    subject: "a@example.com",
    code: "rate_limited",
    retryable: true,
    message:
      'Cannot call calendar.calendarList.list as "a@example.com": rate limit exceeded (userRateLimitExceeded)',
    hint: /backoff/,
  },
  {
    name: "429 rateLimitExceeded",
    status: 429,
    body: legacy(429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    call: "list",
    subject: "a@example.com",
    code: "rate_limited",
    retryable: true,
    message:
      'Cannot call calendar.calendarList.list as "a@example.com": rate limit exceeded (rateLimitExceeded)',
  },
  {
    name: "403 quotaExceeded",
    status: 403,
    body: legacy(403, "usageLimits", "quotaExceeded", "Calendar usage limits exceeded."),
    call: "list",
    subject: "a@example.com",
    code: "quota_exceeded",
    retryable: false,
    message:
      'Cannot call calendar.calendarList.list as "a@example.com": Calendar usage limits exceeded. (quotaExceeded)',
    hint: /lasts hours: stop and resume later/,
  },
  {
    name: "403 requiredAccessLevel",
    status: 403,
    body: legacy(
      403,
      "calendar",
      "requiredAccessLevel",
      "You need to have writer access to this calendar.",
    ),
    call: "get",
    subject: "a@example.com",
    code: "required_access_level",
    retryable: false,
    message:
      'Cannot call calendar "info@example.com" with calendar.calendarList.get as "a@example.com": You need to have writer access to this calendar.',
    hint: /^Share calendar "info@example\.com" with "a@example\.com" as writer/,
  },
  {
    name: "403 forbiddenForServiceAccounts",
    status: 403,
    body: legacy(
      403,
      "calendar",
      "forbiddenForServiceAccounts",
      "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
    ),
    call: "eventGet",
    code: "forbidden_for_service_accounts",
    retryable: false,
    message: `Cannot call calendar "info@example.com" with calendar.events.get as service account "${sa}": service accounts cannot invite attendees without domain-wide delegation`,
    hint: /^Set the subject to act as a user .*--subject <organizer>.*, or leave out attendees$/,
  },
  {
    name: "403 forbiddenForNonOrganizer",
    status: 403,
    body: legacy(
      403,
      "calendar",
      "forbiddenForNonOrganizer",
      "Shared properties can only be changed by the organizer of the event.",
    ),
    call: "eventGet",
    subject: "a@example.com",
    code: "forbidden_for_non_organizer",
    retryable: false,
    message:
      'Cannot call calendar "info@example.com" with calendar.events.get as "a@example.com": only the organizer may change the event\'s shared properties',
    hint: /^Use events\.patch .* or act as the organizer/,
  },
  {
    name: "403 forbidden",
    status: 403,
    body: legacy(403, "global", "forbidden", "Forbidden"),
    call: "eventGet",
    subject: "a@example.com",
    code: "forbidden",
    retryable: false,
    message:
      'Cannot call calendar "info@example.com" with calendar.events.get as "a@example.com": Forbidden (forbidden)',
  },
  {
    name: "400 with a reason",
    status: 400,
    body: legacy(400, "global", "invalid", "Invalid Value"),
    call: "list",
    code: "bad_request",
    retryable: false,
    message:
      "Cannot call calendar.calendarList.list: the Calendar API refused the request: Invalid Value (invalid)",
    hint: /^Check the call's parameters and body against the Calendar API reference for calendar\.calendarList\.list; it is permanent, retrying does not help$/,
  },
  {
    name: "400 keeps Google's location (maxResults) and says what to fix",
    status: 400,
    body: {
      error: {
        errors: [
          {
            domain: "global",
            reason: "invalid",
            message: "Invalid Value",
            locationType: "parameter",
            location: "maxResults",
          },
        ],
        code: 400,
        message: "Invalid Value",
      },
    },
    call: "list",
    code: "bad_request",
    retryable: false,
    message:
      'Cannot call calendar.calendarList.list: the Calendar API refused parameter "maxResults": Invalid Value (invalid)',
    hint: /^Fix parameter "maxResults" and send the call again; it is permanent, retrying does not help \(calendar\.calendarList\.list takes maxResults from 1 to 250\)$/,
  },
  {
    name: "409 duplicate",
    status: 409,
    body: legacy(409, "global", "duplicate", "The requested identifier already exists."),
    call: "list",
    subject: "a@example.com",
    code: "duplicate",
    retryable: false,
    message:
      'Cannot call calendar.calendarList.list as "a@example.com": the requested identifier already exists',
    hint: /^Choose a new id/,
  },
  {
    name: "410 fullSyncRequired",
    status: 410,
    body: legacy(
      410,
      "calendar",
      "fullSyncRequired",
      "Sync token is no longer valid, a full sync is required.",
    ),
    call: "list",
    subject: "a@example.com",
    code: "full_sync_required",
    retryable: false,
    message:
      'Cannot call calendar.calendarList.list as "a@example.com": the sync token is no longer valid, a full sync is required',
    hint: /^Drop the stored sync token/,
  },
  {
    name: "412 conditionNotMet",
    status: 412,
    body: {
      error: {
        errors: [
          {
            domain: "global",
            reason: "conditionNotMet",
            message: "Precondition Failed",
            locationType: "header",
            location: "If-Match",
          },
        ],
        code: 412,
        message: "Precondition Failed",
      },
    },
    call: "eventGet",
    subject: "a@example.com",
    code: "precondition_failed",
    retryable: false,
    message:
      'Cannot call calendar "info@example.com" with calendar.events.get as "a@example.com": the resource changed since the ETag given in If-Match',
    hint: /^Re-read the resource \(its new etag\), re-apply your change/,
  },
  {
    name: "503 backendError",
    status: 503,
    body: legacy(503, "global", "backendError", "Backend Error"),
    call: "list",
    code: "backend_error",
    retryable: true,
    message:
      "Cannot call calendar.calendarList.list: the Calendar API failed with HTTP 503 backendError: Backend Error",
  },
  {
    name: "an HTML error page",
    status: 502,
    body: "<html>bad gateway</html>",
    call: "list",
    code: "backend_error",
    retryable: true,
    message:
      "Cannot call calendar.calendarList.list: the Calendar API answered HTTP 502 without Google's JSON error body",
  },
];

function clientFor(
  status: number,
  body: unknown,
  subject?: string,
): ReturnType<typeof createCalendarClient> {
  return createCalendarClient({
    tokenSource: {
      signer: { clientEmail: sa, clientId: "1234567890" },
      getToken: (o) => Promise.resolve({ accessToken: "t", expiresAt: 0, scopes: o.scopes }),
    },
    subject,
    rootUrl: "http://e/calendar/v3",
    retry: false,
    fetch: () =>
      Promise.resolve(
        new Response(typeof body === "string" ? body : JSON.stringify(body), { status }),
      ),
  });
}

describe("CalendarApiError mapping", () => {
  for (const c of cases) {
    it(`maps ${c.name} to ${c.code}`, async () => {
      const client = clientFor(c.status, c.body, c.subject);
      const error = (await (
        c.call === "get"
          ? client.calendarList.get("info@example.com")
          : c.call === "eventGet"
            ? client.events.get("info@example.com", "ev1")
            : client.calendarList.list()
      ).catch((e: unknown) => e)) as CalendarApiError;
      expect(error).toBeInstanceOf(CalendarApiError);
      expect(error.code).toBe(c.code);
      expect(error.message).toBe(c.message);
      expect(error.status).toBe(c.status);
      expect(error.retryable).toBe(c.retryable);
      expect(error.subject).toBe(c.subject);
      if (c.hint) expect(error.hint).toMatch(c.hint);
      if (typeof c.body !== "string") expect(error.cause).toEqual(c.body);
    });
  }

  const files = [
    { file: "google-api-python-client-500.json", code: "backend_error" },
    { file: "google-api-python-client-503.json", code: "backend_error" },
    { file: "google-api-python-client-bad_request.json", code: "bad_request" },
  ] as const;
  for (const f of files) {
    it(`maps the captured body ${f.file} to ${f.code}`, async () => {
      const body = JSON.parse(await readFile(new URL(f.file, fixtures), "utf8")) as {
        error: { code: number };
      };
      const error = (await clientFor(body.error.code, body)
        .calendarList.list()
        .catch((e: unknown) => e)) as CalendarApiError;
      expect(error.code).toBe(f.code);
      expect(error.message).toMatch(/^Cannot call calendar\.calendarList\.list: /);
    });
  }

  it("parses the captured calendarList page of gcalcli as a CalendarList", async () => {
    const text = await readFile(new URL("gcalcli-cal_list.json", fixtures), "utf8");
    const client = createCalendarClient({
      tokenSource: {
        getToken: (o) => Promise.resolve({ accessToken: "t", expiresAt: 0, scopes: o.scopes }),
      },
      rootUrl: "http://e/calendar/v3",
      fetch: () => Promise.resolve(new Response(text)),
    });
    const page = await client.calendarList.list();
    expect(page.items).toHaveLength(6);
    expect(page.nextSyncToken).toBeTypeOf("string");
  });
});
