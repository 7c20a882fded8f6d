import { ADMIN_CONSOLE_PATH, adminConsoleLink } from "@dwd/auth";
import { CalendarApiError } from "../calendar-api-error.ts";
import type { CalendarApiErrorCode } from "../calendar-api-error.ts";
import { defaultScopeFor, methodFromRpc, methodScopes } from "../method-scopes.ts";
import type { GoogleErrorBody } from "./google-error.ts";

/** What the client knew when the call failed. */
export interface CallContext {
  method: string;
  calendarId?: string | undefined;
  subject?: string | undefined;
  serviceAccount?: string | undefined;
  /** The service account's numeric client ID, for the Admin-console link. */
  clientId?: string | undefined;
  scopes: string[];
  /** `Retry-After` of the response, in seconds. */
  retryAfterSeconds?: number | undefined;
}

/** Everything a diagnosis may look at. */
interface Failure {
  status: number;
  reason?: string | undefined;
  body: GoogleErrorBody;
  googleMessage: string;
  ctx: CallContext;
  /** `"calendar X with calendar.events.get"` or the method alone. */
  what: string;
  /** `"ana@example.com"` or `service account "…"`. */
  who: string;
}

/** One diagnosis: the code, whether a retry may help, the message and the fix. */
interface Diagnosis {
  code: CalendarApiErrorCode;
  retryable?: boolean | undefined;
  message(f: Failure): string;
  hint(f: Failure): string;
}

// A delete that only needs the resource gone may take this code as done; dwd does so itself only for
// a delete it retried (its first attempt did the deleting), not for a second, explicit delete.
const DELETED_HINT =
  'Nothing to do: it is already gone (code "deleted"; a delete that only needs it gone may treat this as done)';

const RETRY_HINT =
  "A transient refusal: the client retries it with exponential backoff; if it persists, lower the concurrency";
const subjectHint = (user: string): string =>
  `Set the subject to act as a user through domain-wide delegation (CLI: --subject ${user}; library: subject: "${user}" or cal.as("${user}"))`;

function principal(ctx: CallContext): string {
  if (ctx.subject !== undefined) return `"${ctx.subject}"`;
  return ctx.serviceAccount !== undefined
    ? `service account "${ctx.serviceAccount}"`
    : "the service account";
}

const quoteList = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(", ");
const suffix = (reason: string | undefined): string => (reason !== undefined ? ` (${reason})` : "");

