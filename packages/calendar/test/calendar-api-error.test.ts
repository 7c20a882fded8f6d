import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CalendarApiError, createCalendarClient } from "../src/index.ts";
import type { CalendarApiErrorCode } from "../src/index.ts";

const sa = "calendar-bot@dwd-emulator.iam.gserviceaccount.com";
const fixtures = new URL("./fixtures/", import.meta.url);

// Google's exact error bodies for these Calendar refusals.
const notFound = { error: { errors: [{ domain: "global", reason: "notFound", message: "Not Found" }], code: 404, message: "Not Found" } };
const invalidCredentials = {
  error: {
    code: 401,
    message:
      "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    errors: [{ message: "Invalid Credentials", domain: "global", reason: "authError", location: "Authorization", locationType: "header" }],
    status: "UNAUTHENTICATED",
  },
};
const insufficientScope = {
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
        metadata: { service: "calendar-json.googleapis.com", method: "calendar.v3.CalendarList.Get" },
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
    errors: [{ message: disabledMessage, domain: "usageLimits", reason: "accessNotConfigured", extendedHelp: "https://console.developers.google.com" }],
    status: "PERMISSION_DENIED",
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.Help",
        links: [{ description: "Google developers console API activation", url: "https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=336992806363" }],
      },
      { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "SERVICE_DISABLED", domain: "googleapis.com", metadata: { consumer: "projects/336992806363", service: "calendar-json.googleapis.com" } },
    ],
  },
};
const legacy = (code: number, domain: string, reason: string, message: string): unknown => ({ error: { errors: [{ domain, reason, message }], code, message } });

interface Case {
  name: string;
  status: number;
  body: unknown;
  subject?: string;
  call: "get" | "list";
  code: CalendarApiErrorCode;
  message: string;
  hint?: RegExp;
}

