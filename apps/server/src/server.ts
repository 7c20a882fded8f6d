/**
 * `createServer()`: wires a validated configuration into a running app — token source (memory, or
 * shared through a store such as Redis), policy (swappable on reload), Calendar clients with upstream
 * timeouts, the delegation check behind /readyz, the audit sink. Runtime-neutral: the Node and Deno
 * entries only listen.
 *
 * @module
 */

import { createTokenSource, redactSecrets } from "@dwd/auth";
import type {
  FetchLike,
  JwtSigner,
  ServiceAccountKey,
  SharedTokenSource,
  SharedTokenStore,
  TokenSource,
} from "@dwd/auth";
import { createSharedTokenSource } from "@dwd/auth";
import { createCalendarClient, withScopeFallback } from "@dwd/calendar";
import type { CalendarClient } from "@dwd/calendar";
import type { CacheStatus, ServerApp } from "./app.ts";
import { createServerApp } from "./app.ts";
import { currentTraceparent } from "./_internal/trace-context.ts";
import type { AuditSink } from "./audit.ts";
import type { CalendarPort, FreeBusyMany } from "./calendar-port.ts";
import type { RateConfig, ServerConfig } from "./config.ts";
import { mirrorSubjects } from "./config.ts";
import { createMirror } from "./mirror/engine.ts";
import { createMemoryMirrorStore } from "./mirror/store.ts";
import type { MirrorStore } from "./mirror/store.ts";
import type { Mirror } from "./mirror/types.ts";
import type { DoctorCheck, DoctorReport } from "./doctor.ts";
import type { IdempotencyStore } from "./idempotency.ts";
import { createIdempotency, createMemoryIdempotencyStore, withFallback } from "./idempotency.ts";
import { createIdentityVerifier } from "./identity.ts";
import { recordSealer } from "./_internal/record-sealer.ts";
import { runDoctor, runMirrorChecks } from "./doctor.ts";
import type { Policy } from "./policy.ts";
import { compilePolicy } from "./policy.ts";
import { createRateLimiter, createSharedRateLimiter } from "./limits.ts";
import { createCacheKeyCheck } from "./cache-key-check.ts";
import { rateKeyNamer } from "./_internal/rate-key-name.ts";
import type { RateStore } from "./limits.ts";

/** How long a delegation check's report is answered from the cache (/v1/doctor, /readyz). */
export const checkIntervalMs = 60_000;

/** What {@link createServer} needs besides the configuration. */
export interface CreateServerOptions {
  /** The loaded key, or a keyless signer. */
  credentials: ServiceAccountKey | JwtSigner;
  config: ServerConfig;
  audit: AuditSink;
  /** Diagnostic lines (stderr); every line is redacted. */
  log?: (line: string) => void;
  /** The transport to Google (or the emulator); every call gets the configured timeout. */
  fetch?: UpstreamFetch;
  /**
   * A shared token store (Redis), with the cache key that seals tokens at rest and names entries and
   * budgets (DWD_CACHE_KEY), and the one before a rotation (DWD_CACHE_KEY_PREVIOUS).
   */
  shared?: {
    store: SharedTokenStore;
    secret: string;
    previousSecret?: string;
    rates?: RateStore;
    /** Where Idempotency-Key records go, shared by every replica. */
    idempotency?: IdempotencyStore;
  };
  now?: () => number;
  version?: string;
  /** Replaces the Calendar client factory (tests; other Calendar transports). */
  calendar?: (subject: string, scope: string, tokenSource: TokenSource) => CalendarPort;
  /** Skips the delegation check at start (tests that drive it themselves). */
  skipInitialCheck?: boolean;
  /** Process and runtime metrics for /metrics (the Node entry's `createProcessMetrics()`). */
  processMetrics?: () => string;
  /**
   * Where the mirror's state lives when `config.mirror` is set: the Node entry passes the Redis store
   * when the cache is Redis; default this process's memory.
   */
  mirrorStore?: MirrorStore;
  /** Replaces the mirror `config.mirror` would create (tests: a fake that records its calls). */
  mirror?: Mirror;
  /** The transport of the doctor's probe of `mirror.pushUrl` (default: `fetch`, with its timeout). */
  probeFetch?: UpstreamFetch;
  /** The budget of /v1/push, apart from the callers' (default 200 a second). */
  pushRate?: RateConfig;
}

