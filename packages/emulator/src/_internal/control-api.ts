import { Hono } from "hono";
import type { EmulatorRuntime } from "./emulator-runtime.ts";
import type { FaultSettings } from "./faults.ts";
import { checkFaultSettings } from "./faults.ts";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}

function refuse(message: string): Response {
  return json({ error: { code: 400, message } }, 400);
}

/** What `GET /_emulator/faults` shows. */
function faultView(runtime: EmulatorRuntime): Record<string, unknown> {
  const f = runtime.ctx.faults;
  return {
    latencyMs: f.latencyMs ?? 0,
    errorRates: f.errorRates ?? {},
    seed: f.seed ?? 1,
    retryAfterSeconds: f.retryAfterSeconds ?? 1,
    pushDropRate: f.pushDropRate ?? 0,
    pushDelayMs: f.pushDelayMs ?? 0,
    tokenOutage: f.tokenOutage === true,
    clockOffsetMs: f.clockOffsetMs,
  };
}

/** Replaces the fault settings (PUT semantics: fields left out go back to their defaults, the clock offset stays). */
export function applyFaults(
  runtime: EmulatorRuntime,
  input: FaultSettings & { tokenOutage?: boolean | undefined; clockOffsetMs?: number | undefined },
): string | undefined {
  const problem = checkFaultSettings(input);
  if (problem !== undefined) return problem;
  if (input.tokenOutage !== undefined && typeof input.tokenOutage !== "boolean")
    return `tokenOutage must be true or false, got ${JSON.stringify(input.tokenOutage)}`;
  if (
    input.clockOffsetMs !== undefined &&
    (typeof input.clockOffsetMs !== "number" || !Number.isFinite(input.clockOffsetMs))
  ) {
    return `clockOffsetMs must be a number, got ${JSON.stringify(input.clockOffsetMs)}`;
  }
  const f = runtime.ctx.faults;
  f.latencyMs = input.latencyMs ?? 0;
  f.errorRates = { ...(input.errorRates ?? {}) };
  f.seed = input.seed ?? 1;
  f.retryAfterSeconds = input.retryAfterSeconds ?? 1;
  const delay = input.pushDelayMs ?? 0;
  f.pushDropRate = input.pushDropRate ?? 0;
  f.pushDelayMs = typeof delay === "number" ? delay : [delay[0], delay[1]];
  f.tokenOutage = input.tokenOutage === true;
  if (input.clockOffsetMs !== undefined) f.clockOffsetMs = input.clockOffsetMs;
  runtime.injector.reseed();
  return undefined;
}

/**
 * The control API, like the Firebase emulators' (`/_emulator/…`, no authentication; it is a local
 * test tool): stats, faults, reset, sync-token expiry, and a wait for push deliveries.
 */
export function controlApi(runtime: EmulatorRuntime): Hono {
  const app = new Hono();
  const { ctx } = runtime;
  app.get("/stats", () => {
    const s = ctx.stats;
    const counters = {
      tokenRequests: s.tokenRequests,
      tokensIssued: s.tokensIssued,
      apiRequests: s.apiRequests,
      calendarRequests: s.calendarRequests,
      batchRequests: s.batchRequests,
      batchParts: s.batchParts,
      bytesSent: s.bytesSent,
      byEndpoint: s.byEndpoint,
      bySubject: s.bySubject,
      faultsInjected: s.faultsInjected,
    };
    return json({
      ...counters,
      pushDeliveries: runtime.hub.counts.delivered,
      pushFailures: runtime.hub.counts.failed,
      pushDropped: runtime.hub.counts.dropped,
    });
  });
  // Who is in the scenario (for `dwd … --all-users`): names, IDs and grants — no key, token or secret.
  app.get("/scenario", () => {
    const s = runtime.scenario;
    return json({
      domain: s.domain,
      users: s.users.map((u) => ({
        email: u.email,
        ...(u.name !== undefined ? { name: u.name } : {}),
        ...(u.suspended === true ? { suspended: true } : {}),
        ...(u.orgUnitPath !== undefined ? { orgUnitPath: u.orgUnitPath } : {}),
        ...(u.isAdmin === true ? { isAdmin: true } : {}),
      })),
      serviceAccounts: s.serviceAccounts.map((a) => {
        const info = ctx.store.accounts.get(ctx.store.accountNames.get(a.name) ?? "");
        return {
          name: a.name,
          ...(info !== undefined ? { email: info.email, clientId: info.clientId } : {}),
        };
      }),
      grants: s.grants.map((g) => ({ ...g, scopes: [...g.scopes] })),
      calendars: (s.calendars ?? []).map((c) => ({ ...c })),
      groups: (s.groups ?? []).map((g) => ({ ...g, members: [...g.members] })),
    });
  });
  app.get("/faults", () => json(faultView(runtime)));
  app.put("/faults", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return refuse(
        'The body is not JSON: send an object like {"latencyMs": 50, "errorRates": {"429": 0.1}}',
      );
    }
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return refuse("The body must be a JSON object");
    const problem = applyFaults(runtime, body);
    if (problem !== undefined) return refuse(`Invalid faults: ${problem}`);
    return json(faultView(runtime));
  });
  app.post("/reset", () => {
    runtime.resetData();
    ctx.stats.reset();
    return json({ reset: true });
  });
  app.post("/expire-sync-tokens", () => {
    runtime.expireSyncTokens();
    return json({ expired: true });
  });
  app.post("/push/flush", async () => {
    await runtime.hub.idle();
    const { delivered, failed, dropped } = runtime.hub.counts;
    return json({ delivered, failed, dropped });
  });
  app.notFound(() =>
    json(
      {
        error: {
          code: 404,
          message:
            "Unknown control endpoint: use /_emulator/stats, /scenario, /faults, /reset, /expire-sync-tokens or /push/flush",
        },
      },
      404,
    ),
  );
  return app;
}
