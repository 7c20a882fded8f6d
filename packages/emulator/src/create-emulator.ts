import { Hono } from "hono";
import { demoScenario } from "./demo-scenario.ts";
import { EmulatorError } from "./emulator-error.ts";
import type { Scenario, ScenarioInput } from "./scenario.ts";
import { loadScenario } from "./scenario.ts";
import { handleBatch } from "./_internal/batch.ts";
import { boundedRequest, maxBodyBytes, payloadTooLarge } from "./_internal/body-limit.ts";
import { CachedRouter } from "./_internal/cached-router.ts";
import { backendError, notFound } from "./_internal/calendar-errors.ts";
import { calendarRoutes } from "./_internal/calendar-routes.ts";
import { directoryRoutes } from "./_internal/directory-routes.ts";
import { deliver } from "./_internal/connection-reset.ts";
import { applyFaults, controlApi } from "./_internal/control-api.ts";
import { createRuntime } from "./_internal/emulator-runtime.ts";
import { loopbackEntry } from "./_internal/push.ts";
import type { FaultRates } from "./_internal/faults.ts";
import { traffic } from "./_internal/traffic.ts";
import type { TrafficStats } from "./_internal/traffic-stats.ts";
import { createTrafficStats } from "./_internal/traffic-stats.ts";
import type { EmulatorContext, SuspendedSubjectBehaviour } from "./_internal/context.ts";
import { httpDate, tokenHeaders } from "./_internal/headers.ts";
import { createIamState } from "./_internal/iam-state.ts";
import { googleCertRoutes, metadataRoutes } from "./_internal/metadata-routes.ts";
import type { ServiceAccountRecord } from "./_internal/service-account.ts";
import { privateKeyPem } from "./_internal/service-account.ts";
import { handleSignJwt } from "./_internal/sign-jwt-route.ts";
import { createStore } from "./_internal/store.ts";
import { handleTokenRequest, tokenPaths } from "./_internal/token-endpoint.ts";
import { writeP12 } from "./_internal/write-p12.ts";

export type { SuspendedSubjectBehaviour } from "./_internal/context.ts";
export type { FaultKind, FaultRates } from "./_internal/faults.ts";

/** Options of {@link createEmulator}. */
export interface EmulatorOptions {
  /**
   * The scenario, or `"demo"` (the default) for {@link demoScenario}. Validated with `loadScenario`;
   * `users` may be generated: `{ count: 200, eventsEach: 20 }`.
   */
  scenario?: ScenarioInput | "demo" | undefined;
  /** Public base URL (origin), used for `token_uri` in key files and as an accepted `aud`. Default `http://127.0.0.1:0`. */
  baseUrl?: string | undefined;
  /**
   * The origin clients reach the emulator at when a proxy or a container network stands between them
   * (e.g. `https://google.test:8443`): key files name it in `token_uri`, and the token endpoint accepts
   * it as `aud`. It wins over `baseUrl`, and the Node adapter keeps it instead of the listening URL
   * (which stays accepted as `aud` too). An http(s) origin: no path, query, fragment or credentials.
   */
  publicUrl?: string | undefined;
  /** Clock in epoch milliseconds (default `Date.now`); `faults.clockOffsetMs` is added to it. */
  now?: (() => number) | undefined;
  /** `expires_in` of issued tokens and their lifetime, default 3599. */
  tokenLifetimeSeconds?: number | undefined;
  /**
   * Answer for a suspended `sub` (Google's own answer is not documented). Default `"invalid_account"`
   * → 400 `invalid_account` "Forbidden"; `"invalid_grant"` → 400 "Invalid email or User ID";
   * `"access_denied"` → 403 "Account restricted"; `"allow"` → the token is issued.
   */
  suspendedSubject?: SuspendedSubjectBehaviour | undefined;
  /** Faults from the start (same fields as `PUT /_emulator/faults`); validated. */
  faults?: { [K in keyof EmulatorFaults]?: EmulatorFaults[K] | undefined } | undefined;
  /**
   * The fetch that push notifications are POSTed with (default: the global `fetch`). A custom one
   * (a test capturing deliveries) may be sent notifications for any listed origin; with the global
   * `fetch` only loopback addresses are ever posted to.
   */
  pushFetch?: typeof fetch | undefined;
  /**
   * Origins a watch channel may name as its `address`, e.g. `["http://127.0.0.1:8090"]`, or
   * `"loopback"` for any http(s) origin on `127.0.0.1`, `localhost` or `[::1]`; default none. Google
   * delivers only to domains verified for the project and answers any other address 403
   * `push.webhookUrlUnauthorized`; so does the emulator. It never posts outside the machine: an address
   * that is not loopback is refused too, even when listed, unless a custom `pushFetch` does the
   * sending. The emulator's own origins and any `/_emulator/` path are refused even when listed, and
   * redirects are never followed, so a channel cannot reach the control API or another local service.
   */
  pushAllowedOrigins?: readonly string[] | undefined;
  /**
   * Largest request body accepted, in bytes; default 10485760 (10 MiB), Google's front-end limit. A
   * longer one (a batch counts as one request) gets Google's 400 "Request payload size exceeds the
   * limit: <n> bytes." without being read into memory.
   */
  maxBodyBytes?: number | undefined;
}