/** The scope the mirror reads with (falling back to `calendar` where only that is granted). */
export const mirrorScope = "https://www.googleapis.com/auth/calendar.readonly";

/** A configured server. */
export interface DwdServer extends ServerApp {
  tokenSource: TokenSource;
  /** Swaps the policy (callers, lists) between requests. */
  reload(config: ServerConfig): void;
  /** The current policy. */
  policy(): Policy;
  /** The first delegation check (resolves once /readyz can answer). */
  checked: Promise<DoctorReport>;
  /** Requests in flight. */
  inFlight(): number;
  /**
   * The availability mirror when `config.mirror` is set (not started: the Node entry starts it once
   * listening, and closes it on SIGTERM).
   */
  mirror?: Mirror;
}

/** What dwd-server sends upstream (the token endpoint, the Calendar API): a subset of `RequestInit`. */
export interface UpstreamInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** What it reads of an answer: a subset of `Response` (a Web `Response` is one). */
export interface UpstreamResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/** The transport to Google: `globalThis.fetch`, or any function of this shape. */
export type UpstreamFetch = (input: string, init?: UpstreamInit) => Promise<UpstreamResponse>;

/**
 * A fetch that gives up after `timeoutMs`, the answer's body included: the request is aborted with a
 * `TimeoutError` (as `AbortSignal.timeout` does) unless its body has been read by then. One timer per
 * call, cleared once the body is read, and the caller's signal followed by one listener, removed then:
 * `AbortSignal.timeout` and `AbortSignal.any` cost more per call and left a timer behind for every call.
 *
 * @param base the underlying fetch
 * @param timeoutMs the timeout
 * @returns the wrapped fetch, in the `FetchLike` shape `@dwd/auth` and `@dwd/calendar` take
 */
export function fetchWithTimeout(base: UpstreamFetch, timeoutMs: number): FetchLike {
  return async (url, init) => {
    const own = init?.signal;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(own?.reason);
    if (own?.aborted === true) onAbort();
    else own?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () =>
        controller.abort(
          new DOMException("The operation was aborted due to timeout", "TimeoutError"),
        ),
      timeoutMs,
    );
    const done = (): void => {
      clearTimeout(timer);
      own?.removeEventListener("abort", onAbort);
    };
    let response: UpstreamResponse;
    try {
      response = await base(url, { ...init, signal: controller.signal });
    } catch (error) {
      done();
      throw error;
    }
    const read = <T>(body: Promise<T>): Promise<T> =>
      body.then(
        (value) => {
          done();
          return value;
        },
        (error: unknown) => {
          done();
          throw error;
        },
      );
    const answer = response;
    return {
      status: answer.status,
      ok: answer.ok,
      headers: answer.headers,
      text: () => read(answer.text()),
      ...(answer.arrayBuffer !== undefined
        ? { arrayBuffer: () => read(answer.arrayBuffer!()) }
        : {}),
    };
  };
}

/** `@dwd/calendar`'s client, acting as one user, as the small interface the app calls. */
function adaptClient(c: CalendarClient): CalendarPort {
  const e = c.events;
  return {
    calendarList: { get: (id) => c.calendarList.get(id) },
    events: {
      list: (id, params) => e.list(id, params),
      get: (id, eventId, params) => e.get(id, eventId, params),
      update: (id, eventId, event, params) => e.update(id, eventId, event, params),
      move: (id, eventId, destination, params) => e.move(id, eventId, destination, params),
      instances: (id, eventId, params) => e.instances(id, eventId, params),
      insert: (id, event, params) => e.insert(id, event, params),
      patch: (id, eventId, patch, params) => e.patch(id, eventId, patch, params),
      delete: (id, eventId, params) => e.delete(id, eventId, params),
    },
    freebusy: { query: (body) => c.freebusy.query(body) },
  };
}

