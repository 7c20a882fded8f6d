import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { base64UrlToString, stringToBase64Url } from "./base64.ts";
import { fullSyncRequired, insufficientScope, invalidCredentials, invalidValue, loginRequired, notFound } from "./calendar-errors.ts";
import { calendarListEntry } from "./calendar-list-entry.ts";
import type { EmulatorContext } from "./context.ts";
import type { CalendarMethod } from "./calendar-methods.ts";
import { calendarListGet, calendarListList, routePath } from "./calendar-methods.ts";
import { apiHeaders } from "./headers.ts";
import type { TokenRecord } from "./store.ts";

type CalendarEnv = { Variables: { token: TokenRecord } };

/** The principal a token stands for: the impersonated user, or the service account itself. */
function principal(token: TokenRecord): string {
  return token.subject ?? token.accountEmail;
}

function ok(body: unknown, nowMs: number): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: apiHeaders(nowMs) });
}

function bearer(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header !== null) {
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? "";
  }
  // Google also takes the token as the access_token query parameter.
  return new URL(request.url).searchParams.get("access_token") ?? undefined;
}

function authenticate(ctx: EmulatorContext): MiddlewareHandler<CalendarEnv> {
  return async (c, next) => {
    ctx.stats.apiRequests++;
    const nowMs = ctx.clock();
    const presented = bearer(c.req.raw);
    if (presented === undefined) return loginRequired(nowMs);
    const token = ctx.store.tokens.get(presented);
    if (token === undefined || token.expiresAt <= nowMs) return invalidCredentials(nowMs);
    c.set("token", token);
    await next();
  };
}

/** Answers 403 unless the token has one of the scopes the discovery document lists for `method`. */
function requireScope(ctx: EmulatorContext, method: CalendarMethod): MiddlewareHandler<CalendarEnv> {
  return async (c, next) => {
    const token = c.get("token");
    if (!method.scopes.some((s) => token.scopes.includes(s))) return insufficientScope(method.rpc, method.scopes, ctx.clock());
    await next();
  };
}

// Opaque tokens that carry just enough to resume: list position, or the data version for sync.
function pageToken(offset: number, version: number): string {
  return stringToBase64Url(`p:${version}:${offset}`);
}

function readPageToken(token: string): number | undefined {
  const m = /^p:\d+:(\d{1,9})$/.exec(base64UrlToString(token) ?? "");
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function syncToken(who: string, version: number): string {
  return stringToBase64Url(`s:${version}:${who}`);
}

function listEtag(who: string, version: number): string {
  let h = 0x811c9dc5;
  for (const ch of `${version}:${who}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `"p3${version.toString(36)}${h.toString(36).padStart(7, "0")}"`;
}

const accessRoles = new Set(["freeBusyReader", "reader", "writer", "owner"]);

/** The Calendar v3 routes, mounted under `/calendar/v3`. */
export function calendarRoutes(ctx: EmulatorContext): Hono<CalendarEnv> {
  const app = new Hono<CalendarEnv>();
  app.use("*", authenticate(ctx));

  app.get(routePath(calendarListList), requireScope(ctx, calendarListList), (c) => {
    const nowMs = ctx.clock();
    const { store } = ctx;
    const who = principal(c.get("token"));
    const query = c.req.query();

    const max = query["maxResults"];
    let maxResults = 100;
    if (max !== undefined) {
      if (!/^\d{1,9}$/.test(max) || Number(max) < 1) return invalidValue("maxResults", nowMs);
      maxResults = Math.min(Number(max), 250);
    }
    const minRole = query["minAccessRole"];
    if (minRole !== undefined && !accessRoles.has(minRole)) return invalidValue("minAccessRole", nowMs);

    const ids = store.calendarLists.get(who) ?? [];
    const sync = query["syncToken"];
    if (sync !== undefined) {
      // Nothing changes calendar lists yet, so a current token means "no changes".
      if (sync !== syncToken(who, store.version)) return fullSyncRequired(nowMs);
      return ok({ kind: "calendar#calendarList", etag: listEtag(who, store.version), nextSyncToken: sync, items: [] }, nowMs);
    }

    let offset = 0;
    const page = query["pageToken"];
    if (page !== undefined) {
      const at = readPageToken(page);
      if (at === undefined || at > ids.length) return invalidValue("pageToken", nowMs);
      offset = at;
    }
    const slice = ids.slice(offset, offset + maxResults);
    const items = slice.flatMap((id) => {
      const calendar = store.calendars.get(id);
      return calendar === undefined ? [] : [calendarListEntry(calendar)];
    });
    const next = offset + slice.length;
    const body: Record<string, unknown> = { kind: "calendar#calendarList", etag: listEtag(who, store.version) };
    if (next < ids.length) body["nextPageToken"] = pageToken(next, store.version);
    else body["nextSyncToken"] = syncToken(who, store.version);
    body["items"] = items;
    return ok(body, nowMs);
  });

  app.get(routePath(calendarListGet), requireScope(ctx, calendarListGet), (c) => {
    const nowMs = ctx.clock();
    const token = c.get("token");
    const who = principal(token);
    const requested = c.req.param("calendarId") ?? "";
    const id = requested === "primary" ? who : requested;
    const listed = ctx.store.calendarLists.get(who) ?? [];
    // Every calendar ID is email-shaped (a user's address or `<hex>@group.calendar.google.com`, or a
    // scenario's own ID), and all of them are matched case-insensitively: Google does so for addresses;
    // for group calendar IDs it is unconfirmed. An exact match wins, so two IDs that differ only in
    // case each stay reachable.
    const folded = id.toLowerCase();
    const match = listed.find((x) => x === id) ?? listed.find((x) => x.toLowerCase() === folded);
    const calendar = match === undefined ? undefined : ctx.store.calendars.get(match);
    if (calendar === undefined) return notFound(nowMs);
    return ok(calendarListEntry(calendar), nowMs);
  });

  app.notFound(() => notFound(ctx.clock()));
  return app;
}
