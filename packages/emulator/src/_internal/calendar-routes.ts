import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { aclDelete, aclGet, aclInsert, aclList, aclPatch, aclUpdate } from "./calendar-acl.ts";
import type { CalendarCall } from "./calendar-call.ts";
import {
  calendarsClear,
  calendarsDelete,
  calendarsGet,
  calendarsInsert,
  calendarsPatch,
  calendarsUpdate,
} from "./calendar-calendars.ts";
import {
  insufficientScope,
  invalidCredentials,
  invalidFieldSelection,
  loginRequired,
  notFound,
} from "./calendar-errors.ts";
import {
  eventsDelete,
  eventsGet,
  eventsImport,
  eventsInsert,
  eventsInstances,
  eventsList,
  eventsMove,
  eventsPatch,
  eventsQuickAdd,
  eventsUpdate,
} from "./calendar-events.ts";
import { freebusyQuery } from "./calendar-freebusy.ts";
import {
  calendarListDelete,
  calendarListGet,
  calendarListInsert,
  calendarListList,
  calendarListPatch,
  calendarListUpdate,
} from "./calendar-list.ts";
import { calendarMethods, routePath } from "./calendar-methods.ts";
import type { CalendarMethod } from "./calendar-methods.ts";
import { colorsGet, settingsGet, settingsList } from "./calendar-settings.ts";
import { parseFields, unknownField } from "./fields.ts";
import type { CalendarData } from "./calendar-state.ts";
import type { EmulatorContext } from "./context.ts";
import type { PushHub } from "./push.ts";
import { channelsStop, watch } from "./push.ts";
import type { TokenRecord } from "./store.ts";
import { bump, subjectCounters } from "./traffic-stats.ts";

export type CalendarEnv = { Variables: { token: TokenRecord } };
type Handler = (call: CalendarCall) => Response | Promise<Response>;

/** The principal a token stands for: the impersonated user, or the service account itself. */
export function principal(token: TokenRecord): string {
  return token.subject ?? token.accountEmail;
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

/** Checks the bearer token (401 as Google answers without one, or with an unknown or expired one). */
export function authenticate(ctx: EmulatorContext): MiddlewareHandler<CalendarEnv> {
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

/** What the routes need beyond the context: the current data (replaced on reset) and the push hub. */
export interface CalendarRuntime {
  data(): CalendarData;
  hub: PushHub;
}

function handlers(hub: PushHub): Record<string, Handler> {
  return {
    "calendar.acl.delete": aclDelete,
    "calendar.acl.get": aclGet,
    "calendar.acl.insert": aclInsert,
    "calendar.acl.list": aclList,
    "calendar.acl.patch": aclPatch,
    "calendar.acl.update": aclUpdate,
    "calendar.acl.watch": watch("acl", hub),
    "calendar.calendarList.delete": calendarListDelete,
    "calendar.calendarList.get": calendarListGet,
    "calendar.calendarList.insert": calendarListInsert,
    "calendar.calendarList.list": calendarListList,
    "calendar.calendarList.patch": calendarListPatch,
    "calendar.calendarList.update": calendarListUpdate,
    "calendar.calendarList.watch": watch("calendarList", hub),
    "calendar.calendars.clear": calendarsClear,
    "calendar.calendars.delete": calendarsDelete,
    "calendar.calendars.get": calendarsGet,
    "calendar.calendars.insert": calendarsInsert,
    "calendar.calendars.patch": calendarsPatch,
    "calendar.calendars.update": calendarsUpdate,
    "calendar.channels.stop": channelsStop,
    "calendar.colors.get": colorsGet,
    "calendar.events.delete": eventsDelete,
    "calendar.events.get": eventsGet,
    "calendar.events.import": eventsImport,
    "calendar.events.insert": eventsInsert,
    "calendar.events.instances": eventsInstances,
    "calendar.events.list": eventsList,
    "calendar.events.move": eventsMove,
    "calendar.events.patch": eventsPatch,
    "calendar.events.quickAdd": eventsQuickAdd,
    "calendar.events.update": eventsUpdate,
    "calendar.events.watch": watch("events", hub),
    "calendar.freebusy.query": freebusyQuery,
    "calendar.settings.get": settingsGet,
    "calendar.settings.list": settingsList,
    "calendar.settings.watch": watch("settings", hub),
  };
}

/** IDs of the methods that have a handler (the discovery coverage test compares this with discovery). */
export const servedMethodIds: readonly string[] = Object.keys(handlers({} as PushHub));

/** The query of a request URL (without parsing the whole URL again). */
export function queryOf(url: string): URLSearchParams {
  const q = url.indexOf("?");
  if (q === -1) return new URLSearchParams();
  const hash = url.indexOf("#", q);
  return new URLSearchParams(url.slice(q + 1, hash === -1 ? undefined : hash));
}

function serve(
  ctx: EmulatorContext,
  runtime: CalendarRuntime,
  method: CalendarMethod,
  handler: Handler,
): MiddlewareHandler<CalendarEnv> {
  return async (c) => {
    const token = c.get("token");
    const who = principal(token);
    bump(ctx.stats.byEndpoint, method.id);
    subjectCounters(ctx.stats, who).apiRequests++;
    const matchedScopes = method.scopes.filter((s) => token.scopes.includes(s));
    if (matchedScopes.length === 0)
      return insufficientScope(method.rpc, method.scopes, ctx.clock());
    const query = queryOf(c.req.url);
    const call: CalendarCall = {
      ctx,
      data: runtime.data(),
      method,
      token,
      principal: who,
      asServiceAccount: token.subject === null,
      params: c.req.param(),
      query,
      request: c.req.raw,
      now: ctx.clock(),
      matchedScopes,
    };
    const fields = query.get("fields");
    if (fields !== null) {
      const selection = parseFields(fields);
      if (!(selection instanceof Map)) return invalidFieldSelection(selection.invalid, call.now);
      const unknown = unknownField(selection, method.response);
      if (unknown !== undefined) return invalidFieldSelection(unknown, call.now);
      call.fields = selection;
    }
    return handler(call);
  };
}

/** The Calendar v3 routes, mounted under `/calendar/v3`: every discovery method, scope-checked from the discovery data. */
export function calendarRoutes(ctx: EmulatorContext, runtime: CalendarRuntime): Hono<CalendarEnv> {
  const app = new Hono<CalendarEnv>();
  app.use("*", authenticate(ctx));
  const table = handlers(runtime.hub);
  for (const method of calendarMethods) {
    const handler = table[method.id];
    if (handler === undefined) continue;
    app.on(method.httpMethod, routePath(method), serve(ctx, runtime, method, handler));
  }
  app.notFound(() => notFound(ctx.clock()));
  return app;
}