function activation(body: GoogleErrorBody): {
  url?: string | undefined;
  project?: string | undefined;
} {
  let url: string | undefined;
  let project: string | undefined;
  for (const detail of body.error.details ?? []) {
    url ??=
      detail.metadata?.["activationUrl"] ?? detail.links?.find((l) => l.url !== undefined)?.url;
    const consumer = detail.metadata?.["consumer"] ?? detail.metadata?.["containerInfo"];
    if (consumer !== undefined) project ??= consumer.replace(/^projects\//, "");
  }
  const message = body.error.message ?? "";
  url ??= /https:\/\/console\.developers\.google\.com\/apis\/api\/\S+?overview\?project=\d+/.exec(
    message,
  )?.[0];
  project ??= /\?project=(\d+)/.exec(url ?? "")?.[1] ?? /in project (\d+)/.exec(message)?.[1];
  if (url === undefined && project !== undefined)
    url = `https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview?project=${project}`;
  return { url, project };
}

/** The method the refusal names (ErrorInfo's RPC), else the one the client called. */
function refusedMethod(f: Failure): string {
  const rpc = f.body.error.details?.find((d) => d.metadata?.["method"] !== undefined)?.metadata?.[
    "method"
  ];
  return (rpc !== undefined ? methodFromRpc(rpc) : undefined) ?? f.ctx.method;
}

const insufficientScope: Diagnosis = {
  code: "insufficient_scope",
  message: (f) =>
    `Cannot call ${refusedMethod(f)} as ${f.who}: the token's scopes (${quoteList(f.ctx.scopes)}) include none that this method accepts`,
  hint(f) {
    const method = refusedMethod(f);
    const accepted = methodScopes[method];
    if (accepted === undefined)
      return `Request a scope this method accepts, and grant it in ${ADMIN_CONSOLE_PATH}`;
    const add = defaultScopeFor(method);
    const grant =
      f.ctx.clientId !== undefined
        ? `grant it with ${adminConsoleLink(f.ctx.clientId, [...f.ctx.scopes, add])} (the link replaces the entry: it keeps the scopes in use and adds "${add}")`
        : `grant it in ${ADMIN_CONSOLE_PATH} for the service account's numeric client ID`;
    return `Request one of the scopes ${method} accepts (${accepted.join(", ")}), e.g. "${add}", and ${grant}`;
  },
};

const apiNotEnabled: Diagnosis = {
  code: "api_not_enabled",
  message: (f) =>
    `Cannot call ${f.ctx.method}: the Google Calendar API is not enabled in project "${activation(f.body).project ?? "unknown"}" of the service account`,
  hint: (f) =>
    `Enable it at ${activation(f.body).url ?? "https://console.developers.google.com/apis/api/calendar-json.googleapis.com/overview"}, then retry after a few minutes`,
};

const rateLimited: Diagnosis = {
  code: "rate_limited",
  retryable: true,
  message: (f) =>
    `Cannot call ${f.ctx.method} as ${f.who}: rate limit exceeded (${f.reason ?? `HTTP ${f.status}`})`,
  hint: () => `${RETRY_HINT}; set quotaUser to the user's email to spread the per-user quota`,
};

const quotaExceeded: Diagnosis = {
  code: "quota_exceeded",
  message: (f) =>
    `Cannot call ${f.ctx.method} as ${f.who}: ${f.googleMessage || "Calendar usage limits exceeded."}${suffix(f.reason)}`,
  hint: () =>
    "A Calendar usage limit was hit for this user (events created, invitations sent, …); it lasts hours: stop and resume later, a retry loop only extends it",
};

/** 403 reasons other than scope, API activation, rate and quota. */
const forbiddenByReason: Readonly<Record<string, Diagnosis>> = {
  forbiddenForServiceAccounts: {
    code: "forbidden_for_service_accounts",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: service accounts cannot invite attendees without domain-wide delegation`,
    hint: () => `${subjectHint("<organizer>")}, or leave out attendees`,
  },
  requiredAccessLevel: {
    code: "required_access_level",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: ${f.googleMessage || "the acting user's access role is too low"}`,
    hint: (f) =>
      `Share calendar "${f.ctx.calendarId ?? "…"}" with ${f.who} as writer (or owner for ACL changes), or act as a user who already has that role`,
  },
  forbiddenForNonOrganizer: {
    code: "forbidden_for_non_organizer",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: only the organizer may change the event's shared properties`,
    hint: () =>
      "Use events.patch with only the fields you mean to change (guestsCanInviteOthers, guestsCanModify and guestsCanSeeOtherGuests belong to the organizer), or act as the organizer (subject)",
  },
};

const byReason: Readonly<Record<string, Diagnosis>> = {
  insufficientPermissions: insufficientScope,
  ACCESS_TOKEN_SCOPE_INSUFFICIENT: insufficientScope,
  accessNotConfigured: apiNotEnabled,
  SERVICE_DISABLED: apiNotEnabled,
  rateLimitExceeded: rateLimited,
  userRateLimitExceeded: rateLimited,
  RATE_LIMIT_EXCEEDED: rateLimited,
  quotaExceeded: quotaExceeded,
  calendarUsageLimitsExceeded: quotaExceeded,
  dailyLimitExceeded: quotaExceeded,
  variableTermLimitExceeded: { ...rateLimited },
  ...forbiddenByReason,
  duplicate: {
    code: "duplicate",
    message: (f) => `Cannot call ${f.what} as ${f.who}: the requested identifier already exists`,
    hint: duplicateHint,
  },
  conflict: {
    code: "conflict",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: it conflicts with another call of the same batch`,
    hint: () => "Send the conflicting calls one after the other instead of in one batch",
  },
  fullSyncRequired: {
    code: "full_sync_required",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: the sync token is no longer valid, a full sync is required`,
    hint: () =>
      "Drop the stored sync token and list everything again without it (createEventSync does this by itself)",
  },
  updatedMinTooLongAgo: {
    code: "updated_min_too_long_ago",
    message: (f) => `Cannot call ${f.what} as ${f.who}: updatedMin lies too far in the past`,
    hint: () => "Use a more recent updatedMin, or do a full sync and keep its nextSyncToken",
  },
  deleted: {
    code: "deleted",
    message: (f) => `Cannot call ${f.what} as ${f.who}: the resource has already been deleted`,
    hint: () => DELETED_HINT,
  },
  conditionNotMet: {
    code: "precondition_failed",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: the resource changed since the ETag given in If-Match`,
    hint: () =>
      "Re-read the resource (its new etag), re-apply your change to it, and send it again with the new etag",
  },
};

/** The largest `maxResults` each list method accepts. */
const maxResultsBound: Readonly<Record<string, number>> = {
  "calendar.events.list": 2500,
  "calendar.events.instances": 2500,
  "calendar.calendarList.list": 250,
  "calendar.acl.list": 250,
  "calendar.settings.list": 250,
};

/** By status, when no reason decides. */
const byStatus: Readonly<Record<number, Diagnosis>> = {
  304: {
    code: "not_modified",
    message: (f) =>
      `Cannot return ${f.what}: it has not changed since the ETag given in If-None-Match (304 Not Modified)`,
    hint: () =>
      "Pass the resource you hold as ifNoneMatch (not only its etag): a 304 then returns it",
  },
  400: {
    code: "bad_request",
    message: (f) => {
      const first = f.body.error.errors?.[0];
      const refused =
        first?.location !== undefined
          ? `${first.locationType ?? "field"} "${first.location}"`
          : "the request";
      return `Cannot call ${f.ctx.method}: the Calendar API refused ${refused}: ${f.googleMessage || "Bad Request"}${suffix(f.reason)}`;
    },
    hint: (f) => {
      const first = f.body.error.errors?.[0];
      if (first?.location === undefined) {
        return `Check the call's parameters and body against the Calendar API reference for ${f.ctx.method}; it is permanent, retrying does not help`;
      }
      const max = f.ctx.method in maxResultsBound ? maxResultsBound[f.ctx.method] : undefined;
      const bound =
        first.location === "maxResults" && max !== undefined
          ? ` (${f.ctx.method} takes maxResults from 1 to ${max})`
          : "";
      return `Fix ${first.locationType ?? "field"} "${first.location}" and send the call again; it is permanent, retrying does not help${bound}`;
    },
  },
  401: {
    code: "token_rejected",
    message: (f) =>
      `Cannot call ${f.ctx.method} as ${f.who}: the Calendar API rejected the access token (${f.body.error.errors?.[0]?.message ?? (f.googleMessage || "Invalid Credentials")})`,
    hint: () =>
      "A fresh token was rejected too: the key or the service account was deleted or disabled, or the token was revoked; check it with `dwd doctor`",
  },
  403: {
    code: "forbidden",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: ${f.googleMessage || "Forbidden"}${suffix(f.reason)}`,
    hint: (f) =>
      `${f.who} has no right to do this on the calendar; share it with a higher role, or act as its owner`,
  },
  404: {
    code: "not_found",
    message: (f) => `Cannot get ${f.what} as ${f.who}: not found, or ${f.who} has no access to it`,
    hint: (f) =>
      f.ctx.method === "calendar.settings.get"
        ? "Check the setting's name (e.g. timezone, weekStart, format24HourTime); settings.list shows every setting the user has"
        : f.ctx.subject === undefined
          ? `No subject was set, so the call ran as the service account; ${subjectHint("<user>")}. Calendar answers 404 both for what does not exist and for what the acting principal cannot see`
          : 'Check the IDs ("primary" is the acting user\'s own calendar); Calendar answers 404 both for what does not exist and for what the acting user cannot see',
  },
  409: {
    code: "duplicate",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: ${f.googleMessage || "Conflict"}${suffix(f.reason)}`,
    hint: duplicateHint,
  },
  410: {
    code: "deleted",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: ${f.googleMessage || "Gone"}${suffix(f.reason)}`,
    hint: () => DELETED_HINT,
  },
  412: {
    code: "precondition_failed",
    message: (f) =>
      `Cannot call ${f.what} as ${f.who}: the resource changed since the ETag given in If-Match`,
    hint: () =>
      "Re-read the resource (its new etag), re-apply your change to it, and send it again with the new etag",
  },
  429: rateLimited,
};

/** A 409 on a write: the fix names the method's own resource (a calendar-list entry is no event). */
function duplicateHint(f: Failure): string {
  if (f.ctx.method === "calendar.calendarList.insert")
    return `The calendar is already in ${f.who}'s calendar list: nothing to add; change the entry with calendarList.patch (color, hidden, notifications)`;
  const resource = /^calendar\.(\w+)\./.exec(f.ctx.method)?.[1] ?? "events";
  return `Choose a new id, or update the existing resource (${resource}.update / ${resource}.patch)`;
}