/** Public facts of a scenario service account. */
export interface ServiceAccountInfo {
  /** The scenario's name for the account, e.g. `"calendar-bot"`. */
  name: string;
  /** `<name>@<projectId>.iam.gserviceaccount.com`. */
  email: string;
  /** Numeric OAuth client ID (what a DWD grant names). */
  clientId: string;
  /** `private_key_id` of its current key (40 hex). */
  keyId: string;
  /** The project in the email; `"dwd-emulator"` unless the scenario names one. */
  projectId: string;
}

/** Request counters (also served as JSON by `GET /_emulator/stats`). */
export interface EmulatorStats extends TrafficStats {
  /** Access tokens held now (expired ones are dropped on the next token request). Not reset. */
  readonly liveTokens: number;
}

/** Fault injection switches; change them at any time. */
export interface EmulatorFaults {
  /** Added to the emulator's clock: shifts the `Date` header, claim checks and token expiry. */
  clockOffsetMs: number;
  /** When true the token endpoint answers 503 `temporarily_unavailable`. */
  tokenOutage?: boolean | undefined;
  /** When true the IAM Credentials API answers 403 SERVICE_DISABLED, as when it is off in the caller's project. */
  iamCredentialsDisabled?: boolean | undefined;
  /** Delay before every answer (token endpoint, API, batch; not the control API), ms. */
  latencyMs?: number | undefined;
  /** Chance of each injected API failure per call: `{ "429": 0.1, "403": 0.05, "500": 0, "503": 0.05, "reset": 0.05 }`. */
  errorRates?: FaultRates | undefined;
  /** Seed of the failure draws (default 1): the same seed fails the same calls. */
  seed?: number | undefined;
  /** `Retry-After` of injected 429s, seconds (default 1). */
  retryAfterSeconds?: number | undefined;
  /**
   * Share of change notifications (`exists`/`not_exists`) dropped, 0–1 (default 0): never POSTed,
   * counted as `pushDropped`; each still uses its message number, so the receiver sees a gap. The
   * draws follow `seed`. The `sync` message of a new channel is never dropped.
   */
  pushDropRate?: number | undefined;
  /**
   * Delay before each push notification is POSTed, ms (default 0): a number, or `[min, max]` drawn
   * per notification from `seed`. A channel's messages still arrive in order.
   */
  pushDelayMs?: number | readonly [number, number] | undefined;
}

/**
 * {@link Emulator.fetch}: a request handler (one `Request` in, its `Response` out, as `Deno.serve` wants)
 * that is also a `fetch` (a URL and an init, as clients call it).
 */
