/**
 * The guard pipeline every policy-guarded route runs through: authenticate the bearer token, take
 * from the caller's rate, validate path, query, headers and body against the route's schema, authorize
 * (subjects, operation, scopes), take from each subject's budget, wait for a slot per subject, then the
 * handler; every outcome becomes a response (problem+json on failure), a metric and one audit line.
 *
 * @module
 */

import { DwdError } from "@dwd/auth";
import type { Context } from "hono";
import type { Schema, SchemaIssue } from "./_internal/schema.ts";
import { validate } from "./_internal/schema.ts";
import { invalid } from "./_internal/reply.ts";
import type { Reply } from "./_internal/reply.ts";
import { sha256Sync } from "./_internal/sha256.ts";
import { parseTraceparent, withTraceparent } from "./_internal/trace-context.ts";
import type { ServerAppOptions } from "./app-options.ts";
import type { AuditRecord } from "./audit.ts";
import { writeAudit } from "./audit.ts";
import { createIdempotency, createMemoryIdempotencyStore } from "./idempotency.ts";
import { looksLikeJwt } from "./identity.ts";
import { createSubjectLimiter } from "./limits.ts";
import type { RateLimiter } from "./limits.ts";
import type { Metrics } from "./metrics.ts";
import type { Operation } from "./operations.ts";
import type { Caller } from "./policy.ts";
import { ProblemError, problemResponse } from "./problem.ts";
import type { RouteDef } from "./routes.ts";
import { errorText, googleReasonOf, upstreamProblem } from "./upstream-problem.ts";
import { readBounded } from "./_internal/read-bounded.ts";

/** What the app's parts share: its options, clock, log and metrics. */
export interface AppContext {
  options: ServerAppOptions;
  now: () => number;
  /** Redacted diagnostic lines. */
  log: (line: string) => void;
  metrics: Metrics;
  /** Callers' rates and subjects' budgets. */
  rateLimiter: RateLimiter;
}

/** The request's audit record, its caller once known, and the subject slots to give back. */
export interface RequestState {
  record: AuditRecord;
  caller?: Caller;
  release?: () => void;
}

/** What a handler gets once the pipeline has let the request through. */
export interface HandlerInput {
  caller: Caller;
  path: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  state: RequestState;
}

/** A policy-guarded route's handler. */
export type Handler = (c: Context, input: HandlerInput) => Promise<Reply>;

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
  } else bytes = await readBounded(request.body, maxBytes, tooLarge);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ProblemError(
      400,
      "invalid_json",
      `Cannot read the body: it is not JSON (${errorText(error)})`,
      { hint: "Send a JSON object" },
    );
  }
  if (depthOver(parsed, maxDepth))
    throw new ProblemError(
      400,
      "invalid_json",
      `Cannot read the body: it nests objects and arrays deeper than ${maxDepth} levels`,
      { hint: "Send a flatter JSON object (a Calendar event needs fewer than 10 levels)" },
    );
  return parsed;
}

/** How deep a body may nest objects and arrays; Google's resources need far fewer levels. */
const maxDepth = 32;

/** Whether `value` nests deeper than `limit`, walked without recursion (a deep body cannot overflow the stack). */
function depthOver(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v))
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Creates the guard of one app: a function that wraps a route's handler in the pipeline. The rate
 * budgets and the subject slots it keeps are the app's.
 *
 * @param ctx the app's options, clock, log and metrics
 * @returns the guard
 */
export function createGuard(
  ctx: AppContext,
): (route: RouteDef, handle: Handler) => (c: Context) => Promise<Response> {
  const { options, now, log, metrics, rateLimiter } = ctx;
  const idempotency =
    options.idempotency ?? createIdempotency({ store: createMemoryIdempotencyStore(now) });
  const subjectLimiter = createSubjectLimiter(
    options.limits.subjectConcurrency,
    options.limits.subjectQueue,
  );
  let seq = 0;

  /** Runs one policy-guarded route: authenticate, rate, validate, authorize, limit, handle, audit. */
  function guarded(route: RouteDef, handle: Handler): (c: Context) => Promise<Response> {
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
          reply.html !== undefined
            ? new Response(reply.html, {
                status: reply.status,
                headers: {
                  "content-type": "text/html; charset=UTF-8",
                  "cache-control": "no-store",
                  ...reply.headers,
                  ...requestId,
                },
              })
            : reply.body === undefined && reply.jsonText === undefined
              ? new Response(null, {
                  status: reply.status,
                  headers: { ...reply.headers, ...requestId },
                })
              : new Response(reply.jsonText ?? JSON.stringify(reply.body), {
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
              // The configuration's fix is for the operators: here, never in the answer.
              ...(problem.configuration && error instanceof DwdError ? { hint: error.hint } : {}),
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
    handle: Handler,
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
    const token = match[1]!;
    let caller = policy.authenticate(sha256Sync(token));
    // Not a configured token: an ID token of a caller known by its workload identity (identity.ts)?
    if (
      caller === undefined &&
      options.identity !== undefined &&
      policy.identities.length > 0 &&
      looksLikeJwt(token)
    )
      caller = await options.identity.authenticate(token, policy.identities);
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
      ...(path.calendarId !== undefined ? { calendarId: path.calendarId } : {}),
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

    // Idempotency-Key (routes that declare it): replay, refuse (409/422), or run and record.
    const idempotencyKey =
      route.headers?.["idempotency-key"] === undefined
        ? undefined
        : c.req.header("idempotency-key");
    const claim =
      idempotencyKey === undefined
        ? undefined
        : await idempotency.begin({
            caller: caller.name,
            operation,
            path: new URL(c.req.url).pathname,
            key: idempotencyKey,
            payload: { query, body },
          });
    if (claim !== undefined && "replay" in claim) return claim.replay;
    try {
      const reply = await limitedRun(c, handle, { caller, path, query, body, state }, subjects);
      await claim?.finish(reply);
      return reply;
    } catch (error) {
      await claim?.abort().catch(() => undefined);
      throw error;
    }
  }

  /** Waits for a slot per subject, then runs the handler. */
  async function limitedRun(
    c: Context,
    handle: Handler,
    input: HandlerInput,
    subjects: readonly string[],
  ): Promise<Reply> {
    const { state } = input;
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
    const trace = parseTraceparent(c.req.header("traceparent"));
    if (trace !== undefined) {
      state.record.traceId = trace.traceId;
      state.record.spanId = trace.spanId;
    }
    // The calls made for this request carry the trace upstream (server.ts's fetch reads it).
    return await withTraceparent(trace?.upstream, () => handle(c, input));
  }

  return guarded;
}
