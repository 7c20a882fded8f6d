// The Admin SDK Directory API (directory_v1) as far as selecting users goes: users.list, users.get and
// members.list, at Google's paths under /admin/directory/v1, with Google's paging (maxResults, opaque
// pageToken / nextPageToken), partial responses (`fields`), scopes, admin check and errors.
import { Hono } from "hono";
import type { Context } from "hono";
import type { Scenario, ScenarioUser } from "../scenario.ts";
import { base64UrlToString, stringToBase64Url } from "./base64.ts";
import type { CalendarEnv } from "./calendar-routes.ts";
import { authenticate, principal, queryOf } from "./calendar-routes.ts";
import { insufficientScope, invalidFieldSelection } from "./calendar-errors.ts";
import type { EmulatorContext } from "./context.ts";
import { badRequest, invalidInput, notAuthorized, resourceNotFound } from "./directory-errors.ts";
import type { QueryUser } from "./directory-query.ts";
import { parseUserQuery } from "./directory-query.ts";
import type { FieldSelection } from "./fields.ts";
import { applyFields, parseFields } from "./fields.ts";
import { apiHeaders } from "./headers.ts";
import { scopeUrl } from "./google-scopes.ts";
import { bump, subjectCounters } from "./traffic-stats.ts";

const service = "admin.googleapis.com";
const rpc = "ccc.hosted.frontend.directory.v1";

type MethodId = "directory.users.list" | "directory.users.get" | "directory.members.list";

/** Scopes each method accepts (Google's discovery document for directory_v1). */
export const directoryMethodScopes: Record<MethodId, readonly string[]> = {
  "directory.users.list": [
    "admin.directory.user",
    "admin.directory.user.readonly",
    "cloud-platform",
  ].map(scopeUrl),
  "directory.users.get": [
    "admin.directory.user",
    "admin.directory.user.readonly",
    "cloud-platform",
  ].map(scopeUrl),
  "directory.members.list": [
    "admin.directory.group",
    "admin.directory.group.member",
    "admin.directory.group.member.readonly",
    "admin.directory.group.readonly",
  ].map(scopeUrl),
};
const rpcNames: Record<MethodId, string> = {
  "directory.users.list": `${rpc}.DirectoryUsers.List`,
  "directory.users.get": `${rpc}.DirectoryUsers.Get`,
  "directory.members.list": `${rpc}.DirectoryMembers.List`,
};

// The schemas `fields` is checked against: name → its own properties (true: a leaf, or not described).
type Shape = { [name: string]: Shape | true };
const userShape: Shape = {
  kind: true,
  id: true,
  etag: true,
  primaryEmail: true,
  name: { givenName: true, familyName: true, fullName: true, displayName: true },
  isAdmin: true,
  isDelegatedAdmin: true,
  suspended: true,
  suspensionReason: true,
  archived: true,
  orgUnitPath: true,
  customerId: true,
  isMailboxSetup: true,
  includeInGlobalAddressList: true,
  creationTime: true,
  lastLoginTime: true,
  agreedToTerms: true,
  changePasswordAtNextLogin: true,
  isEnrolledIn2Sv: true,
  isEnforcedIn2Sv: true,
  ipWhitelisted: true,
  emails: true,
  aliases: true,
  nonEditableAliases: true,
  thumbnailPhotoUrl: true,
};
const memberShape: Shape = {
  kind: true,
  etag: true,
  id: true,
  email: true,
  role: true,
  type: true,
  status: true,
  delivery_settings: true,
};
const shapes: Record<MethodId, Shape> = {
  "directory.users.list": {
    kind: true,
    etag: true,
    trigger_event: true,
    nextPageToken: true,
    users: userShape,
  },
  "directory.users.get": userShape,
  "directory.members.list": { kind: true, etag: true, nextPageToken: true, members: memberShape },
};

function unknownIn(selection: FieldSelection, shape: Shape, at = ""): string | undefined {
  for (const [name, sub] of selection) {
    if (name === "*") continue;
    const inner = shape[name];
    if (inner === undefined) return `${at}${name}`;
    if (sub !== true && inner !== true) {
      const deeper = unknownIn(sub, inner, `${at}${name}/`);
      if (deeper !== undefined) return deeper;
    }
  }
  return undefined;
}