export interface EmulatorFetch {
  /** Handles one request, as a server's handler does. */
  (request: Request): Promise<Response>;
  /** Answers as `fetch(input, init)` would from Google. */
  (input: Request | string | URL, init?: RequestInit): Promise<Response>;
}

/** A running emulator: a pure `fetch` handler plus its key material, counters and faults. */
export interface Emulator {
  /**
   * The pure handler: Google's token endpoint and Calendar v3. It takes what `fetch` takes — a `Request`,
   * or a URL and an init — so it serves wherever a `fetch` is asked for (`createTokenSource(key, { fetch:
   * emulator.fetch })`) and wherever a handler is (`Deno.serve(emulator.fetch)`). Safe to pass unbound.
   */
  fetch: EmulatorFetch;
  /** Public base URL (`publicUrl` when given); the Node adapter sets it once listening otherwise. */
  baseUrl: string;
  /**
   * The URL the emulator listens on when that differs from `baseUrl` (set by the Node adapter under a
   * `publicUrl`); assertions made for it are accepted as well.
   */
  listenUrl?: string | undefined;
  /** The validated scenario. */
  readonly scenario: Scenario;
  /** Google's JSON key for a service account (by name or email), `token_uri` = `${baseUrl}/token`. */
  serviceAccountKeyJson(name: string): Promise<Record<string, string>>;
  /** A legacy PKCS#12 (.p12) key for a service account, password `notasecret` by default: 3DES key bag (friendlyName `privatekey`), RC2-40 certificate bag, SHA-1 MAC; OpenSSL 3 needs `-legacy`. */
  serviceAccountKeyP12(name: string, password?: string): Promise<Uint8Array>;
  /** Email, client ID and key ID of a service account (by name or email). */
  serviceAccount(name: string): ServiceAccountInfo;
  /** Request counters. */
  stats: EmulatorStats;
  /** Fault injection. */
  faults: EmulatorFaults;
  /** The `authorized_user` file of a scenario user (what `gcloud auth application-default login` writes). */
  authorizedUserJson(email: string): Record<string, string>;
  /** Revokes every access token issued so far (Calendar then answers 401 Invalid Credentials). */
  revokeAll(): void;
  /** Calendar data back to the scenario (events, calendars, ACLs, lists; push channels dropped); keys, tokens and faults stay. Same as `POST /_emulator/reset` without the stats reset. */
  resetData(): void;
  /** Makes every sync token issued so far answer 410 fullSyncRequired (`POST /_emulator/expire-sync-tokens`). */
  expireSyncTokens(): void;
  /** Resolves once every push notification queued so far has been attempted (delayed ones included; dropped ones are never queued). */
  pushIdle(): Promise<void>;
}

/**
 * `fetch`'s arguments as one Request, as `fetch` reads them. A string or URL that is not absolute is a
 * TypeError naming the call, which no client can mistake for a network failure.
 */
function toRequest(input: Request | string | URL, init: RequestInit | undefined): Request {
  if (input instanceof Request) return init === undefined ? input : new Request(input, init);
  if (typeof input !== "string" && !(input instanceof URL)) {
    throw new TypeError(
      `emulator.fetch() takes a Request, or a URL and an init as fetch does; got ${input === null ? "null" : typeof input}`,
    );
  }
  if (!URL.canParse(input)) {
    throw new TypeError(
      `emulator.fetch() needs an absolute URL, e.g. "http://127.0.0.1/token"; got ${JSON.stringify(String(input))}`,
    );
  }
  return new Request(input, init);
}

/**
 * The origin of an origin-valued option; a RangeError for anything that is not an http(s) origin: a
 * path would be dropped from `token_uri` (an assertion made for it would fail the audience check),
 * and a push allow-list entry with a path would suggest a finer rule than the one applied.
 */
