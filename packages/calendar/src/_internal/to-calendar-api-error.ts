import { CalendarApiError } from "../calendar-api-error.ts";
import type { CalendarApiErrorCode } from "../calendar-api-error.ts";
import type { GoogleErrorBody } from "./google-error.ts";
import { methodFromRpc, methodScopes } from "./method-scopes.ts";

/** What the client knew when the call failed. */
export interface CallContext {
  method: string;
  calendarId?: string;
  subject?: string;
  serviceAccount?: string;
  scopes: string[];
}

/** The largest `maxResults` each list method accepts (Calendar API reference). */
const maxResultsBound: Readonly<Record<string, number>> = {
  "calendar.events.list": 2500,
  "calendar.events.instances": 2500,
  "calendar.calendarList.list": 250,
  "calendar.acl.list": 250,
};

const rateReasons = new Set(["rateLimitExceeded", "userRateLimitExceeded"]);
const quotaReasons = new Set(["quotaExceeded", "dailyLimitExceeded", "calendarUsageLimitsExceeded", "variableTermLimitExceeded"]);

function principal(ctx: CallContext): string {
  if (ctx.subject !== undefined) return `"${ctx.subject}"`;
  return ctx.serviceAccount !== undefined ? `service account "${ctx.serviceAccount}"` : "the service account";
}

function quoteList(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}