// A stable numeric ID from an email (Google's IDs are 21 digits for users, 15 characters for groups).
function numericId(email: string): string {
  let h = 0xcbf29ce484222325n;
  for (const ch of email)
    h = ((h ^ BigInt(ch.codePointAt(0) ?? 0)) * 0x100000001b3n) & ((1n << 64n) - 1n);
  return `1${h.toString().padStart(20, "0")}`;
}

/** The emulated customer ID (`customer=` takes it, or `my_customer`). */
export function customerIdOf(domain: string): string {
  return `C0${numericId(domain).slice(-7)}`;
}

function fullName(user: ScenarioUser): string {
  return user.name ?? user.email.slice(0, user.email.indexOf("@"));
}

function userResource(user: ScenarioUser, customerId: string): Record<string, unknown> {
  const name = fullName(user);
  const space = name.indexOf(" ");
  return {
    kind: "admin#directory#user",
    id: numericId(user.email),
    etag: `"${numericId(`etag:${user.email}`)}"`,
    primaryEmail: user.email,
    name: {
      givenName: space === -1 ? name : name.slice(0, space),
      familyName: space === -1 ? name : name.slice(space + 1),
      fullName: name,
    },
    isAdmin: user.isAdmin === true,
    isDelegatedAdmin: false,
    suspended: user.suspended === true,
    archived: false,
    orgUnitPath: user.orgUnitPath ?? "/",
    customerId,
    isMailboxSetup: true,
    includeInGlobalAddressList: true,
  };
}

function json(body: unknown, nowMs: number, fields: FieldSelection | undefined): Response {
  const out = fields === undefined ? body : applyFields(body, fields);
  return new Response(JSON.stringify(out), { status: 200, headers: apiHeaders(nowMs) });
}

// An opaque page token: the offset and the listing it belongs to (a token of another listing is refused).
function pageToken(offset: number, listing: string): string {
  return stringToBase64Url(JSON.stringify([offset, listing]));
}

function readPageToken(token: string, listing: string): number | undefined {
  try {
    const value = JSON.parse(base64UrlToString(token) ?? "null") as unknown;
    if (!Array.isArray(value) || value[1] !== listing) return undefined;
    const offset: unknown = value[0];
    return typeof offset === "number" && Number.isInteger(offset) && offset >= 0
      ? offset
      : undefined;
  } catch {
    return undefined;
  }
}

function maxResultsOf(query: URLSearchParams, fallback: number, max: number): number | "invalid" {
  const raw = query.get("maxResults");
  if (raw === null) return fallback;
  const n = Number(raw);
  return /^\d+$/.test(raw) && n >= 1 && n <= max ? n : "invalid";
}

