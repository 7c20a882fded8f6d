import { base64UrlToString, stringToBase64Url } from "./base64.ts";
import { framedAnswer, isBatchPart, utf8Of } from "./batch-parts.ts";
import type { JsonText } from "./batch-parts.ts";
import {
  badRequest,
  conditionNotMet,
  fullSyncRequired,
  insufficientPermissions,
  invalidValue,
  notFound,
  requiredAccessLevel,
} from "./calendar-errors.ts";
import type { CalendarMethod } from "./calendar-methods.ts";
import type { CalendarData, CalendarState, Role } from "./calendar-state.ts";
import { findCalendar, rank, roleOf } from "./calendar-state.ts";
import type { EmulatorContext } from "./context.ts";
import type { FieldSelection } from "./fields.ts";
import { applyFields } from "./fields.ts";
import { apiHeaders } from "./headers.ts";
import type { TokenRecord } from "./store.ts";
import { utf8Length } from "./utf8.ts";

/** Everything a method handler needs about one authenticated, scope-checked call. */
export interface CalendarCall {
  ctx: EmulatorContext;
  data: CalendarData;
  method: CalendarMethod;
  token: TokenRecord;
  /** The impersonated user, or the service account's email when it acts as itself. */
  principal: string;
  /** True when the token has no subject: the service account acts as itself. */
  asServiceAccount: boolean;
  /** Decoded path parameters. */
  params: Record<string, string>;
  query: URLSearchParams;
  request: Request;
  /** Emulated clock, ms. */
  now: number;
  /** The scopes of the token that this method accepts. */
  matchedScopes: readonly string[];
  /** The `fields` selection of a partial response, already checked against the answer's schema. */
  fields?: FieldSelection | undefined;
}

/** A JSON text of one piece. */
export function jsonText(text: string): JsonText {
  return { pieces: [text], bytes: utf8Length(text) };
}

/** A JSON success with Google's API headers (and `ETag` when the body has one); `fields` applied. */
export function ok(
  call: Pick<CalendarCall, "now" | "request" | "fields">,
  body: unknown,
): Response {
  const etag = (body as { etag?: unknown } | null)?.etag;
  const text = JSON.stringify(call.fields === undefined ? body : applyFields(body, call.fields));
  return okJson(
    { now: call.now, request: call.request },
    jsonText(text),
    typeof etag === "string" ? etag : undefined,
  );
}

/**
 * A 200 whose JSON is already serialized (see JsonText), with Google's API headers and `ETag`. The
 * answer to a batch part is framed by the batch from the JSON text (no headers the batch would drop);
 * any other answer is sent as the text's bytes, kept with the text. With `fields`, the JSON is read
 * back and cut to the selection.
 */
export function okJson(
  call: Pick<CalendarCall, "now" | "request" | "fields">,
  json: JsonText,
  etag: string | undefined,
): Response {
  if (call.fields !== undefined) {
    const text = JSON.stringify(applyFields(JSON.parse(json.pieces.join("")), call.fields));
    return okJson({ now: call.now, request: call.request }, jsonText(text), etag);
  }
  if (isBatchPart(call.request)) {
    const headerLines = ["Content-Type: application/json; charset=UTF-8"];
    if (etag !== undefined) headerLines.push(`ETag: ${etag}`);
    return framedAnswer(200, { body: json, headerLines });
  }
  const headers = apiHeaders(call.now);
  if (etag !== undefined) headers.set("ETag", etag);
  headers.set("Content-Length", String(json.bytes));
  return new Response(utf8Of(json), { status: 200, headers });
}

/** 204 with no body (deletes, clear, channels.stop). */
export function noContent(nowMs: number): Response {
  const headers = apiHeaders(nowMs);
  headers.delete("Content-Type");
  return new Response(null, { status: 204, headers });
}

/** Reads the JSON object body; a missing or non-object body is 400 Bad Request. */
export async function readBody(call: CalendarCall): Promise<Record<string, unknown> | Response> {
  let text: string;
  try {
    text = await call.request.text();
  } catch {
    return badRequest(call.now);
  }
  if (text.trim() === "") return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return badRequest(call.now);
    return value as Record<string, unknown>;
  } catch {
    return badRequest(call.now);
  }
}

/** An integer query parameter in [1, ∞) clamped to `max`, `fallback` when absent; 400 Invalid Value otherwise. */
export function maxResultsOf(call: CalendarCall, fallback: number, max: number): number | Response {
  const raw = call.query.get("maxResults");
  if (raw === null) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) return invalidValue("maxResults", call.now);
  return Math.min(Number(raw), max);
}

/** A boolean query parameter (`true`/`false`); 400 Invalid Value for anything else. */
export function flag(call: CalendarCall, name: string): boolean | Response {
  const raw = call.query.get(name);
  if (raw === null) return false;
  if (raw === "true") return true;
  if (raw === "false") return false;
  return invalidValue(name, call.now);
}

// Opaque tokens that carry just enough to resume: list position (and a snapshot version), or the
// version a sync resumes from, the collection it belongs to and the expiry epoch.
function pageToken(offset: number, snapshot: number): string {
  return stringToBase64Url(`p:${snapshot}:${offset}`);
}

function readPageToken(token: string): { offset: number; snapshot: number } | undefined {
  const m = /^p:(\d{1,12}):(\d{1,9})$/.exec(base64UrlToString(token) ?? "");
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  return { snapshot: Number(m[1]), offset: Number(m[2]) };
}

