/**
 * `POST /v1/push`: Google's push notifications for the mirror's watch channels. No caller token (Google
 * cannot send one): the channel ID and its secret token (`X-Goog-Channel-Token`) are what the mirror
 * checks. The body is ignored (Google sends none for events), read no further than a few KB. The route
 * has its own rate budget, apart from every caller's; nothing here logs or audits the token.
 *
 * Answers: 200 with no body when the notification was taken (accepted, the `sync` message, or a
 * duplicate — Google retries only what fails with 5xx, and a duplicate needs no retry); 404
 * `no_such_channel` when refused (no channel of this server, or the wrong token: the two are answered
 * alike, so a prober learns nothing), which Google does not retry either; 404 `mirror_off` when the
 * server keeps no mirror; 429 over the budget. `GET /v1/push` answers 405 with `X-Dwd-Push`, so the
 * doctor (and an operator with curl) can tell that the public address reaches this server.
 *
 * @module
 */

import type { Hono } from "hono";
import { readBounded } from "../_internal/read-bounded.ts";
import type { RateConfig } from "../config.ts";
import type { PushHeaders, PushOutcome } from "../mirror/types.ts";
import type { AppContext } from "../pipeline.ts";
import { ProblemError, problemResponse } from "../problem.ts";

/** The most body bytes read of a notification (Google sends none for Calendar events). */
export const pushBodyBytes = 4096;

/** The default budget of /v1/push, shared by every sender (Google), apart from the callers'. */
export const defaultPushRate: RateConfig = { requests: 200, per: "second" };

/** The header `GET /v1/push` answers with: `on` when the mirror runs, `off` when it does not. */
export const pushProbeHeader = "x-dwd-push";

/** The rate-limiter bucket of /v1/push (callers' are `caller:NAME`, subjects' `subject:EMAIL`). */
const pushBucket = "push:google";

const headerValue = (request: Request, name: string): string | undefined =>
  request.headers.get(name) ?? undefined;

/**
 * The notification's `X-Goog-*` headers.
 *
 * @param request the POST
 * @returns the headers the mirror reads (any may be missing)
 */
export function pushHeadersOf(request: Request): PushHeaders {
  return {
    channelId: headerValue(request, "x-goog-channel-id"),
    channelToken: headerValue(request, "x-goog-channel-token"),
    resourceId: headerValue(request, "x-goog-resource-id"),
    resourceState: headerValue(request, "x-goog-resource-state"),
    messageNumber: headerValue(request, "x-goog-message-number"),
  };
}

/**
 * Adds `POST /v1/push` and its probe `GET /v1/push` to the API app.
 *
 * @param app the API app
 * @param ctx the app's context
 */
export function addPushRoutes(app: Hono, ctx: AppContext): void {
  const { options, metrics } = ctx;
  const rate = options.pushRate ?? defaultPushRate;

  const answer = async (request: Request): Promise<Response> => {
    const mirror = options.mirror;
    if (mirror === undefined)
      throw new ProblemError(404, "mirror_off", "This server keeps no mirror: /v1/push is off", {
        hint: 'Add a "mirror" section to the configuration to watch calendars',
      });
    const taken = ctx.rateLimiter.take(pushBucket, rate);
    const decision = taken instanceof Promise ? await taken : taken;
    if (!decision.ok)
      throw new ProblemError(
        429,
        "push_rate_limited",
        `Notifications are over this server's budget of ${rate.requests} per ${rate.per}`,
        {
          hint: `Retry after ${decision.retryAfterSeconds} s; reconcile passes catch up with what is missed`,
          headers: { "retry-after": String(decision.retryAfterSeconds) },
        },
      );
    const tooLarge = (): ProblemError =>
      new ProblemError(
        413,
        "body_too_large",
        `A notification's body is at most ${pushBodyBytes} bytes`,
        { hint: "Google sends Calendar notifications without a body" },
      );
    if (Number(request.headers.get("content-length") ?? "0") > pushBodyBytes) throw tooLarge();
    await readBounded(request.body, pushBodyBytes, tooLarge);
    const outcome: PushOutcome = await mirror.push(pushHeadersOf(request));
    if (outcome === "refused")
      throw new ProblemError(404, "no_such_channel", "No channel of this server matches", {
        hint: "Notifications are taken only for channels this server created, with their token",
      });
    return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
  };

  app.post("/v1/push", async (c) => {
    const started = performance.now();
    let response: Response;
    try {
      response = await answer(c.req.raw);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      response = problemResponse(error);
    }
    metrics.request("/v1/push", "POST", response.status, (performance.now() - started) / 1000);
    return response;
  });
  app.get("/v1/push", () =>
    problemResponse(
      new ProblemError(405, "method_not_allowed", "/v1/push takes Google's notifications by POST", {
        hint: "This is the address Google posts push notifications to; nothing to GET here",
        headers: { allow: "POST", [pushProbeHeader]: options.mirror === undefined ? "off" : "on" },
      }),
    ),
  );
}