/** The Directory routes, mounted under `/admin/directory/v1`. */
export function directoryRoutes(ctx: EmulatorContext, scenario: Scenario): Hono<CalendarEnv> {
  const app = new Hono<CalendarEnv>();
  const customerId = customerIdOf(scenario.domain);
  const users = [...scenario.users].sort((a, b) => (a.email < b.email ? -1 : 1));
  const byEmail = new Map(users.map((u) => [u.email, u]));
  const groups = new Map((scenario.groups ?? []).map((g) => [g.email, g]));
  const groupsById = new Map((scenario.groups ?? []).map((g) => [numericId(g.email), g]));

  // The common front of every method: counters, scopes, the admin check, `fields`.
  type Checked = { now: number; query: URLSearchParams; fields: FieldSelection | undefined };
  const front = (c: Context<CalendarEnv>, method: MethodId): Checked | Response => {
    const token = c.get("token");
    const who = principal(token);
    bump(ctx.stats.byEndpoint, method);
    subjectCounters(ctx.stats, who).apiRequests++;
    const now = ctx.clock();
    const accepted = directoryMethodScopes[method];
    if (!accepted.some((s) => token.scopes.includes(s)))
      return insufficientScope(rpcNames[method], accepted, now, service);
    const acting = token.subject === null ? undefined : byEmail.get(token.subject);
    if (acting?.isAdmin !== true || acting.suspended === true) return notAuthorized(now);
    const query = queryOf(c.req.url);
    let fields: FieldSelection | undefined;
    const text = query.get("fields");
    if (text !== null) {
      const selection = parseFields(text);
      if (!(selection instanceof Map)) return invalidFieldSelection(selection.invalid, now);
      const unknown = unknownIn(selection, shapes[method]);
      if (unknown !== undefined) return invalidFieldSelection(unknown, now);
      fields = selection;
    }
    return { now, query, fields };
  };

  app.use("*", authenticate(ctx));

  app.get("/users", (c) => {
    const checked = front(c, "directory.users.list");
    if (checked instanceof Response) return checked;
    const { now, query, fields } = checked;
    const customer = query.get("customer");
    const domain = query.get("domain");
    if (customer === null && domain === null) return badRequest(now);
    if (customer !== null && customer !== "my_customer" && customer !== customerId)
      return notAuthorized(now);
    if (domain !== null && domain.toLowerCase() !== scenario.domain) return notAuthorized(now);
    const max = maxResultsOf(query, 100, 500);
    if (max === "invalid") return invalidInput("maxResults", now);
    const filter = parseUserQuery(query.get("query") ?? "");
    if (filter === undefined) return invalidInput(undefined, now);
    const listing = `users:${query.get("query") ?? ""}`;
    const tokenText = query.get("pageToken");
    const offset = tokenText === null || tokenText === "" ? 0 : readPageToken(tokenText, listing);
    if (offset === undefined) return invalidInput("pageToken", now);
    // Walks from the offset; stops once a page is full and one more match proves a next page exists.
    const page: Record<string, unknown>[] = [];
    let next: number | undefined;
    for (let i = offset; i < users.length; i++) {
      const user = users[i] as ScenarioUser;
      const seen: QueryUser = {
        email: user.email,
        name: fullName(user),
        orgUnitPath: user.orgUnitPath ?? "/",
        suspended: user.suspended === true,
        isAdmin: user.isAdmin === true,
      };
      if (!filter(seen)) continue;
      if (page.length === max) {
        next = i;
        break;
      }
      page.push(userResource(user, customerId));
    }
    const body: Record<string, unknown> = {
      kind: "admin#directory#users",
      etag: `"${listing.length}"`,
    };
    if (page.length > 0) body["users"] = page;
    if (next !== undefined) body["nextPageToken"] = pageToken(next, listing);
    return json(body, now, fields);
  });

  app.get("/users/:userKey", (c) => {
    const checked = front(c, "directory.users.get");
    if (checked instanceof Response) return checked;
    const key = c.req.param("userKey").toLowerCase();
    const user = byEmail.get(key) ?? users.find((u) => numericId(u.email) === key);
    if (user === undefined) return resourceNotFound("userKey", checked.now);
    return json(userResource(user, customerId), checked.now, checked.fields);
  });

  app.get("/groups/:groupKey/members", (c) => {
    const checked = front(c, "directory.members.list");
    if (checked instanceof Response) return checked;
    const { now, query, fields } = checked;
    const key = c.req.param("groupKey").toLowerCase();
    const group = groups.get(key) ?? groupsById.get(key);
    if (group === undefined) return resourceNotFound("groupKey", now);
    const max = maxResultsOf(query, 200, 200);
    if (max === "invalid") return invalidInput("maxResults", now);
    const listing = `members:${group.email}`;
    const tokenText = query.get("pageToken");
    const offset = tokenText === null || tokenText === "" ? 0 : readPageToken(tokenText, listing);
    if (offset === undefined) return invalidInput("pageToken", now);
    const members = group.members.slice(offset, offset + max).map((email) => {
      const user = byEmail.get(email);
      return {
        kind: "admin#directory#member",
        etag: `"${numericId(`etag:${group.email}:${email}`)}"`,
        id: numericId(email),
        email,
        role: "MEMBER",
        type: user === undefined ? "GROUP" : "USER",
        status: user?.suspended === true ? "SUSPENDED" : "ACTIVE",
      };
    });
    const body: Record<string, unknown> = {
      kind: "admin#directory#members",
      etag: `"${group.members.length}"`,
    };
    if (members.length > 0) body["members"] = members;
    if (offset + max < group.members.length)
      body["nextPageToken"] = pageToken(offset + max, listing);
    return json(body, now, fields);
  });

  app.notFound(() => resourceNotFound("resource", ctx.clock()));
  return app;
}