const cases: Case[] = [
  {
    name: "404 on calendarList.get without a subject",
    status: 404, body: notFound, call: "get", code: "not_in_service_account_list",
    message: `Cannot get calendar "info@example.com" from the calendar list of service account "${sa}": Google answered 404 Not Found because no subject was set, so the call ran as the service account, whose own calendar list does not contain it`,
    hint: /^Set the subject to impersonate the user through domain-wide delegation \(CLI: --subject info@example\.com; library: subject: "info@example\.com"\)\. A calendar only shared with the service account is not in its calendar list until added there \(Calendar API method calendarList\.insert\)$/,
  },
  {
    name: "404 on calendarList.get with a subject",
    status: 404, body: notFound, call: "get", subject: "ana@example.com", code: "not_found",
    message: 'Cannot get calendar "info@example.com" with calendar.calendarList.get as "ana@example.com": not found, or "ana@example.com" has no access to it',
    hint: /Check the calendar ID/,
  },
  {
    name: "401 authError",
    status: 401, body: invalidCredentials, call: "get", subject: "ana@example.com", code: "token_rejected",
    message: 'Cannot call calendar.calendarList.get as "ana@example.com": the Calendar API rejected the access token (Invalid Credentials)',
    hint: /expired or was revoked/,
  },
  {
    name: "403 insufficientPermissions names the method's scopes",
    status: 403, body: insufficientScope, call: "get", subject: "ana@example.com", code: "insufficient_scope",
    message: 'Cannot call calendar.calendarList.get as "ana@example.com": the token\'s scopes ("https://www.googleapis.com/auth/calendar.readonly") include none that this method accepts',
    hint: /https:\/\/www\.googleapis\.com\/auth\/calendar\.calendarlist\.readonly/,
  },
  {
    name: "403 accessNotConfigured gives the activation URL",
    status: 403, body: accessNotConfigured, call: "list", code: "api_not_enabled",
    message: 'Cannot call calendar.calendarList.list: the Google Calendar API is not enabled in project "336992806363" of the service account',
    hint: /^Enable it at https:\/\/console\.developers\.google\.com\/apis\/api\/calendar-json\.googleapis\.com\/overview\?project=336992806363, then/,
  },
  {
    name: "403 userRateLimitExceeded",
    status: 403, body: legacy(403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded"), call: "list", subject: "a@example.com", code: "rate_limited",
    message: 'Cannot call calendar.calendarList.list as "a@example.com": rate limit exceeded (userRateLimitExceeded)',
    // No quotaUser: the client offers no way to set it.
    hint: /^Retry with exponential backoff \(about 1 s, 2 s, 4 s … plus jitter\); the limit counts requests per minute, so send fewer per minute$/,
  },
  {
    name: "429 rateLimitExceeded",
    status: 429, body: legacy(429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"), call: "list", subject: "a@example.com", code: "rate_limited",
    message: 'Cannot call calendar.calendarList.list as "a@example.com": rate limit exceeded (rateLimitExceeded)',
  },
  {
    name: "403 quotaExceeded",
    status: 403, body: legacy(403, "usageLimits", "quotaExceeded", "Calendar usage limits exceeded."), call: "list", subject: "a@example.com", code: "quota_exceeded",
    message: 'Cannot call calendar.calendarList.list as "a@example.com": Calendar usage limits exceeded.',
    hint: /hours/,
  },
  {
    name: "403 requiredAccessLevel",
    status: 403, body: legacy(403, "calendar", "requiredAccessLevel", "You need to have writer access to this calendar."), call: "get", subject: "a@example.com", code: "forbidden",
    message: 'Cannot call calendar "info@example.com" with calendar.calendarList.get as "a@example.com": You need to have writer access to this calendar. (requiredAccessLevel)',
  },
  {
    name: "400 with a reason",
    status: 400, body: legacy(400, "global", "invalid", "Invalid Value"), call: "list", code: "bad_request",
    message: "Cannot call calendar.calendarList.list: the Calendar API refused the request: Invalid Value (invalid)",
    hint: /^Check the call's parameters and body against the Calendar API reference for calendar\.calendarList\.list; unchanged, it fails the same way$/,
  },
  {
    name: "400 keeps Google's location (maxResults) and says what to fix",
    status: 400,
    body: { error: { errors: [{ domain: "global", reason: "invalid", message: "Invalid Value", locationType: "parameter", location: "maxResults" }], code: 400, message: "Invalid Value" } },
    call: "list", code: "bad_request",
    message: 'Cannot call calendar.calendarList.list: the Calendar API refused parameter "maxResults": Invalid Value (invalid)',
    hint: /^Fix parameter "maxResults" and send the call again; unchanged, it fails the same way \(calendar\.calendarList\.list takes maxResults from 1 to 250\)$/,
  },
  {
    name: "503 backendError",
    status: 503, body: legacy(503, "global", "backendError", "Backend Error"), call: "list", code: "backend_error",
    message: "Cannot call calendar.calendarList.list: the Calendar API failed with HTTP 503 backendError: Backend Error",
  },
  {
    name: "an HTML error page",
    status: 502, body: "<html>bad gateway</html>", call: "list", code: "backend_error",
    message: "Cannot call calendar.calendarList.list: the Calendar API answered HTTP 502 without Google's JSON error body",
  },
  {
    name: "409 duplicate falls back to api_error",
    status: 409, body: legacy(409, "global", "duplicate", "The requested identifier already exists."), call: "list", subject: "a@example.com", code: "api_error",
    message: 'Cannot call calendar.calendarList.list as "a@example.com": HTTP 409 duplicate: The requested identifier already exists.',
  },
];

function clientFor(status: number, body: unknown, subject?: string): ReturnType<typeof createCalendarClient> {
  return createCalendarClient({
    tokenSource: { signer: { clientEmail: sa }, getToken: (o) => Promise.resolve({ accessToken: "t", expiresAt: 0, scopes: o.scopes }) },
    subject,
    rootUrl: "http://e/calendar/v3",
    fetch: () => Promise.resolve(new Response(typeof body === "string" ? body : JSON.stringify(body), { status })),
  });
}

describe("CalendarApiError mapping", () => {
  for (const c of cases) {
    it(`maps ${c.name} to ${c.code}`, async () => {
      const client = clientFor(c.status, c.body, c.subject);
      const error = (await (c.call === "get" ? client.calendarList.get("info@example.com") : client.calendarList.list()).catch((e: unknown) => e)) as CalendarApiError;
      expect(error).toBeInstanceOf(CalendarApiError);
      expect(error.code).toBe(c.code);
      expect(error.message).toBe(c.message);
      expect(error.status).toBe(c.status);
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
      const body = JSON.parse(await readFile(new URL(f.file, fixtures), "utf8")) as { error: { code: number } };
      const error = (await clientFor(body.error.code, body).calendarList.list().catch((e: unknown) => e)) as CalendarApiError;
      expect(error.code).toBe(f.code);
      expect(error.message).toMatch(/^Cannot call calendar\.calendarList\.list: /);
    });
  }

  it("parses the captured calendarList page of gcalcli as a CalendarList", async () => {
    const text = await readFile(new URL("gcalcli-cal_list.json", fixtures), "utf8");
    const client = createCalendarClient({
      tokenSource: { getToken: (o) => Promise.resolve({ accessToken: "t", expiresAt: 0, scopes: o.scopes }) },
      rootUrl: "http://e/calendar/v3",
      fetch: () => Promise.resolve(new Response(text)),
    });
    const page = await client.calendarList.list();
    expect(page.items).toHaveLength(6);
    expect(page.nextSyncToken).toBeTypeOf("string");
  });
});
