/**
 * The operational routes, without a token: `/healthz`, `/readyz` (from the cached delegation check;
 * with a mirror, its state too: `warming` or `ready`, which does not change the status, since users
 * not synced yet are answered live), `/openapi.json` and `/metrics`.
 *
 * @module
 */

import type { Hono } from "hono";
import type { CacheStatus } from "../app-options.ts";
import type { AppContext } from "../pipeline.ts";
import { openApiDocument } from "../routes.ts";
import type { IdentityStats } from "../identity.ts";
import { renderMirrorMetrics } from "../metrics.ts";

/** The workload-identity counters, under /metrics. */
function identityMetrics(
  stats: IdentityStats,
): Record<string, { help: string; type: "counter"; value: number }> {
  return {
    dwd_identity_tokens_verified_total: {
      help: "ID tokens whose signature and claims were checked (not from the verified-token cache).",
      type: "counter",
      value: stats.verified,
    },
    dwd_identity_cache_hits_total: {
      help: "Requests whose ID token was found in the verified-token cache.",
      type: "counter",
      value: stats.cacheHits,
    },
    dwd_identity_tokens_refused_total: {
      help: "ID tokens refused: invalid, or matching no caller.",
      type: "counter",
      value: stats.refused,
    },
    dwd_identity_key_fetches_total: {
      help: "Fetches of issuers' keys (JWKS and discovery documents).",
      type: "counter",
      value: stats.keyFetches,
    },
    dwd_identity_key_fetch_failures_total: {
      help: "Fetches of issuers' keys that failed.",
      type: "counter",
      value: stats.keyFetchFailures,
    },
  };
}

/**
 * Adds the operational routes to `app`.
 *
 * @param app the app
 * @param ctx the app's context
 * @param version the server's version (in /openapi.json)
 */
export function addOperationalRoutes(app: Hono, ctx: AppContext, version: string): void {
  const openApi = JSON.stringify(openApiDocument(version));
  const cacheStatus = (): CacheStatus => ctx.options.cacheStatus?.() ?? { mode: "memory" };
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const report = ctx.options.health();
    const cache = cacheStatus();
    const ready = report?.ok === true;
    const mirror = ctx.options.mirror?.status();
    const body = {
      ready,
      delegation:
        report === undefined
          ? "not checked yet"
          : report.ok
            ? "checked: ok"
            : `checked: ${report.checks.filter((x) => x.status === "fail").length} check(s) failed`,
      cache:
        cache.mode === "memory-fallback"
          ? "memory fallback: Redis is unreachable, this replica mints its own tokens"
          : cache.mode,
      budgets:
        cache.budgets === "memory-fallback"
          ? "memory fallback: Redis is unreachable, this replica counts rates alone"
          : (cache.budgets ?? "memory"),
      ...(cache.key === undefined
        ? {}
        : {
            cacheKey:
              cache.key.foreignId === undefined
                ? `key ${cache.key.id ?? "?"}${cache.key.previousId !== undefined ? ` (reads key ${cache.key.previousId} too)` : ""}`
                : `mismatch: Redis holds entries of key ${cache.key.foreignId}, this replica's is ${cache.key.id ?? "?"} (${cache.key.mismatches} found): replicas do not share tokens; set the same DWD_CACHE_KEY on every replica`,
          }),
      // The mirror's state: /readyz stays 200 while it warms (users not synced yet are answered live).
      ...(mirror === undefined
        ? {}
        : {
            mirror: {
              state: mirror.state,
              users: mirror.users,
              synced: mirror.synced,
              channelsLive: mirror.channelsLive,
            },
          }),
      // Which checks failed, not their details: those name the delegation (the doctor has them).
      ...(report?.ok === false
        ? { failed: report.checks.filter((x) => x.status === "fail").map((x) => x.id) }
        : {}),
    };
    return c.json(body, ready ? 200 : 503);
  });
  app.get("/openapi.json", (c) => c.body(openApi, 200, { "content-type": "application/json" }));
  app.get("/metrics", (c) => {
    const stats = ctx.options.tokenSource.stats;
    const cache = cacheStatus();
    const text = ctx.metrics.render(() => ({
      dwd_token_exchanges_total: {
        help: "Token-endpoint exchanges made by this replica.",
        type: "counter",
        value: stats.exchanges,
      },
      dwd_token_cache_hits_total: {
        help: "Token requests answered from a cache (memory or shared).",
        type: "counter",
        value: stats.hits,
      },
      dwd_token_cache_shared: {
        help: "1 while the shared Redis token cache is in use, 0 on memory (or memory fallback).",
        type: "gauge",
        value: cache.mode === "redis" ? 1 : 0,
      },
      dwd_token_cache_fallback: {
        help: "1 while Redis is unreachable and this replica uses its own memory cache.",
        type: "gauge",
        value: cache.mode === "memory-fallback" ? 1 : 0,
      },
      dwd_rate_budgets_shared: {
        help: "1 while callers' rates and subjects' budgets are kept in Redis, shared by every replica.",
        type: "gauge",
        value: cache.budgets === "redis" ? 1 : 0,
      },
      dwd_rate_budgets_fallback: {
        help: "1 while Redis is unreachable and this replica counts rates and budgets alone.",
        type: "gauge",
        value: cache.budgets === "memory-fallback" ? 1 : 0,
      },
      ...(ctx.options.identity === undefined ? {} : identityMetrics(ctx.options.identity.stats)),
      ...(cache.key === undefined
        ? {}
        : {
            dwd_token_cache_key_mismatches_total: {
              help: "Entries or markers in Redis sealed by a cache key this replica does not hold (never overwritten).",
              type: "counter" as const,
              value: cache.key.mismatches,
            },
          }),
      dwd_rate_budgets_tracked: {
        help: "Rate budgets this replica keeps in memory (full ones are forgotten; at most 100,000).",
        type: "gauge",
        value: ctx.rateLimiter.size?.() ?? 0,
      },
      dwd_token_cache_fallbacks_total: {
        help: "Times this replica fell back from Redis to its memory cache.",
        type: "counter",
        value: cache.fallbacks ?? 0,
      },
    }));
    const mirror = ctx.options.mirror;
    const mirrorText =
      mirror === undefined ? "" : renderMirrorMetrics(mirror.status(), mirror.counters);
    return c.body(text + mirrorText + (ctx.options.processMetrics?.() ?? ""), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });
}