const backendError: Diagnosis = {
  code: "backend_error",
  retryable: true,
  message: (f) =>
    `Cannot call ${f.ctx.method}: the Calendar API failed with HTTP ${f.status}${f.reason !== undefined ? ` ${f.reason}` : ""}: ${f.googleMessage || "Backend Error"}`,
  hint: () => RETRY_HINT,
};

const notInServiceAccountList: Diagnosis = {
  code: "not_in_service_account_list",
  message: (f) =>
    `Cannot get calendar "${f.ctx.calendarId ?? ""}" from the calendar list of ${f.who}: Google answered 404 Not Found because no subject was set, so the call ran as the service account, whose own calendar list does not contain it`,
  hint: (f) => {
    const user = f.ctx.calendarId?.includes("@") === true ? f.ctx.calendarId : "<user>";
    return (
      `Set the subject to impersonate the user through domain-wide delegation (CLI: --subject ${user}; library: subject: "${user}"), ` +
      `or, if the calendar is shared with the service account, use calendars.get or events.list, which need no calendar-list entry`
    );
  },
};

function choose(
  status: number,
  reason: string | undefined,
  body: GoogleErrorBody,
  ctx: CallContext,
): Diagnosis {
  if (status === 404 && ctx.method === "calendar.calendarList.get" && ctx.subject === undefined)
    return notInServiceAccountList;
  const detailReasons = (body.error.details ?? [])
    .map((d) => d.reason)
    .filter((r): r is string => r !== undefined);
  for (const r of [reason, ...detailReasons]) {
    const d = r !== undefined ? byReason[r] : undefined;
    // A reason only decides within its family (a 400 "duplicate" is not a 409).
    if (d !== undefined && status >= 400 && status < 500) return d;
  }
  if (status >= 500) return backendError;
  return (
    byStatus[status] ?? {
      code: "api_error",
      message: (f) =>
        `Cannot call ${f.what} as ${f.who}: HTTP ${f.status}${f.reason !== undefined ? ` ${f.reason}` : ""}: ${f.googleMessage || "no message"}`,
      hint: () =>
        "Google answered a status dwd does not diagnose: see the error's status, reason and cause (Google's error body)",
    }
  );
}

