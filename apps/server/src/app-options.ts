/**
 * What `createServerApp()` needs and what it gives back (its own module, so the pipeline and the route
 * modules can name them without importing the app).
 *
 * @module
 */

import type { TokenSource } from "@dwd/auth";
import type { Hono } from "hono";
import type { AuditSink } from "./audit.ts";
import type { CalendarPort, FreeBusyMany } from "./calendar-port.ts";
import type { LimitsConfig, RateConfig } from "./config.ts";
import type { CacheKeyStatus } from "./cache-key-check.ts";
import type { DoctorCheck, DoctorReport } from "./doctor.ts";
import type { Idempotency } from "./idempotency.ts";
import type { IdentityVerifier } from "./identity.ts";
import type { RateLimiter } from "./limits.ts";
import type { Metrics } from "./metrics.ts";
import type { Mirror } from "./mirror/types.ts";
import type { Policy } from "./policy.ts";

/** The state of the shared token cache, for /readyz and /metrics. */
export interface CacheStatus {
  /** `memory`, `redis` (shared) or `memory-fallback` (Redis unreachable: this replica's own cache). */
  mode: "memory" | "redis" | "memory-fallback";
  /** Where the rate budgets are: the same three places (memory unless the cache is Redis). */
  budgets?: "memory" | "redis" | "memory-fallback";
  /** Tokens read from the shared store. */
  sharedHits?: number;
  /** Times a replica fell back to its memory cache. */
  fallbacks?: number;
  /** The cache key in use (its ID, never the key) and whether other replicas use another. */
  key?: CacheKeyStatus;
}

/** What the app needs. */
export interface ServerAppOptions {
  /** The current policy (a function, so SIGHUP can swap it between requests). */
  policy: () => Policy;
  tokenSource: TokenSource;
  /** A Calendar client acting as `subject` with `scope` (`createCalendarClient` of `@dwd/calendar`). */
  calendar: (subject: string, scope: string) => CalendarPort;
  /** Free/busy of many subjects in one batch; without it, one call per subject in parallel. */
  freeBusyMany?: FreeBusyMany;
  /** The latest delegation check, or undefined before the first has finished. */
  health: () => DoctorReport | undefined;
  /** Runs the checks again (for /v1/doctor and GET /). */
  recheck: () => Promise<DoctorReport>;
  limits: LimitsConfig;
  audit: AuditSink;
  cacheStatus?: () => CacheStatus;
  metrics?: Metrics;
  /** Idempotency-Key records (memory unless given; Redis-backed with a shared cache). */
  idempotency?: Idempotency;
  /** Verifies the ID tokens of callers known by their workload identity (policy.identities). */
  identity?: IdentityVerifier;
  /** Callers' rates (`caller:<name>`) and subjects' budgets (`subject:<email>`); memory by default. */
  rateLimiter?: RateLimiter;
  now?: () => number;
  version?: string;
  /** Diagnostic lines (already redacted by the caller's sink, redacted again here). */
  log?: (line: string) => void;
  /** Called when a request starts and ends (graceful shutdown counts requests in flight). */
  onRequest?: (delta: 1 | -1) => void;
  /** Process and runtime metrics in the exposition format, appended to /metrics (the Node adapter's). */
  processMetrics?: () => string;
  /**
   * The availability mirror, when the configuration has one: /v1/availability and /v1/freebusy answer
   * its users from it, /v1/push feeds it, /metrics, /readyz and the doctor report it.
   */
  mirror?: Mirror;
  /** The budget of /v1/push, apart from the callers' (default 200 a second). */
  pushRate?: RateConfig;
  /** The mirror's doctor checks (push address reachable, channels live); run with every doctor report. */
  mirrorChecks?: () => Promise<DoctorCheck[]>;
}

/** The app plus its metrics. */
export interface ServerApp {
  app: Hono;
  metrics: Metrics;
  /** The Hono fetch handler. */
  fetch: (request: Request) => Promise<Response>;
  /** The admin listener's handler: the doctor without a token, /metrics, the probes. */
  adminFetch: (request: Request) => Promise<Response>;
}
