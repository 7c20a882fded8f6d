/**
 * `GET /v1/doctor` and `GET /`: the delegation's health, as JSON and as a page, for a caller whose
 * policy allows `doctor` (the report names the service account, its client ID and every scope). The
 * report is the cached one (at most one check against Google per interval, whatever the rate).
 *
 * @module
 */

import type { Hono } from "hono";
import { json } from "../_internal/reply.ts";
import { doctorPage } from "../doctor.ts";
import type { AppContext, Handler } from "../pipeline.ts";

/**
 * The doctor's handlers, by operationId (policy-guarded, on the API listener).
 *
 * @param ctx the app's context
 * @returns the handlers
 */
export function doctorHandlers(ctx: AppContext): Record<string, Handler> {
  return {
    async doctor() {
      const report = await ctx.options.recheck();
      return json(report, report.ok ? 200 : 503);
    },
    async doctorPage() {
      const report = await ctx.options.recheck();
      return { status: report.ok ? 200 : 503, html: doctorPage(report) };
    },
  };
}

/**
 * The doctor without a token, for the admin listener (an operator's network only).
 *
 * @param app the admin app
 * @param ctx the app's context
 */
export function addOpenDoctorRoutes(app: Hono, ctx: AppContext): void {
  app.get("/v1/doctor", async (c) => {
    const report = await ctx.options.recheck();
    return c.json(report, report.ok ? 200 : 503);
  });
  app.get("/", async (c) => {
    const report = await ctx.options.recheck();
    return c.html(doctorPage(report), report.ok ? 200 : 503);
  });
}
