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
import type { DoctorReport } from "../doctor.ts";
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
      const report = await reportOf(ctx);
      return json(report, report.ok ? 200 : 503);
    },
    async doctorPage() {
      const report = await reportOf(ctx);
      return { status: report.ok ? 200 : 503, html: doctorPage(report) };
    },
  };
}

/** The delegation's report (cached), with the mirror's checks run now when there is a mirror. */
async function reportOf(ctx: AppContext): Promise<DoctorReport> {
  const report = await ctx.options.recheck();
  const more = ctx.options.mirrorChecks;
  if (more === undefined) return report;
  const checks = [...report.checks, ...(await more())];
  return { ...report, checks, ok: checks.every((c) => c.status !== "fail") };
}

/**
 * The doctor without a token, for the admin listener (an operator's network only).
 *
 * @param app the admin app
 * @param ctx the app's context
 */
export function addOpenDoctorRoutes(app: Hono, ctx: AppContext): void {
  app.get("/v1/doctor", async (c) => {
    const report = await reportOf(ctx);
    return c.json(report, report.ok ? 200 : 503);
  });
  app.get("/", async (c) => {
    const report = await reportOf(ctx);
    return c.html(doctorPage(report), report.ok ? 200 : 503);
  });
}