/**
 * Creates the server from a configuration.
 *
 * @param options credentials, configuration, audit sink, transport, shared store
 * @returns the server
 * @example
 * ```ts
 * const server = createServer({ credentials: await loadKey("key.json"), config, audit: (l) => console.log(l) });
 * Deno.serve(server.fetch);
 * ```
 */
export function createServer(options: CreateServerOptions): DwdServer {
  const { config } = options;
  const log = (line: string): void =>
    (options.log ?? ((l: string) => console.error(l)))(redactSecrets(line));
  const timed = fetchWithTimeout(
    options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    config.limits.upstreamTimeoutMs,
  );
  // Upstream calls made for a request that came with a traceparent carry it (this server's span).
  const fetch: FetchLike = (url, init) => {
    const traceparent = currentTraceparent();
    return timed(
      url,
      traceparent === undefined ? init : { ...init, headers: { ...init?.headers, traceparent } },
    );
  };
  let policy = compilePolicy(config.callers, config.subjectLists);
  const delegatedScopes = (): string[] => [...policy.allScopes];
  const base = createTokenSource(options.credentials, {
    fetch,
    ...(options.now ? { now: options.now } : {}),
    ...(config.delegation.tokenUri ? { tokenUri: config.delegation.tokenUri } : {}),
    delegatedScopes: [
      ...delegatedScopes(),
      ...(config.mirror !== undefined && !policy.allScopes.includes(mirrorScope)
        ? [mirrorScope]
        : []),
    ],
    // As the Calendar calls below: a caller waits on us, so the exchange (its retries included) ends
    // within the upstream timeout, and an outage is answered as one (503) rather than as our timeout.
    timeoutMs: config.limits.upstreamTimeoutMs,
    retry: { retries: 2 },
  });
  const shared: SharedTokenSource | undefined = options.shared
    ? createSharedTokenSource(base, {
        store: options.shared.store,
        secret: options.shared.secret,
        ...(options.shared.previousSecret !== undefined
          ? { previousSecret: options.shared.previousSecret }
          : {}),
        onKeyMismatch: (keyId) => keyCheck?.noteMismatch(keyId),
        ...(options.now ? { now: options.now } : {}),
        onModeChange: (mode, error) =>
          log(
            JSON.stringify({
              level: mode === "shared" ? "info" : "warn",
              msg:
                mode === "shared"
                  ? "token cache: Redis is back, sharing tokens again"
                  : `token cache: Redis unreachable, using this replica's memory cache (${error instanceof Error ? error.message : String(error)})`,
            }),
          ),
      })
    : undefined;
  const tokenSource: TokenSource = shared ?? base;
  // Every replica on the Redis must hold the same cache key: checked at start, then by /readyz and /metrics.
  const keyCheck =
    shared === undefined || options.shared === undefined
      ? undefined
      : createCacheKeyCheck({
          store: options.shared.idempotency ?? options.shared.store,
          keyIds: () => shared.keyIds(),
          log,
          ...(options.now ? { now: options.now } : {}),
        });
  void keyCheck?.check();
  // One client per scope (they share the token source); `.as(subject)` acts as each user.
  const clients = new Map<string, CalendarClient>();
  const clientFor = (scope: string): CalendarClient => {
    let client = clients.get(scope);
    if (client === undefined) {
      client = createCalendarClient({
        tokenSource: withScopeFallback(tokenSource), // calendar.readonly falls back to calendar if not granted
        scopes: [scope],
        fetch,
        timeoutMs: config.limits.upstreamTimeoutMs,
        // A caller waits on us: a few quick retries, never Google's full backoff ladder.
        retry: { retries: 2 },
        ...(config.delegation.calendarRoot ? { rootUrl: config.delegation.calendarRoot } : {}),
      });
      clients.set(scope, client);
    }
    return client;
  };
  const calendar = (subject: string, scope: string): CalendarPort =>
    options.calendar?.(subject, scope, tokenSource) ?? adaptClient(clientFor(scope).as(subject));
  const freeBusyMany: FreeBusyMany | undefined = options.calendar
    ? undefined
    : async (subjects, scope, range) => {
        // Each user's token first, every promise settled here: a user who fails at the token endpoint
        // (unknown, suspended, scope not granted) is that user's answer, and the batch carries only
        // users who have a token (its own token lookups then come from the cache).
        const tokens = await Promise.allSettled(
          subjects.map((subject) => tokenSource.getToken({ subject, scopes: [scope] })),
        );
        const outcomes: Awaited<ReturnType<FreeBusyMany>> = {};
        const ready: string[] = [];
        subjects.forEach((s, i) => {
          const t = tokens[i]!;
          if (t.status === "rejected") outcomes[s] = { ok: false, error: t.reason };
          else ready.push(s);
        });
        if (ready.length === 0) return outcomes;
        try {
          const results = await clientFor(scope).batch((b) =>
            ready.map((s) => b.as(s).freebusy.query({ ...range, items: [{ id: s }] })),
          );
          ready.forEach((s, i) => (outcomes[s] = results[i]!));
        } catch (error) {
          for (const s of ready) outcomes[s] = { ok: false, error };
        }
        return outcomes;
      };

  // The mirror: its own client (background work, so Google's full retry ladder, not a caller's few).
  const mirror: Mirror | undefined =
    options.mirror ??
    (config.mirror === undefined
      ? undefined
      : createMirror({
          config: config.mirror,
          subjects: mirrorSubjects(config),
          client: createCalendarClient({
            tokenSource: withScopeFallback(tokenSource),
            scopes: [mirrorScope],
            fetch,
            timeoutMs: config.limits.upstreamTimeoutMs,
            ...(config.delegation.calendarRoot ? { rootUrl: config.delegation.calendarRoot } : {}),
          }),
          store: options.mirrorStore ?? createMemoryMirrorStore(),
          log,
          ...(options.now ? { now: options.now } : {}),
        }));
  const pushUrl = config.mirror?.pushUrl;
  const probeFetch: FetchLike =
    options.probeFetch === undefined
      ? timed
      : fetchWithTimeout(options.probeFetch, config.limits.upstreamTimeoutMs);
  const mirrorChecks =
    mirror === undefined || pushUrl === undefined
      ? undefined
      : (): Promise<DoctorCheck[]> => runMirrorChecks({ mirror, pushUrl, fetch: probeFetch });

  let report: DoctorReport | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  const clock = options.now ?? Date.now;
  const check = async (): Promise<DoctorReport> => {
    report = await runDoctor({
      tokenSource,
      subject: config.delegation.checkSubject,
      // Not the mirror's scope: it falls back to `calendar` where only that is granted (the doctor's
      // `channels` check reports a mirror that cannot read).
      scopes: policy.allScopes,
      calendar,
      fetch,
      ...(options.now ? { now: options.now } : {}),
    });
    checkedAt = clock();
    return report;
  };
  let recheckRunning: Promise<DoctorReport> | undefined;
  // One check against Google per interval, whatever asks (the doctor, /readyz): younger reports are
  // answered from the cache, and concurrent askers share the one check running.
  const recheck = (): Promise<DoctorReport> =>
    report !== undefined && clock() - checkedAt < checkIntervalMs
      ? Promise.resolve(report)
      : (recheckRunning ??= check().finally(() => (recheckRunning = undefined)));
  /** The cached report for /readyz; a stale one starts a check in the background. */
  const health = (): DoctorReport | undefined => {
    if (
      report !== undefined &&
      recheckRunning === undefined &&
      clock() - checkedAt >= checkIntervalMs
    )
      recheck().then(undefined, (error: unknown) =>
        log(JSON.stringify({ level: "error", msg: `delegation check crashed: ${String(error)}` })),
      );
    return report;
  };
  const checked = options.skipInitialCheck
    ? Promise.resolve(undefined as unknown as DoctorReport)
    : recheck();
  checked.then(
    (r) =>
      r &&
      log(
        JSON.stringify({
          level: r.ok ? "info" : "warn",
          msg: r.ok ? "delegation checked: ok" : "delegation check failed",
          failed: r.checks.filter((c) => c.status === "fail").map((c) => c.detail),
        }),
      ),
    (error: unknown) =>
      log(JSON.stringify({ level: "error", msg: `delegation check crashed: ${String(error)}` })),
  );

  // Callers' rates and subjects' budgets: in Redis with the token cache, else this replica's memory.
  const rates = options.shared?.rates;
  const sharedRates =
    rates === undefined
      ? undefined
      : createSharedRateLimiter(
          rates,
          createRateLimiter(options.now),
          (mode) =>
            log(
              JSON.stringify({
                level: mode === "redis" ? "info" : "warn",
                msg:
                  mode === "redis"
                    ? "rate budgets: Redis is back, budgets are shared again"
                    : "rate budgets: Redis unreachable, this replica counts rates alone",
              }),
            ),
          rateKeyNamer(options.shared!.secret),
        );
  let inFlight = 0;
  const cacheStatus = (): CacheStatus => {
    if (shared === undefined) return { mode: "memory" };
    void keyCheck?.check();
    return {
      mode: shared.mode === "shared" ? "redis" : "memory-fallback",
      sharedHits: shared.sharedStats.storeHits,
      fallbacks: shared.sharedStats.fallbacks,
      budgets: sharedRates?.mode() ?? "memory",
      ...(keyCheck ? { key: keyCheck.status() } : {}),
    };
  };
  // Callers known by their workload identity: keys and verified tokens are cached across reloads.
  const identity = createIdentityVerifier({
    log,
    ...(options.now ? { now: options.now } : {}),
  });
  // Idempotency-Key records: in Redis with the shared cache (named and sealed under the cache key;
  // this replica's memory for any operation Redis fails), else in memory. A running request holds its
  // key for up to three upstream timeouts, should its replica die meanwhile.
  const memoryRecords = createMemoryIdempotencyStore(options.now);
  const sharedRecords = options.shared?.idempotency;
  const idempotency = createIdempotency({
    store: sharedRecords === undefined ? memoryRecords : withFallback(sharedRecords, memoryRecords),
    ...(sharedRecords !== undefined ? { sealer: recordSealer(options.shared!.secret) } : {}),
    runningTtlMs: 3 * config.limits.upstreamTimeoutMs + 5000,
  });
  const serverApp = createServerApp({
    policy: () => policy,
    idempotency,
    identity,
    tokenSource,
    calendar,
    ...(freeBusyMany ? { freeBusyMany } : {}),
    health,
    recheck,
    limits: config.limits,
    audit: options.audit,
    cacheStatus,
    ...(sharedRates ? { rateLimiter: sharedRates } : {}),
    log,
    ...(options.now ? { now: options.now } : {}),
    ...(options.version ? { version: options.version } : {}),
    onRequest: (d) => (inFlight += d),
    ...(options.processMetrics ? { processMetrics: options.processMetrics } : {}),
    ...(mirror ? { mirror } : {}),
    ...(mirrorChecks ? { mirrorChecks } : {}),
    ...(options.pushRate ? { pushRate: options.pushRate } : {}),
  });
  return {
    ...serverApp,
    ...(mirror ? { mirror } : {}),
    tokenSource,
    checked,
    policy: () => policy,
    inFlight: () => inFlight,
    reload(next) {
      policy = compilePolicy(next.callers, next.subjectLists);
    },
  };
}
