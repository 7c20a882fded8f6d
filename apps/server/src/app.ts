/**
 * `createServerApp()`: the dwd-server HTTP API as a Hono app over Web-standard Request/Response
 * (runs on Node through an adapter, on Deno with `Deno.serve(app.fetch)`). The parts: the guard
 * pipeline (pipeline.ts), one module per route group (routes/*.ts), the problem mapping
 * (upstream-problem.ts); every Google call goes through `@dwd/auth` and `@dwd/calendar`.
 *
 * @module
 */

import { redactSecrets } from "@dwd/auth";
import { Hono } from "hono";
import type { ServerApp, ServerAppOptions } from "./app-options.ts";
import { createRateLimiter } from "./limits.ts";
import { createMetrics } from "./metrics.ts";
import type { AppContext, Handler } from "./pipeline.ts";
import { createGuard } from "./pipeline.ts";
import { ProblemError, problemResponse } from "./problem.ts";
import { routes } from "./routes.ts";
import { calendarListHandlers } from "./routes/calendar-list.ts";
import { addOpenDoctorRoutes, doctorHandlers } from "./routes/doctor.ts";
import { eventsHandlers } from "./routes/events.ts";
import { freeBusyHandlers } from "./routes/freebusy.ts";
import { addOperationalRoutes } from "./routes/operational.ts";
import { addPushRoutes } from "./routes/push.ts";
import { tokenHandlers } from "./routes/token.ts";
import { errorText } from "./upstream-problem.ts";

export type { CacheStatus, ServerApp, ServerAppOptions } from "./app-options.ts";
export { eventIdFor } from "./routes/events.ts";

/**
 * Creates the dwd-server app.
 *
 * @param options policy, token source, calendar factory, health, limits, audit sink
 * @returns the app, its metrics and its fetch handler
 * @example
 * ```ts
 * const { fetch } = createServerApp({ policy: () => policy, tokenSource, calendar, health, recheck, limits, audit: console.log });
 * Deno.serve(fetch);
 * ```
 */
export function createServerApp(options: ServerAppOptions): ServerApp {
  const now = options.now ?? Date.now;
  const ctx: AppContext = {
    options,
    now,
    rateLimiter: options.rateLimiter ?? createRateLimiter(now),
    log: (line) => (options.log ?? ((l: string) => console.error(l)))(redactSecrets(line)),
    metrics: options.metrics ?? createMetrics(),
  };
  const app = new Hono();
  const guarded = createGuard(ctx);
  const handlers: Record<string, Handler> = {
    ...calendarListHandlers(ctx),
    ...eventsHandlers(ctx),
    ...freeBusyHandlers(ctx),
    ...tokenHandlers(ctx),
    ...doctorHandlers(ctx),
  };

  for (const route of routes) {
    if (route.operation === undefined) continue;
    const handler = handlers[route.operationId];
    if (handler === undefined) throw new Error(`no handler for ${route.operationId}`);
    app.on(
      route.method.toUpperCase(),
      route.path.replace(/\{(\w+)\}/g, ":$1"),
      guarded(route, handler),
    );
  }
  addOperationalRoutes(app, ctx, options.version ?? "0.0.0");
  addPushRoutes(app, ctx);

  app.notFound(() =>
    problemResponse(
      new ProblemError(404, "no_such_route", "No such route", {
        hint: "See /openapi.json for the routes",
      }),
    ),
  );
  app.onError((error) => {
    ctx.log(JSON.stringify({ level: "error", msg: errorText(error) }));
    return problemResponse(
      new ProblemError(500, "internal_error", "The server failed while handling the request", {
        hint: "See the server's log",
      }),
    );
  });

  // The admin listener's app: the doctor without a token, beside /metrics and the probes.
  const admin = new Hono();
  addOpenDoctorRoutes(admin, ctx);
  addOperationalRoutes(admin, ctx, options.version ?? "0.0.0");
  admin.notFound(() =>
    problemResponse(
      new ProblemError(404, "no_such_route", "No such route on the admin listener", {
        hint: "It serves /, /v1/doctor, /metrics, /healthz and /readyz",
      }),
    ),
  );

  return {
    app,
    metrics: ctx.metrics,
    fetch: async (request) => await app.fetch(request),
    adminFetch: async (request) => await admin.fetch(request),
  };
}
