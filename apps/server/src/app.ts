/**
 * `createServerApp()`: the dwd-server HTTP API as a Hono app over Web-standard Request/Response
 * (runs on Node through an adapter, on Deno with `Deno.serve(app.fetch)`). Policy, validation,
 * limits, audit, problem+json and metrics are here; every Google call goes through `@dwd/auth` and
 * `@dwd/calendar`.
 *
 * @module
 */

import { DwdError, normalizeScopes, redactSecrets } from "@dwd/auth";
import type { TokenSource } from "@dwd/auth";
import { Hono } from "hono";
import type { Context } from "hono";
import type { Schema, SchemaIssue } from "./_internal/schema.ts";
import { validate } from "./_internal/schema.ts";
import type { AuditRecord, AuditSink } from "./audit.ts";
import { writeAudit } from "./audit.ts";
import { findSlots, isTimeZone } from "./availability.ts";
import type { Interval } from "./availability.ts";
import type { CalendarEvent, CalendarPort, FreeBusyAnswer, FreeBusyMany } from "./calendar-port.ts";
import type { LimitsConfig } from "./config.ts";
import type { DoctorReport } from "./doctor.ts";
import { doctorPage } from "./doctor.ts";
import type { RateLimiter } from "./limits.ts";
import { createRateLimiter, createSubjectLimiter } from "./limits.ts";
import type { Metrics } from "./metrics.ts";
import { createMetrics } from "./metrics.ts";
import type { Operation } from "./operations.ts";
import type { Caller, Policy } from "./policy.ts";
import { sha256 } from "./policy.ts";
import { sha256Sync } from "./_internal/sha256.ts";
import { ProblemError, problemResponse } from "./problem.ts";
import type { RouteDef } from "./routes.ts";
import { openApiDocument, routes } from "./routes.ts";

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
  /** Callers' rates (`caller:<name>`) and subjects' budgets (`subject:<email>`); memory by default. */
  rateLimiter?: RateLimiter;
  now?: () => number;
  version?: string;
  /** Diagnostic lines (already redacted by the caller's sink, redacted again here). */
  log?: (line: string) => void;
  /** Called when a request starts and ends (graceful shutdown counts requests in flight). */
  onRequest?: (delta: 1 | -1) => void;
}

/** The app plus its metrics. */
export interface ServerApp {
  app: Hono;
  metrics: Metrics;
  /** The Hono fetch handler. */
  fetch: (request: Request) => Promise<Response>;
}

/** What a policy-guarded handler answers; the guard makes the Response (with its `x-request-id`). */
interface Reply {
  status: number;
  /** Sent as JSON; none for 204. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface RequestState {
  record: AuditRecord;
  caller?: Caller;
  release?: () => void;
}

const eventIdAlphabet = "0123456789abcdefghijklmnopqrstuv"; // base32hex, what Google accepts in event IDs

/**
 * The event ID an `Idempotency-Key` stands for: base32hex of SHA-256(caller, subject, calendar, key), so
 * a retried insert names the same event and Google refuses the duplicate.
 *
 * @param parts caller, subject, calendar ID and key
 * @returns a 51-character event ID
 */
export async function eventIdFor(parts: readonly string[]): Promise<string> {
  const digest = await sha256(parts.join("\n"));
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += eventIdAlphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Google's reason (Calendar) or OAuth error (token endpoint) of an upstream failure. */
function googleReasonOf(error: DwdError): string | undefined {
  const e = error as DwdError & { reason?: string; oauthError?: string };
  return e.reason ?? e.oauthError;
}

function isTimeout(error: unknown): boolean {
  for (
    let e = error, depth = 0;
    e !== undefined && e !== null && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if ((e as { name?: unknown }).name === "TimeoutError") return true;
  }
  return false;
}

/** Maps an upstream error to a problem: Google's own 400/404/409/410/412 pass through; the rest is 502/504. */
function upstreamProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof DwdError) {
    const status = (error as DwdError & { status?: number }).status ?? 0;
    const googleReason = googleReasonOf(error);
    const options = {
      hint: error.hint,
      cause: error,
      ...(googleReason !== undefined ? { googleReason } : {}),
    };
    if (isTimeout(error))
      return new ProblemError(
        504,
        "upstream_timeout",
        `Google did not answer in time: ${error.message}`,
        { ...options, hint: "Retry later; if it persists, raise limits.upstreamTimeoutMs" },
      );
    if (error.name === "CalendarApiError" && [400, 404, 409, 410, 412].includes(status))
      return new ProblemError(status, error.code, error.message, options);
    if (error.code === "rate_limited")
      return new ProblemError(429, error.code, error.message, {
        ...options,
        headers: { "retry-after": "1" },
      });
    return new ProblemError(502, error.code, error.message, options);
  }
  if (error instanceof TypeError || error instanceof RangeError)
    return new ProblemError(400, "invalid_request", errorText(error), {
      hint: "Correct the request",
    });
  return new ProblemError(500, "internal_error", "The server failed while handling the request", {
    hint: "See the server's log; this is a bug in dwd-server",
    cause: error,
  });
}