/**
 * Turns a non-2xx Calendar response into a {@link CalendarApiError} with a diagnosis, looked up by
 * Google's reason (then by status) in one table.
 *
 * @param status The HTTP status.
 * @param body Google's parsed error envelope, if the body was one.
 * @param ctx What the call was.
 * @returns The error to throw.
 */
export function toCalendarApiError(
  status: number,
  body: GoogleErrorBody | undefined,
  ctx: CallContext,
): CalendarApiError {
  const reason = body?.error.errors?.[0]?.reason;
  const facts = {
    status,
    reason,
    method: ctx.method,
    calendarId: ctx.calendarId,
    subject: ctx.subject,
    scopes: ctx.scopes,
    cause: body,
    ...(ctx.retryAfterSeconds !== undefined ? { retryAfterSeconds: ctx.retryAfterSeconds } : {}),
  };
  if (status >= 300 && status < 400 && status !== 304) {
    return new CalendarApiError(
      "redirected",
      `Cannot call ${ctx.method}: the Calendar API answered HTTP ${status}, a redirect, which dwd does not follow with an access token`,
      {
        ...facts,
        hint: "Point the API root (rootUrl / --api-root / DWD_EMULATOR_HOST) at the API itself, https://www.googleapis.com/calendar/v3 for Google, not at an address that redirects",
      },
    );
  }
  if (body === undefined && status !== 304) {
    const transient = status >= 500 || status === 429;
    return new CalendarApiError(
      transient ? (status === 429 ? "rate_limited" : "backend_error") : "unexpected_response",
      `Cannot call ${ctx.method}: the Calendar API answered HTTP ${status} without Google's JSON error body`,
      {
        ...facts,
        retryable: transient,
        hint: transient
          ? RETRY_HINT
          : "Check that the API root URL points at the Calendar API (…/calendar/v3)",
      },
    );
  }
  const envelope: GoogleErrorBody = body ?? { error: { code: status } };
  const failure: Failure = {
    status,
    reason,
    body: envelope,
    googleMessage: envelope.error.message ?? envelope.error.errors?.[0]?.message ?? "",
    ctx,
    what:
      ctx.calendarId !== undefined ? `calendar "${ctx.calendarId}" with ${ctx.method}` : ctx.method,
    who: principal(ctx),
  };
  const d = choose(status, reason, envelope, ctx);
  return new CalendarApiError(d.code, d.message(failure), {
    ...facts,
    retryable: d.retryable ?? false,
    hint: d.hint(failure),
  });
}