function activation(body: GoogleErrorBody): { url?: string; project?: string } {
  let url: string | undefined;
  let project: string | undefined;
  for (const detail of body.error.details ?? []) {
    url ??= detail.metadata?.["activationUrl"] ?? detail.links?.find((l) => l.url !== undefined)?.url;
    const consumer = detail.metadata?.["consumer"];
    if (consumer !== undefined) project ??= consumer.replace(/^projects\//, "");
  }
  const message = body.error.message ?? "";
  url ??= /https:\/\/console\.developers\.google\.com\/apis\/api\/\S+?overview\?project=\d+/.exec(message)?.[0];
  project ??= /\?project=(\d+)/.exec(url ?? "")?.[1] ?? /in project (\d+)/.exec(message)?.[1];
  return { url, project };
}

/**
 * Turns a non-2xx Calendar response into a {@link CalendarApiError} with a diagnosis.
 *
 * @param status The HTTP status.
 * @param body Google's parsed error envelope, if the body was one.
 * @param ctx What the call was.
 */
export function toCalendarApiError(status: number, body: GoogleErrorBody | undefined, ctx: CallContext): CalendarApiError {
  const first = body?.error.errors?.[0];
  const reason = first?.reason;
  const googleMessage = body?.error.message ?? first?.message;
  const facts = { status, reason, method: ctx.method, calendarId: ctx.calendarId, subject: ctx.subject, scopes: ctx.scopes, cause: body };
  const make = (code: CalendarApiErrorCode, message: string, hint?: string): CalendarApiError =>
    new CalendarApiError(code, message, { ...facts, hint });
  const what = ctx.calendarId !== undefined ? `calendar "${ctx.calendarId}" with ${ctx.method}` : ctx.method;

  if (body === undefined) {
    return make(
      status >= 500 ? "backend_error" : "unexpected_response",
      `Cannot call ${ctx.method}: the Calendar API answered HTTP ${status} without Google's JSON error body`,
      status >= 500 ? "Retry with exponential backoff" : "Check that the API root URL points at the Calendar API (…/calendar/v3)",
    );
  }

  if (status === 404) {
    if (ctx.method === "calendar.calendarList.get" && ctx.subject === undefined) {
      const user = ctx.calendarId?.includes("@") === true ? ctx.calendarId : "<user>";
      return make(
        "not_in_service_account_list",
        `Cannot get calendar "${ctx.calendarId ?? ""}" from the calendar list of ${principal(ctx)}: ` +
          `Google answered 404 Not Found because no subject was set, so the call ran as the service account, whose own calendar list does not contain it`,
        `Set the subject to impersonate the user through domain-wide delegation (CLI: --subject ${user}; library: subject: "${user}"). ` +
          `A calendar only shared with the service account is not in its calendar list until added there (Calendar API method calendarList.insert)`,
      );
    }
    return make(
      "not_found",
      `Cannot get ${what} as ${principal(ctx)}: not found, or ${principal(ctx)} has no access to it`,
      `Check the calendar ID ("primary" is the acting user's own calendar); Calendar answers 404 both for a calendar that does not exist and for one the acting user cannot see`,
    );
  }

  if (status === 401) {
    return make(
      "token_rejected",
      `Cannot call ${ctx.method} as ${principal(ctx)}: the Calendar API rejected the access token (${first?.message ?? googleMessage ?? "Invalid Credentials"})`,
      "The token expired or was revoked: get a new one and retry once; if it is rejected again, the key or the service account was deleted or disabled",
    );
  }

  if (status === 403 || status === 429) {
    if (reason === "insufficientPermissions" || body.error.details?.some((d) => d.reason === "ACCESS_TOKEN_SCOPE_INSUFFICIENT") === true) {
      const rpc = body.error.details?.find((d) => d.metadata?.["method"] !== undefined)?.metadata?.["method"];
      const method = (rpc !== undefined ? methodFromRpc(rpc) : undefined) ?? ctx.method;
      const accepted = methodScopes[method];
      return make(
        "insufficient_scope",
        `Cannot call ${method} as ${principal(ctx)}: the token's scopes (${quoteList(ctx.scopes)}) include none that this method accepts`,
        accepted !== undefined
          ? `Request one of these scopes, and grant it in the Admin console's domain-wide delegation entry: ${accepted.join(", ")}`
          : "Request a scope this method accepts, and grant it in the Admin console's domain-wide delegation entry",
      );
    }
    if (reason === "accessNotConfigured" || body.error.details?.some((d) => d.reason === "SERVICE_DISABLED") === true) {
      const { url, project } = activation(body);
      return make(
        "api_not_enabled",
        `Cannot call ${ctx.method}: the Google Calendar API is not enabled in project "${project ?? "unknown"}" of the service account`,
        `Enable it at ${url ?? "https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview"}, then retry after a few minutes`,
      );
    }
    if (status === 429 || (reason !== undefined && rateReasons.has(reason))) {
      return make(
        "rate_limited",
        `Cannot call ${ctx.method} as ${principal(ctx)}: rate limit exceeded (${reason ?? `HTTP ${status}`})`,
        "Retry with exponential backoff (about 1 s, 2 s, 4 s … plus jitter); the limit counts requests per minute, so send fewer per minute",
      );
    }
    if (reason !== undefined && quotaReasons.has(reason)) {
      return make(
        "quota_exceeded",
        `Cannot call ${ctx.method} as ${principal(ctx)}: ${googleMessage ?? reason}`,
        "A Calendar usage limit was hit; back off for hours, do not retry in a loop",
      );
    }
    return make(
      "forbidden",
      `Cannot call ${what} as ${principal(ctx)}: ${googleMessage ?? "Forbidden"}${reason !== undefined ? ` (${reason})` : ""}`,
      reason === "forbiddenForServiceAccounts"
        ? "Set the subject to act as a user through domain-wide delegation"
        : reason === "requiredAccessLevel"
          ? `${principal(ctx)} lacks the access role this call needs on the calendar; share it with a higher role`
          : undefined,
    );
  }

  if (status === 400) {
    const detail = `${googleMessage ?? "Bad Request"}${reason !== undefined ? ` (${reason})` : ""}`;
    const location = first?.location;
    if (location !== undefined) {
      const kind = first?.locationType ?? "field";
      const bound = maxResultsBound[ctx.method];
      return make(
        "bad_request",
        `Cannot call ${ctx.method}: the Calendar API refused ${kind} "${location}": ${detail}`,
        `Fix ${kind} "${location}" and send the call again; unchanged, it fails the same way` +
          (location === "maxResults" && bound !== undefined ? ` (${ctx.method} takes maxResults from 1 to ${bound})` : ""),
      );
    }
    return make(
      "bad_request",
      `Cannot call ${ctx.method}: the Calendar API refused the request: ${detail}`,
      `Check the call's parameters and body against the Calendar API reference for ${ctx.method}; unchanged, it fails the same way`,
    );
  }
  if (status >= 500) {
    return make(
      "backend_error",
      `Cannot call ${ctx.method}: the Calendar API failed with HTTP ${status}${reason !== undefined ? ` ${reason}` : ""}: ${googleMessage ?? "Backend Error"}`,
      "A transient Google error: retry with exponential backoff",
    );
  }
  return make(
    "api_error",
    `Cannot call ${what} as ${principal(ctx)}: HTTP ${status}${reason !== undefined ? ` ${reason}` : ""}: ${googleMessage ?? "no message"}`,
  );
}