function coerceQuery(schema: Schema, raw: string): unknown {
  if (schema.type === "integer" || schema.type === "number")
    return raw.trim() === "" ? raw : Number(raw);
  if (schema.type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  return raw;
}

async function readBody(request: Request, maxBytes: number): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ProblemError(
      415,
      "unsupported_media_type",
      `Cannot read the body: its content type is "${type || "missing"}", not JSON`,
      { hint: "Send the body as JSON with Content-Type: application/json" },
    );
  }
  const length = request.headers.get("content-length");
  const declared = Number(length ?? "0");
  const tooLarge = (): ProblemError =>
    new ProblemError(
      413,
      "body_too_large",
      `Cannot read the body: it is larger than ${maxBytes} bytes`,
      { hint: "Send a smaller body, or raise limits.bodyBytes in the configuration" },
    );
  if (declared > maxBytes) throw tooLarge();
  let bytes: Uint8Array;
  if (length !== null && /^\d+$/.test(length)) {
    // A declared length within the limit: the HTTP parser reads exactly that many bytes, so the body
    // can be read at once (on Node, without a web stream: @hono/node-server reads the request directly).
    bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge();
  } else bytes = await readLimited(request, maxBytes, tooLarge);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ProblemError(
      400,
      "invalid_json",
      `Cannot read the body: it is not JSON (${errorText(error)})`,
      { hint: "Send a JSON object" },
    );
  }
}

/** The body of a request without a declared length (chunked), refused once it passes `maxBytes`. */
async function readLimited(
  request: Request,
  maxBytes: number,
  tooLarge: () => ProblemError,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return bytes;
}