function origin(option: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.username !== "" ||
    url.password !== "" ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== ""
  ) {
    const example =
      option === "publicUrl"
        ? '"https://google.test:8443"'
        : '"http://127.0.0.1:8090", or "loopback"';
    throw new RangeError(`${option} must be an http(s) origin such as ${example}, got "${value}"`);
  }
  return url.origin;
}

/**
 * Creates an emulator: validates the scenario and generates an RSA-2048 key per service account.
 *
 * @param options - scenario, base URL, clock, token lifetime, suspended-user behaviour
 * @returns the emulator; serve `emulator.fetch` anywhere (Node adapter: `@dwd/emulator/node`)
 * @throws {EmulatorError} code `invalid_scenario` when the scenario does not validate
 * @example
 * ```ts
 * const emulator = await createEmulator({ scenario: "demo" });
 * const key = await emulator.serviceAccountKeyJson("calendar-bot"); // Google's JSON key format
 * const form = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: "…" });
 * const res = await emulator.fetch(new Request(`${emulator.baseUrl}/token`, { method: "POST", body: form }));
 * console.log(key["client_email"], res.status); // 400: "…" is no signed assertion
 * ```
 */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const scenario = loadScenario(
    options.scenario === undefined || options.scenario === "demo" ? demoScenario : options.scenario,
  );
  const lifetime = options.tokenLifetimeSeconds ?? 3599;
  if (!Number.isInteger(lifetime) || lifetime < 1)
    throw new RangeError(`tokenLifetimeSeconds must be a positive integer, got ${lifetime}`);
  const now = options.now ?? Date.now;
  const maxBody = options.maxBodyBytes ?? maxBodyBytes;
  if (!Number.isInteger(maxBody) || maxBody < 1)
    throw new RangeError(`maxBodyBytes must be a positive integer, got ${maxBody}`);
  const pushAllowed = new Set(
    (options.pushAllowedOrigins ?? []).map((o) =>
      o === loopbackEntry ? o : origin("pushAllowedOrigins", o),
    ),
  );
  const publicUrl =
    options.publicUrl === undefined ? undefined : origin("publicUrl", options.publicUrl);
  const store = await createStore(scenario);
  const iam = await createIamState(scenario, store);

  const stats = createTrafficStats() as EmulatorStats;
  // Live tokens are read from the store, not counted, so they are never reset.
  Object.defineProperty(stats, "liveTokens", { get: () => store.tokens.size, enumerable: true });
  const faults: EmulatorFaults = { clockOffsetMs: 0 };

  const account = (name: string): ServiceAccountRecord => {
    const email = store.accountNames.get(name) ?? name.toLowerCase();
    const found = store.accounts.get(email);
    if (found === undefined) {
      const known = [...store.accountNames.keys()].map((n) => `"${n}"`).join(", ");
      throw new EmulatorError(
        "unknown_service_account",
        `No service account "${name}" in the scenario: it has ${known || "none"}`,
        {
          hint: 'Use one of the scenario\'s service-account names, or add it to "serviceAccounts"',
        },
      );
    }
    return found;
  };
  const currentKey = (a: ServiceAccountRecord) => {
    const key = a.keys[0];
    if (key === undefined) throw new Error(`Service account "${a.name}" has no key`);
    return key;
  };

  const emulator: Emulator = {
    baseUrl: publicUrl ?? (options.baseUrl ?? "http://127.0.0.1:0").replace(/\/+$/, ""),
    scenario,
    stats,
    faults,
    fetch: async (input: Request | string | URL, init?: RequestInit) => {
      // Google's front end bounds every body before an API sees it (batches included).
      const bounded = await boundedRequest(toRequest(input, init), maxBody);
      if (bounded === undefined) return payloadTooLarge(ctx.clock(), maxBody);
      return deliver(await app.fetch(bounded));
    },
    serviceAccount(name) {
      const a = account(name);
      return {
        name: a.name,
        email: a.email,
        clientId: a.clientId,
        keyId: currentKey(a).keyId,
        projectId: a.projectId,
      };
    },
    async serviceAccountKeyJson(name) {
      const a = account(name);
      const key = currentKey(a);
      return {
        type: "service_account",
        project_id: a.projectId,
        private_key_id: key.keyId,
        private_key: await privateKeyPem(key.privateKey),
        client_email: a.email,
        client_id: a.clientId,
        auth_uri: "https://accounts.google.com/o/oauth2/auth",
        token_uri: `${ctx.baseUrl()}/token`,
        auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(a.email)}`,
        universe_domain: "googleapis.com",
      };
    },
    serviceAccountKeyP12(name, password = "notasecret") {
      const a = account(name);
      return writeP12(a, currentKey(a), password, ctx.clock());
    },
    authorizedUserJson(email) {
      const user = iam.authorizedUsersByEmail.get(email.toLowerCase());
      if (user === undefined) {
        throw new EmulatorError(
          "unknown_service_account",
          `No authorized user "${email}" in the scenario`,
          { hint: 'Add it to "authorizedUsers"' },
        );
      }
      return {
        type: "authorized_user",
        account: user.email,
        client_id: user.clientId,
        client_secret: user.clientSecret,
        refresh_token: user.refreshToken,
        universe_domain: "googleapis.com",
      };
    },
    revokeAll() {
      store.tokens.clear();
      store.tokenExpiry.clear();
    },
    resetData: () => runtime.resetData(),
    expireSyncTokens: () => runtime.expireSyncTokens(),
    pushIdle: () => runtime.hub.idle(),
  };

  const ctx: EmulatorContext = {
    store,
    clock: () => now() + faults.clockOffsetMs,
    baseUrl: () => emulator.baseUrl.replace(/\/+$/, ""),
    listenUrl: () => emulator.listenUrl,
    pushAllowed,
    pushFetchGiven: options.pushFetch !== undefined,
    stats,
    faults,
    tokenLifetimeSeconds: lifetime,
    suspendedSubject: options.suspendedSubject ?? "invalid_account",
    iam,
  };

  const runtime = createRuntime(ctx, scenario, options.pushFetch);
  if (options.faults !== undefined) {
    const problem = applyFaults(runtime, { ...options.faults });
    if (problem !== undefined) throw new RangeError(`Invalid faults option: ${problem}`);
  }
  const app = new Hono({ router: new CachedRouter() });
  app.use("*", traffic(runtime));
  app.route("/_emulator", controlApi(runtime));
  app.post("/batch/calendar/v3", (c) =>
    handleBatch(runtime, c.req.raw, (inner) => Promise.resolve(app.fetch(inner))),
  );
  for (const path of tokenPaths) app.post(path, (c) => handleTokenRequest(ctx, c.req.raw));
  app.route("/calendar/v3", calendarRoutes(ctx, runtime));
  app.route("/admin/directory/v1", directoryRoutes(ctx, scenario));
  app.post("/v1/projects/*", (c) => handleSignJwt(ctx, iam, c.req.raw));
  app.route("/computeMetadata", metadataRoutes(ctx, iam));
  app.route("/", googleCertRoutes(ctx));
  app.notFound((c) => {
    if (c.req.path.startsWith("/calendar/v3/")) return notFound(ctx.clock());
    return new Response("Not Found", {
      status: 404,
      headers: { "Content-Type": "text/plain; charset=utf-8", Date: httpDate(ctx.clock()) },
    });
  });
  app.onError((_err, c) => {
    if (!tokenPaths.includes(c.req.path)) return backendError(ctx.clock());
    const body = JSON.stringify({ error: "internal_failure", error_description: "Backend Error" });
    return new Response(body, { status: 500, headers: tokenHeaders(ctx.clock()) });
  });
  return emulator;
}
