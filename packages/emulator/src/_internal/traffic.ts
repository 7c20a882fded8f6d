import type { MiddlewareHandler } from "hono";
import { base64UrlToString } from "./base64.ts";
import { isBatchPart } from "./batch-parts.ts";
import { dropHeader } from "./connection-reset.ts";
import { backendError, rateLimitExceeded, serviceUnavailable } from "./calendar-errors.ts";
import type { EmulatorRuntime } from "./emulator-runtime.ts";
import type { FaultKind } from "./faults.ts";
import { tokenPaths } from "./token-endpoint.ts";
import { bump, subjectCounters } from "./traffic-stats.ts";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The `sub` an assertion asks for (unverified; only for the per-subject counters). */
async function requestedSubject(request: Request): Promise<string | undefined> {
  try {
    const form = new URLSearchParams(await request.clone().text());
    const claims = JSON.parse(
      base64UrlToString(form.get("assertion")?.split(".")[1] ?? "") ?? "null",
    ) as { sub?: unknown; iss?: unknown } | null;
    const who = claims?.sub ?? claims?.iss;
    return typeof who === "string" ? who.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

function injected(
  kind: Exclude<FaultKind, "reset">,
  runtime: EmulatorRuntime,
  nowMs: number,
): Response {
  switch (kind) {
    case "429":
      return rateLimitExceeded(429, nowMs, runtime.ctx.faults.retryAfterSeconds ?? 1);
    case "403":
      return rateLimitExceeded(403, nowMs);
    case "500":
      return backendError(nowMs);
    case "503":
      return serviceUnavailable(nowMs);
  }
}

/**
 * Counts traffic and injects faults in front of every route but the control API: latency on every
 * request (not on the parts of a batch), then for Calendar calls and batch parts a seeded draw of
 * 429 (with Retry-After), 403 rateLimitExceeded, 500, 503, or a reset. A reset lets the call run
 * and then drops its response (the worst case for a non-idempotent write); inside a batch a drawn
 * reset becomes a 503 part, since one part cannot reset the batch's connection.
 */
export function traffic(runtime: EmulatorRuntime): MiddlewareHandler {
  const { ctx } = runtime;
  return async (c, next) => {
    const path = c.req.path;
    if (path.startsWith("/_emulator/") || path === "/_emulator") return next();
    const part = isBatchPart(c.req.raw);
    const latency = ctx.faults.latencyMs ?? 0;
    if (!part && latency > 0) await sleep(latency);
    if (tokenPaths.includes(path)) {
      bump(ctx.stats.byEndpoint, "token");
      const who = await requestedSubject(c.req.raw);
      if (who !== undefined) subjectCounters(ctx.stats, who).tokenRequests++;
      if (ctx.faults.tokenOutage === true) bump(ctx.stats.faultsInjected, "tokenOutage");
    }
    if (path.startsWith("/v1/projects/") && path.endsWith(":signJwt"))
      bump(ctx.stats.byEndpoint, "iam.signJwt");
    let fault: FaultKind | undefined;
    if (path.startsWith("/calendar/v3/")) {
      ctx.stats.calendarRequests++;
      fault = runtime.injector.draw();
      if (fault === "reset" && part) fault = "503";
      if (fault !== undefined) bump(ctx.stats.faultsInjected, fault);
      if (fault !== undefined && fault !== "reset") {
        ctx.stats.apiRequests++;
        return injected(fault, runtime, ctx.clock());
      }
    }
    await next();
    if (fault === "reset") c.res.headers.set(dropHeader, "1");
    if (part) return;
    const res = c.res;
    // Answers that state their length are counted as they are; others (a batch's, written as its parts
    // complete) as their bytes go out.
    const length = Number(res.headers.get("content-length") ?? Number.NaN);
    if (Number.isSafeInteger(length) && length >= 0) ctx.stats.bytesSent += length;
    else if (res.body !== null) c.res = new Response(counted(res.body, ctx.stats), res);
  };
}

/** `body` with its bytes added to `stats.bytesSent` as they are read. */
function counted(
  body: ReadableStream<Uint8Array>,
  stats: { bytesSent: number },
): ReadableStream<Uint8Array> {
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        stats.bytesSent += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
}