function invalid(issues: SchemaIssue[]): ProblemError {
  const first = issues[0]!;
  return new ProblemError(
    400,
    "invalid_request",
    `The request is invalid: "${first.field}" ${first.problem}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
    {
      hint: "Correct the fields listed in errors (/openapi.json describes every field)",
      errors: issues,
    },
  );
}

function rangeOf(
  body: { timeMin: string; timeMax: string },
  maxDays: number,
): { timeMin: number; timeMax: number } {
  const timeMin = Date.parse(body.timeMin);
  const timeMax = Date.parse(body.timeMax);
  if (!(timeMax > timeMin))
    throw invalid([
      {
        field: "timeMax",
        problem: `must be after timeMin ("${body.timeMin}"), got "${body.timeMax}"`,
      },
    ]);
  if (timeMax - timeMin > maxDays * 86_400_000)
    throw invalid([{ field: "timeMax", problem: `must be at most ${maxDays} days after timeMin` }]);
  return { timeMin, timeMax };
}

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
  const log = (line: string): void =>
    (options.log ?? ((l: string) => console.error(l)))(redactSecrets(line));
  const metrics = options.metrics ?? createMetrics();
  const rateLimiter = options.rateLimiter ?? createRateLimiter(now);
  const subjectLimiter = createSubjectLimiter(
    options.limits.subjectConcurrency,
    options.limits.subjectQueue,
  );
  const version = options.version ?? "0.0.0";
  const openApi = JSON.stringify(openApiDocument(version));
  const app = new Hono();
  let seq = 0;

  /** Runs one policy-guarded route: authenticate, rate, validate, authorize, limit, handle, audit. */
  function guarded(
    route: RouteDef,
    handle: (
      c: Context,
      input: {
        caller: Caller;
        path: Record<string, string>;
        query: Record<string, unknown>;
        body: unknown;
        state: RequestState;
      },
    ) => Promise<Reply>,
  ) {
    const operation = route.operation!;
    return async (c: Context): Promise<Response> => {
      const started = performance.now();
      const state: RequestState = {
        record: {
          time: new Date(now()).toISOString(),
          requestId: `${now().toString(36)}-${(++seq).toString(36)}`,
          operation,
          outcome: "ok",
          status: 200,
          durationMs: 0,
        },
      };
      options.onRequest?.(1);
      // The request ID goes in with the other headers: set afterwards, it would make the adapter build
      // a Headers object for every response.
      const requestId = { "x-request-id": state.record.requestId };
      let response: Response;
      try {
        const reply = await run(c, route, operation, state, handle);
        response =
          reply.body === undefined
            ? new Response(null, {
                status: reply.status,
                headers: { ...reply.headers, ...requestId },
              })
            : new Response(JSON.stringify(reply.body), {
                status: reply.status,
                headers: {
                  "content-type": "application/json",
                  "cache-control": "no-store",
                  ...reply.headers,
                  ...requestId,
                },
              });
      } catch (error) {
        const problem = upstreamProblem(error);
        const status = problem.problem.status;
        if (status === 500)
          log(
            JSON.stringify({
              level: "error",
              msg: `${route.operationId}: ${errorText(error)}`,
              requestId: state.record.requestId,
            }),
          );
        const denied = status === 401 || status === 403 || status === 429;
        const invalidRequest = [400, 413, 415].includes(status) && !(error instanceof DwdError);
        state.record.outcome = denied
          ? "denied"
          : invalidRequest || (error instanceof ProblemError && status < 500 && !denied)
            ? "invalid"
            : "failed";
        state.record.code = problem.problem.code;
        if (problem.problem.googleReason !== undefined)
          state.record.googleReason = problem.problem.googleReason;
        if (error instanceof DwdError) metrics.googleError(googleReasonOf(error) ?? error.code);
        if (status === 401 || status === 403 || status === 429)
          metrics.denial(problem.problem.code, state.caller?.name ?? "(none)");
        response = problemResponse(problem, requestId);
      } finally {
        state.release?.();
        options.onRequest?.(-1);
      }
      const seconds = (performance.now() - started) / 1000;
      state.record.status = response.status;
      state.record.durationMs = Math.round(seconds * 1e4) / 10;
      metrics.request(route.path, route.method.toUpperCase(), response.status, seconds);
      writeAudit(options.audit, state.record);
      return response;
    };
  }

  async function run(
    c: Context,
    route: RouteDef,
    operation: Operation,
    state: RequestState,
    handle: Parameters<typeof guarded>[1],
  ): Promise<Reply> {
    const header = c.req.header("authorization");
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) {
      throw new ProblemError(
        401,
        "missing_token",
        "No bearer token in the Authorization header: every request must carry the caller's",
        {
          hint: "Send Authorization: Bearer <the caller's token>",
          headers: { "www-authenticate": 'Bearer realm="dwd-server"' },
        },
      );
    }
    const policy = options.policy();
    const caller = policy.authenticate(sha256Sync(match[1]!));
    if (caller === undefined) {
      throw new ProblemError(
        401,
        "unknown_token",
        "The bearer token matches no caller of this server",
        {
          hint: "Use the token whose SHA-256 is configured for your app (dwd-server hash-token prints it)",
          headers: { "www-authenticate": 'Bearer realm="dwd-server", error="invalid_token"' },
        },
      );
    }
    state.caller = caller;
    state.record.caller = caller.name;
    const taken = rateLimiter.take(`caller:${caller.name}`, caller.rate);
    const rate = taken instanceof Promise ? await taken : taken;
    if (!rate.ok) {
      throw new ProblemError(
        429,
        "rate_limited",
        `Caller "${caller.name}" is over its rate of ${caller.rate.requests} requests per ${caller.rate.per}`,
        {
          hint: `Retry after ${rate.retryAfterSeconds} s, or raise the caller's rate in the configuration`,
          headers: { "retry-after": String(rate.retryAfterSeconds) },
        },
      );
    }

    const path: Record<string, string> = {};
    const issues: SchemaIssue[] = [];
    for (const [name, schema] of Object.entries(route.pathParams ?? {})) {
      const value = c.req.param(name) ?? "";
      path[name] = value;
      issues.push(...validate(schema, value, name));
    }
    if (path.subject !== undefined) state.record.subject = path.subject.toLowerCase();
    if (path.calendarId !== undefined) state.record.calendar = path.calendarId;
    const query: Record<string, unknown> = {};
    const search = c.req.url.includes("?") ? new URL(c.req.url).searchParams : [];
    for (const [name, raw] of search) {
      const schema = route.query?.[name];
      if (schema === undefined) {
        issues.push({ field: name, problem: "is not a query parameter of this route" });
        continue;
      }
      query[name] = coerceQuery(schema, raw);
      issues.push(...validate(schema, query[name], name));
    }
    for (const [name, schema] of Object.entries(route.headers ?? {})) {
      const value = c.req.header(name);
      if (value !== undefined) issues.push(...validate(schema, value, name));
    }
    let body: unknown;
    if (route.body !== undefined) {
      body = await readBody(c.req.raw, options.limits.bodyBytes);
      issues.push(...validate(route.body, body));
    }
    if (issues.length > 0) throw invalid(issues);

    const bodySubjects = (body as { subjects?: string[]; subject?: string } | undefined) ?? {};
    const subjects =
      path.subject !== undefined
        ? [path.subject]
        : (bodySubjects.subjects ??
          (bodySubjects.subject !== undefined ? [bodySubjects.subject] : []));
    if (path.subject === undefined && subjects.length > 0)
      state.record.subject =
        subjects.length === 1 ? subjects[0]!.toLowerCase() : subjects.map((s) => s.toLowerCase());
    const scopes = operation === "token" ? (body as { scopes: string[] }).scopes : undefined;
    const refusal = policy.authorize(caller, {
      operation,
      subjects,
      ...(scopes ? { scopes } : {}),
    });
    if (refusal !== undefined)
      throw new ProblemError(403, refusal.code, refusal.detail, { hint: refusal.hint });

    const subjectRate = options.limits.subjectRate;
    if (subjectRate !== undefined) {
      for (const subject of new Set(subjects.map((x) => x.toLowerCase()))) {
        const taken = rateLimiter.take(`subject:${subject}`, subjectRate);
        const budget = taken instanceof Promise ? await taken : taken;
        if (!budget.ok) {
          throw new ProblemError(
            429,
            "subject_over_budget",
            `Requests for "${subject}" are over the budget of ${subjectRate.requests} per ${subjectRate.per} that every caller shares`,
            {
              hint: `Retry after ${budget.retryAfterSeconds} s; the budget protects the user's Calendar quota (limits.subjectRate)`,
              headers: { "retry-after": String(budget.retryAfterSeconds) },
            },
          );
        }
      }
    }

    const release = await subjectLimiter.acquire(subjects);
    if (release === undefined) {
      throw new ProblemError(
        429,
        "subject_busy",
        `Too many requests for ${subjects.length === 1 ? `"${subjects[0]}"` : "these subjects"} at once: at most ${options.limits.subjectConcurrency} run and ${options.limits.subjectQueue} wait per subject`,
        {
          hint: "Retry after a moment, with fewer concurrent requests for the same user",
          headers: { "retry-after": "1" },
        },
      );
    }
    state.release = release;
    return await handle(c, { caller, path, query, body, state });
  }

  const calendarFor = (
    caller: Caller,
    subject: string,
    operation: Exclude<Operation, "token">,
  ): CalendarPort => {
    const scope = options.policy().scopeFor(caller, operation)!; // authorize() checked that one exists
    return options.calendar(subject, scope);
  };
  const needs = <K extends "events" | "freebusy">(
    port: CalendarPort,
    resource: K,
  ): NonNullable<CalendarPort[K]> => {
    const r = port[resource];
    if (r === undefined)
      throw new ProblemError(
        501,
        "not_implemented",
        `This build's @dwd/calendar client has no "${resource}" methods`,
        { hint: "Build dwd-server with a @dwd/calendar that implements them" },
      );
    return r;
  };
  const json = (data: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({
    status,
    body: data,
    headers,
  });
  const queryParams = (query: Record<string, unknown>): Record<string, string | number | boolean> =>
    query as Record<string, string | number | boolean>;

  type BusyAnswer = {
    busy?: { start: string; end: string }[];
    error?: { code: string; detail: string; googleReason?: string };
  };

  /** One subject's answer (or error) as the API reports it. */
  function busyEntry(
    subject: string,
    outcome: { ok: true; value: FreeBusyAnswer } | { ok: false; error: unknown },
  ): BusyAnswer {
    if (!outcome.ok) {
      const p = upstreamProblem(outcome.error);
      if (p.problem.status === 500 || p.problem.status === 501) throw outcome.error;
      metrics.googleError(p.problem.googleReason ?? p.problem.code);
      return {
        error: {
          code: p.problem.code,
          detail: p.problem.detail,
          ...(p.problem.googleReason ? { googleReason: p.problem.googleReason } : {}),
        },
      };
    }
    const calendars = outcome.value.calendars ?? {};
    const entry = calendars[subject] ?? Object.values(calendars)[0];
    if (entry?.errors?.length) {
      const reason = entry.errors[0]?.reason ?? "unknown";
      metrics.googleError(reason);
      return {
        error: {
          code: "freebusy_error",
          detail: `Google could not answer for "${subject}": ${reason}`,
          googleReason: reason,
        },
      };
    }
    return { busy: (entry?.busy ?? []).map((b) => ({ start: b.start ?? "", end: b.end ?? "" })) };
  }

  /** Busy intervals of each subject, acting as that subject (one token each): one batch when the client has it. */
  async function busyOf(
    caller: Caller,
    subjects: string[],
    timeMin: string,
    timeMax: string,
    operation: "freebusy" | "availability",
  ): Promise<Record<string, BusyAnswer>> {
    const unique = [...new Set(subjects.map((s) => s.toLowerCase()))];
    const scope = options.policy().scopeFor(caller, operation)!;
    let outcomes: Record<
      string,
      { ok: true; value: FreeBusyAnswer } | { ok: false; error: unknown }
    >;
    if (options.freeBusyMany) {
      outcomes = await options.freeBusyMany(unique, scope, { timeMin, timeMax });
    } else {
      const settled = await Promise.all(
        unique.map(async (subject) => {
          try {
            return {
              ok: true as const,
              value: await needs(options.calendar(subject, scope), "freebusy").query({
                timeMin,
                timeMax,
                items: [{ id: subject }],
              }),
            };
          } catch (error) {
            return { ok: false as const, error };
          }
        }),
      );
      outcomes = Object.fromEntries(unique.map((s, i) => [s, settled[i]!]));
    }
    return Object.fromEntries(unique.map((s) => [s, busyEntry(s, outcomes[s]!)]));
  }

  const handlers: Record<string, Parameters<typeof guarded>[1]> = {
    async calendarListGet(_c, { caller, path }) {
      return json(
        await calendarFor(caller, path.subject!, "calendarList.get").calendarList.get(
          path.calendarId!,
        ),
      );
    },
    async eventsList(_c, { caller, path, query }) {
      return json(
        await needs(calendarFor(caller, path.subject!, "events.list"), "events").list(
          path.calendarId!,
          queryParams(query),
        ),
      );
    },
    async eventsInsert(c, { caller, path, query, body }) {
      const events = needs(calendarFor(caller, path.subject!, "events.insert"), "events");
      const key = c.req.header("idempotency-key");
      const event = { ...(body as CalendarEvent) };
      if (key === undefined)
        return json(await events.insert(path.calendarId!, event, queryParams(query)), 201);
      event.id = await eventIdFor([
        caller.name,
        path.subject!.toLowerCase(),
        path.calendarId!,
        key,
      ]);
      try {
        return json(await events.insert(path.calendarId!, event, queryParams(query)), 201);
      } catch (error) {
        // The same key was used before: Google refuses the duplicate ID; answer with the event it made.
        if (
          !(error instanceof DwdError) ||
          (error as DwdError & { status?: number }).status !== 409
        )
          throw error;
        return json(await events.get(path.calendarId!, event.id), 200, {
          "idempotent-replayed": "true",
        });
      }
    },
    async eventsPatch(_c, { caller, path, query, body }) {
      return json(
        await needs(calendarFor(caller, path.subject!, "events.patch"), "events").patch(
          path.calendarId!,
          path.eventId!,
          body as CalendarEvent,
          queryParams(query),
        ),
      );
    },
    async eventsDelete(_c, { caller, path, query }) {
      await needs(calendarFor(caller, path.subject!, "events.delete"), "events").delete(
        path.calendarId!,
        path.eventId!,
        queryParams(query),
      );
      return { status: 204 };
    },
    async freebusy(_c, { caller, body }) {
      const b = body as { subjects: string[]; timeMin: string; timeMax: string };
      rangeOf(b, 62);
      return json({
        timeMin: b.timeMin,
        timeMax: b.timeMax,
        subjects: await busyOf(caller, b.subjects, b.timeMin, b.timeMax, "freebusy"),
      });
    },
    async availability(_c, { caller, body }) {
      const b = body as {
        subjects: string[];
        timeMin: string;
        timeMax: string;
        durationMinutes: number;
        stepMinutes?: number;
        timeZone: string;
        workingHours?: { start?: string; end?: string; days?: number[] };
        minAttendees?: number;
        maxSlots?: number;
      };
      const { timeMin, timeMax } = rangeOf(b, 62);
      if (!isTimeZone(b.timeZone))
        throw invalid([
          {
            field: "timeZone",
            problem: `must be an IANA time zone such as "Europe/Berlin", got "${b.timeZone}"`,
          },
        ]);
      const subjects = [...new Set(b.subjects.map((s) => s.toLowerCase()))];
      const minAttendees = b.minAttendees ?? subjects.length;
      if (minAttendees > subjects.length)
        throw invalid([
          {
            field: "minAttendees",
            problem: `must be at most the number of subjects (${subjects.length}), got ${minAttendees}`,
          },
        ]);
      const start = b.workingHours?.start ?? "09:00";
      const end = b.workingHours?.end ?? "17:00";
      if (end <= start)
        throw invalid([
          {
            field: "workingHours.end",
            problem: `must be after workingHours.start ("${start}"), got "${end}"`,
          },
        ]);
      const answers = await busyOf(caller, subjects, b.timeMin, b.timeMax, "availability");
      const busy: Record<string, Interval[]> = {};
      const unknown: Record<string, unknown> = {};
      for (const [subject, a] of Object.entries(answers)) {
        if (a.busy === undefined) unknown[subject] = a.error;
        else
          busy[subject] = a.busy.map((i) => ({
            start: Date.parse(i.start),
            end: Date.parse(i.end),
          }));
      }
      if (Object.keys(busy).length < minAttendees) {
        throw new ProblemError(
          502,
          "freebusy_unavailable",
          `Cannot answer: free/busy is known for ${Object.keys(busy).length} of ${subjects.length} subjects, fewer than minAttendees (${minAttendees})`,
          {
            hint: "See the error of each subject in /v1/freebusy",
          },
        );
      }
      const slots = findSlots({
        busy,
        timeMin,
        timeMax,
        durationMinutes: b.durationMinutes,
        stepMinutes: b.stepMinutes ?? 15,
        timeZone: b.timeZone,
        workStart: start,
        workEnd: end,
        days: b.workingHours?.days ?? [1, 2, 3, 4, 5],
        minAttendees,
        maxSlots: b.maxSlots ?? 100,
      });
      return json({
        timeZone: b.timeZone,
        durationMinutes: b.durationMinutes,
        minAttendees,
        slots,
        ...(Object.keys(unknown).length > 0 ? { unknown } : {}),
      });
    },
    async token(_c, { body, state }) {
      const b = body as { subject: string; scopes: string[] };
      const scopes = normalizeScopes(b.scopes);
      state.record.scopes = scopes;
      const token = await options.tokenSource.getToken({
        subject: b.subject.toLowerCase(),
        scopes,
      });
      return json({
        accessToken: token.accessToken,
        tokenType: "Bearer",
        expiresAt: new Date(token.expiresAt).toISOString(),
        expiresIn: Math.max(0, Math.floor((token.expiresAt - now()) / 1000)),
        subject: b.subject.toLowerCase(),
        scopes,
      });
    },
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

  const cacheStatus = (): CacheStatus => options.cacheStatus?.() ?? { mode: "memory" };
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const report = options.health();
    const cache = cacheStatus();
    const ready = report?.ok === true;
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
      ...(report?.ok === false ? { failed: report.checks.filter((x) => x.status === "fail") } : {}),
    };
    return c.json(body, ready ? 200 : 503);
  });
  app.get("/v1/doctor", async (c) => {
    const report = await options.recheck();
    return c.json(report, report.ok ? 200 : 503);
  });
  app.get("/", async (c) => {
    const report = await options.recheck();
    return c.html(doctorPage(report), report.ok ? 200 : 503);
  });
  app.get("/openapi.json", (c) => c.body(openApi, 200, { "content-type": "application/json" }));
  app.get("/metrics", (c) => {
    const stats = options.tokenSource.stats;
    const cache = cacheStatus();
    const text = metrics.render(() => ({
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
      dwd_token_cache_fallbacks_total: {
        help: "Times this replica fell back from Redis to its memory cache.",
        type: "counter",
        value: cache.fallbacks ?? 0,
      },
    }));
    return c.body(text, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });
  app.notFound(() =>
    problemResponse(
      new ProblemError(404, "no_such_route", "No such route", {
        hint: "See /openapi.json for the routes",
      }),
    ),
  );
  app.onError((error) => {
    log(JSON.stringify({ level: "error", msg: errorText(error) }));
    return problemResponse(
      new ProblemError(500, "internal_error", "The server failed while handling the request", {
        hint: "See the server's log",
      }),
    );
  });

  return { app, metrics, fetch: async (request) => await app.fetch(request) };
}