/** A sync token for `collection` (e.g. a calendar ID) at `version`. */
export function syncTokenFor(data: CalendarData, collection: string, version: number): string {
  return stringToBase64Url(`s:${data.syncEpoch}:${version}:${collection}`);
}

/** The version a sync token resumes from, or the 410 fullSyncRequired answer (stale, expired or foreign). */
export function readSyncToken(
  call: CalendarCall,
  collection: string,
  token: string,
): number | Response {
  const m = /^s:(\d+):(\d+):(.*)$/s.exec(base64UrlToString(token) ?? "");
  if (
    m === null ||
    Number(m[1]) !== call.data.syncEpoch ||
    m[3] !== collection ||
    Number(m[2]) > call.data.version
  ) {
    return fullSyncRequired(call.now);
  }
  return Number(m[2]);
}

/** A list's ETag: derived from the collection and the data version. */
export function listEtag(who: string, version: number): string {
  let h = 0x811c9dc5;
  for (const ch of `${version}:${who}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `"p3${version.toString(36)}${h.toString(36).padStart(7, "0")}"`;
}

/** One page of a list, plus where the next one starts. */
export interface Page<T> {
  items: T[];
  nextPageToken?: string | undefined;
  /** The version the whole listing reflects (kept across pages). */
  snapshot: number;
}

/**
 * Cuts one page from `all` (already filtered and ordered): `pageToken` resumes at an offset. The
 * last page's sync token is the version of the first page, so whatever changed while the client
 * paged comes again in its next sync.
 */
export function paginate<T>(call: CalendarCall, all: T[], maxResults: number): Page<T> | Response {
  let offset = 0;
  let snapshot = call.data.version;
  const raw = call.query.get("pageToken");
  if (raw !== null) {
    const at = readPageToken(raw);
    if (at === undefined || at.offset > all.length || at.snapshot > call.data.version)
      return invalidValue("pageToken", call.now);
    offset = at.offset;
    snapshot = at.snapshot;
  }
  const items = all.slice(offset, offset + maxResults);
  const next = offset + items.length;
  const page: Page<T> = { items, snapshot };
  if (next < all.length) page.nextPageToken = pageToken(next, snapshot);
  return page;
}

/** 412 when `If-Match` is present and names another ETag (`*` matches any). */
export function ifMatchFails(call: CalendarCall, etag: string): Response | undefined {
  const want = call.request.headers.get("if-match");
  if (want === null) return undefined;
  const tags = want.split(",").map((t) => t.trim().replace(/^W\//, ""));
  return tags.includes("*") || tags.includes(etag) ? undefined : conditionNotMet(call.now);
}

/** 304 Not Modified when `If-None-Match` names the current ETag. */
export function notModified(call: CalendarCall, etag: string): Response | undefined {
  const want = call.request.headers.get("if-none-match");
  if (want === null) return undefined;
  const tags = want.split(",").map((t) => t.trim().replace(/^W\//, ""));
  if (!tags.includes(etag) && !tags.includes("*")) return undefined;
  const headers = apiHeaders(call.now);
  headers.delete("Content-Type");
  headers.set("ETag", etag);
  return new Response(null, { status: 304, headers });
}

/** What the principal may do on a calendar, after ACL and scope limits. */
export interface Access {
  calendar: CalendarState;
  role: Role;
  /** Only busy times may be shown (role freeBusyReader, or only `calendar.events.freebusy` held). */
  freeBusyOnly: boolean;
}

// Scopes that reach only some calendars; every other accepted scope reaches all of them.
const owned = new Set(
  ["calendar.events.owned", "calendar.events.owned.readonly"].map(
    (s) => `https://www.googleapis.com/auth/${s}`,
  ),
);
const appCreated = "https://www.googleapis.com/auth/calendar.app.created";
const freeBusyScope = "https://www.googleapis.com/auth/calendar.events.freebusy";
const publicScope = "https://www.googleapis.com/auth/calendar.events.public.readonly";
const limited = new Set([...owned, appCreated, freeBusyScope, publicScope]);

/**
 * Resolves the calendar of path parameter `calendarId` and checks the principal's role against
 * `needed`: no access at all is 404 (Google hides the difference), too little is 403
 * requiredAccessLevel; a scope that reaches only some calendars is checked here too.
 */
export function access(
  call: CalendarCall,
  needed: Role,
  requested: string = call.params["calendarId"] ?? "",
): Access | Response {
  const calendar = findCalendar(call.data, requested, call.principal);
  if (calendar === undefined) return notFound(call.now);
  const role = roleOf(call.data, calendar, call.principal);
  if (role === "none") return notFound(call.now);
  let freeBusyOnly = role === "freeBusyReader";
  if (!call.matchedScopes.some((s) => !limited.has(s))) {
    const reach =
      (call.matchedScopes.some((s) => owned.has(s)) && role === "owner") ||
      (call.matchedScopes.includes(appCreated) && calendar.createdBy === call.token.clientId) ||
      (call.matchedScopes.includes(publicScope) &&
        [...calendar.acl.values()].some(
          (r) => !r.deleted && r.scopeType === "default" && rank(r.role) >= rank("reader"),
        ));
    if (!reach) {
      if (!call.matchedScopes.includes(freeBusyScope)) return insufficientPermissions(call.now);
      freeBusyOnly = true;
    }
  }
  if (rank(role) < rank(needed) || (freeBusyOnly && rank(needed) > rank("freeBusyReader"))) {
    if (rank(needed) <= rank("reader")) return notFound(call.now);
    return requiredAccessLevel(needed === "owner" ? "owner" : "writer", call.now);
  }
  return { calendar, role, freeBusyOnly };
}
