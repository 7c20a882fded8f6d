/**
 * Starts serving: loads the configuration (or the demo), the key, the cache; listens (Node through
 * @hono/node-server, Deno through its Node compatibility); prints the URL and a curl per route;
 * handles SIGTERM (graceful stop) and SIGHUP (policy reload).
 *
 * @module
 */

import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { createAdaptorServer } from "@hono/node-server";
import {
  cacheKeyProblem,
  createIamSigner,
  loadKey,
  redactSecrets,
  registerSecret,
} from "@dwd/auth";
import type { JwtSigner, ServiceAccountKey, SharedTokenStore } from "@dwd/auth";
import type { AuditSink } from "./audit.ts";
import type { ServerConfig } from "./config.ts";
import { ConfigError, parseConfig } from "./config.ts";
import { DEMO_BOOKING_TOKEN, DEMO_INTRUDER_TOKEN, demoConfig } from "./demo.ts";
import { VERSION_STRING } from "./_internal/version.ts";
import { createProcessMetrics } from "./_internal/process-metrics.node.ts";
import { UsageError } from "./_internal/usage-error.ts";
import { nodeFetch } from "./_internal/node-fetch.ts";
import { createServer } from "./server.ts";
import type { DwdServer } from "./server.ts";
import { parseMirrorFile } from "./mirror-file.ts";
import type { MirrorStore } from "./mirror/store.ts";
import type { RateStore } from "./limits.ts";
import type { IdempotencyStore } from "./idempotency.ts";

/**
 * Node's limits on a client that sends its request slowly: the whole request within
 * `limits.requestTimeoutMs`, the headers within 10 s at most (Node's defaults, 300 s and 60 s, let
 * clients that trickle bytes hold connections for minutes), checked every second.
 */
function slowClientLimits(config: ServerConfig): {
  requestTimeout: number;
  headersTimeout: number;
  connectionsCheckingInterval: number;
} {
  const requestTimeout = config.limits.requestTimeoutMs ?? 15_000;
  return {
    requestTimeout,
    headersTimeout: Math.min(requestTimeout, 10_000),
    connectionsCheckingInterval: Math.min(1000, requestTimeout),
  };
}

/** What `dwd-server` was asked to do. */
export interface StartOptions {
  configFile?: string;
  emulator?: boolean;
  emulatorUrl?: string;
  /** The embedded emulator's port (`--emulator-port`, or `--emulator=PORT`); 0 picks a free one. */
  emulatorPort?: number;
  keyFile?: string;
  cache?: string;
  port: number;
  host: string;
  demoRate: number;
  /** Demo modes: the file of users to mirror (`--mirror FILE`). */
  mirrorFile?: string;
}

const out = (line: string): void => void process.stdout.write(`${redactSecrets(line)}\n`);
const err = (line: string): void => void process.stderr.write(`${redactSecrets(line)}\n`);

async function readConfig(file: string): Promise<ServerConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `Cannot read the configuration "${file}": ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error)}`,
      "Check the path given to --config",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [
      {
        field: "(file)",
        problem: `is not JSON (${error instanceof Error ? error.message : String(error)})`,
        fix: "Fix the JSON syntax; dwd-server.schema.json describes the fields",
      },
    ]);
  }
  return parseConfig(json, file);
}

function curls(url: string): string[] {
  const auth = `-H 'Authorization: Bearer ${DEMO_BOOKING_TOKEN}'`;
  const json = "-H 'Content-Type: application/json'";
  const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const range = `"timeMin":"${day}T00:00:00Z","timeMax":"${day}T23:59:59Z"`;
  return [
    `curl -s ${auth} ${url}/v1/users/info@example.com/calendarList/primary`,
    `curl -s ${auth} '${url}/v1/users/ana@example.com/calendars/primary/events?maxResults=5'`,
    `curl -s ${auth} ${json} -H 'Idempotency-Key: demo-1' -d '{"summary":"Demo","start":{"dateTime":"${day}T10:00:00Z"},"end":{"dateTime":"${day}T10:30:00Z"}}' ${url}/v1/users/ana@example.com/calendars/primary/events`,
    `curl -s ${auth} ${json} -d '{"subjects":["info@example.com","ana@example.com","bob@example.com"],${range}}' ${url}/v1/freebusy`,
    `curl -s ${auth} ${json} -d '{"subjects":["ana@example.com","bob@example.com"],${range},"durationMinutes":30,"timeZone":"Europe/Berlin","workingHours":{"start":"09:00","end":"17:00","days":[1,2,3,4,5,6,7]}}' ${url}/v1/availability`,
    `curl -s ${auth} ${json} -d '{"subject":"ana@example.com","scopes":["https://www.googleapis.com/auth/calendar.readonly"]}' ${url}/v1/token`,
    `curl -s -H 'Authorization: Bearer ${DEMO_INTRUDER_TOKEN}' ${url}/v1/users/info@example.com/calendarList/primary   # 403`,
    `curl -s ${auth} ${url}/v1/doctor`,
    `curl -s ${url}/readyz; curl -s ${url}/metrics; curl -s ${url}/openapi.json`,
  ];
}

function auditSink(config: ServerConfig): { sink: AuditSink; close(): Promise<void> } {
  // writeAudit() has redacted each line already (redactSecrets is idempotent: a second pass finds nothing).
  if (config.audit === "stdout")
    return {
      sink: (line) => void process.stdout.write(`${line}\n`),
      close: () => Promise.resolve(),
    };
  const stream = createWriteStream(config.audit.file, { flags: "a", mode: 0o600 });
  stream.on("error", (error) =>
    err(
      JSON.stringify({
        level: "error",
        msg: `audit file "${(config.audit as { file: string }).file}": ${error.message}`,
      }),
    ),
  );
  return {
    sink: (line) => void stream.write(`${line}\n`),
    close: () => new Promise((r) => stream.end(r)),
  };
}

/**
 * The cache key in `name`: 32 random bytes in base64, or a usage error saying what is wrong with it.
 * Decided: a random key, not a passphrase stretched by a slow KDF — a KDF only slows the guessing of a
 * weak phrase by a constant factor (and every replica's start by as much), while 256 random bits make
 * a stolen Redis value uncrackable; `openssl rand -base64 32` makes one.
 */
function cacheKeyFromEnv(name: string, required: boolean): string | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") {
    if (!required) return undefined;
    throw new UsageError(
      `${name} is not set: tokens in Redis are sealed with it, and entries and budgets named by it`,
      `Set the same ${name} on every replica: export ${name}=$(openssl rand -base64 32)`,
    );
  }
  const problem = cacheKeyProblem(value);
  if (problem !== undefined)
    throw new UsageError(
      `${name} ${problem}: it must be 32 random bytes in base64 (a passphrase can be guessed from one stolen Redis value)`,
      `Generate one with: openssl rand -base64 32 (the same on every replica${name === "DWD_CACHE_KEY" ? "; keep the old one as DWD_CACHE_KEY_PREVIOUS while replicas move to a new one" : ""})`,
    );
  registerSecret(value);
  return value;
}

async function readMirrorFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `Cannot read the --mirror file "${file}": ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error)}`,
      "Check the path given to --mirror (a file with one email a line)",
    );
  }
  return parseMirrorFile(text, file);
}

/** `http://HOST:PORT` of a URL. */
function originOf(url: string): string {
  return new URL(url).origin;
}

/**
 * The API listener, bound once (early in the demo with a mirror, whose push address needs the port),
 * serving the server once it exists: a request that comes before waits for it.
 */
function lateListener(): {
  listen(config: ServerConfig): Promise<string>;
  serve(server: DwdServer): Server;
  /** Closes the listener if it was bound (a start that failed must not keep the process alive). */
  close(): void;
} {
  let bound: Promise<string> | undefined;
  let http: Server | undefined;
  let ready: (server: DwdServer) => void = () => undefined;
  const serverReady = new Promise<DwdServer>((resolveServer) => (ready = resolveServer));
  let handle = async (request: Request): Promise<Response> => (await serverReady).fetch(request);
  return {
    listen(config) {
      bound ??= new Promise<string>((resolveListen, reject) => {
        const s = createAdaptorServer({
          fetch: (request: Request) => handle(request),
          hostname: config.listen.host,
          serverOptions: slowClientLimits(config),
        }) as Server;
        http = s;
        s.once("error", (cause: NodeJS.ErrnoException) =>
          reject(
            new UsageError(
              `Cannot listen on "${config.listen.host}:${config.listen.port}": ${cause.code ?? cause.message}`,
              "Pick another port (0 for a free one), or stop the process that holds it",
            ),
          ),
        );
        s.listen(config.listen.port, config.listen.host, () => {
          const address = s.address() as AddressInfo;
          const host = config.listen.host.includes(":")
            ? `[${config.listen.host}]`
            : config.listen.host === "0.0.0.0"
              ? "127.0.0.1"
              : config.listen.host;
          resolveListen(`http://${host}:${address.port}`);
        });
      });
      return bound;
    },
    serve(server) {
      ready(server);
      handle = server.fetch;
      return http!;
    },
    close() {
      http?.close();
      http?.closeAllConnections();
    },
  };
}

/**
 * Runs the server until SIGTERM/SIGINT.
 *
 * @param options what to serve
 * @returns the exit code
 */
export async function start(options: StartOptions): Promise<number> {
  const listener = lateListener();
  const closers: (() => Promise<void>)[] = [];
  try {
    return await run(options, listener, closers);
  } catch (error) {
    // A start that failed half-way: nothing it opened may keep the process alive.
    listener.close();
    await Promise.allSettled(closers.map((c) => c()));
    throw error;
  }
}

async function run(
  options: StartOptions,
  listener: ReturnType<typeof lateListener>,
  closers: (() => Promise<void>)[],
): Promise<number> {
  let config: ServerConfig;
  let credentials: ServiceAccountKey | JwtSigner;
  const banner: string[] = [];
  if (options.configFile !== undefined) {
    config = await readConfig(options.configFile);
    if (options.cache !== undefined) config.cache = options.cache;
    const d = config.delegation;
    if (d.signer === "iam") {
      credentials = createIamSigner({
        serviceAccount: d.serviceAccount!,
        ...(d.clientId ? { clientId: d.clientId } : {}),
      });
    } else {
      credentials = await loadKey(resolve(dirname(options.configFile), d.keyFile!), {
        ...(d.serviceAccount ? { email: d.serviceAccount } : {}),
        ...(d.clientId ? { clientId: d.clientId } : {}),
      });
    }
  } else {
    const mirrorUsers =
      options.mirrorFile === undefined ? undefined : await readMirrorFile(options.mirrorFile);
    config = await demoConfig({
      port: options.port,
      host: options.host,
      cache: options.cache ?? "memory",
      ratePerMinute: options.demoRate,
      ...(mirrorUsers !== undefined ? { mirrorUsers } : {}),
    });
    // The mirror's push address is this server's own: its port must be known before the emulator
    // takes a watch, so the listener is bound first (requests wait for the server behind it).
    let pushOrigin: string | undefined;
    if (mirrorUsers !== undefined) {
      pushOrigin = originOf(await listener.listen(config));
      config.mirror = {
        users: mirrorUsers,
        pushUrl: `${pushOrigin}/v1/push`,
        horizonDays: 90,
        channelTtlHours: 168,
        reconcileMinutes: 15,
        callsPerSecond: 10,
      };
    }
    let base: string;
    if (options.emulator) {
      const { startEmulator } = await import("@dwd/emulator/node");
      const running = await startEmulator({
        scenario: "demo",
        port: options.emulatorPort ?? 0,
        host: "127.0.0.1",
        ...(pushOrigin !== undefined ? { pushAllowedOrigins: [pushOrigin] } : {}),
      });
      closers.push(() => running.close());
      base = running.url;
      credentials = await loadKey(await running.emulator.serviceAccountKeyJson("calendar-bot"));
      banner.push(`emulator (demo scenario: info@, ana@, bob@example.com) at ${base}`);
    } else {
      base = options.emulatorUrl!.replace(/\/+$/, "");
      if (options.keyFile === undefined) {
        throw new UsageError(
          `No key for the emulator at "${base}": it does not hand out keys over HTTP`,
          "Pass its calendar-bot key file with --key (dwd emulator start --keys-dir DIR writes it)",
        );
      }
      credentials = await loadKey(options.keyFile);
      banner.push(`emulator at ${base}`);
      if (pushOrigin !== undefined)
        banner.push(
          `mirror: the emulator must allow pushes to ${pushOrigin} (start it with: dwd emulator start --push-allow ${pushOrigin})`,
        );
    }
    config.delegation = {
      ...config.delegation,
      tokenUri: `${base}/token`,
      calendarRoot: `${base}/calendar/v3`,
    };
  }

  let shared:
    | {
        store: SharedTokenStore;
        secret: string;
        previousSecret?: string;
        rates: RateStore;
        idempotency: IdempotencyStore;
      }
    | undefined;
  let mirrorStore: MirrorStore | undefined;
  if (config.cache !== "memory") {
    const secret = cacheKeyFromEnv("DWD_CACHE_KEY", true)!;
    const previousSecret = cacheKeyFromEnv("DWD_CACHE_KEY_PREVIOUS", false);
    const { createRedisTokenStore } = await import("./redis-store.ts");
    const store = createRedisTokenStore(config.cache);
    closers.push(() => store.close());
    // The mirror's state beside the tokens, named under the same cache key, shared by every replica.
    if (config.mirror !== undefined) {
      const { createRedisMirrorStore } = await import("./mirror/redis-store.ts");
      const kept = createRedisMirrorStore(config.cache, secret);
      mirrorStore = kept;
      closers.push(() => kept.close());
    }
    shared = {
      store,
      secret,
      ...(previousSecret !== undefined ? { previousSecret } : {}),
      rates: store,
      idempotency: store,
    };
  }

  const audit = auditSink(config);
  const server = createServer({
    credentials,
    config,
    audit: audit.sink,
    log: err,
    version: VERSION_STRING,
    // On Node, upstream calls go over node:http (a fraction of undici's cost per call); Deno keeps
    // its own fetch.
    ...(process.versions.deno === undefined ? { fetch: nodeFetch } : {}),
    ...(shared ? { shared } : {}),
    ...(mirrorStore ? { mirrorStore } : {}),
    processMetrics: createProcessMetrics(),
  });
  const url = await listener.listen(config);
  const http = listener.serve(server);
  out(`dwd-server listening on ${url}`);
  // The admin listener: the doctor without a token, /metrics and the probes, for operators only.
  let admin: Server | undefined;
  if (config.admin !== undefined) {
    const where = config.admin;
    admin = createAdaptorServer({
      fetch: server.adminFetch,
      hostname: where.host,
      serverOptions: slowClientLimits(config),
    }) as Server;
    const adminAddress = await new Promise<AddressInfo>((resolveListen, reject) => {
      admin!.once("error", (cause: NodeJS.ErrnoException) =>
        reject(
          new UsageError(
            `Cannot listen on "${where.host}:${where.port}" (admin): ${cause.code ?? cause.message}`,
            "Pick another admin.port (0 for a free one), or stop the process that holds it",
          ),
        ),
      );
      admin!.listen(where.port, where.host, () => resolveListen(admin!.address() as AddressInfo));
    });
    const adminHost = where.host.includes(":") ? `[${where.host}]` : where.host;
    out(`dwd-server admin on http://${adminHost}:${adminAddress.port}`);
  }
  if (options.configFile === undefined) {
    for (const line of banner) out(line);
    out(
      `demo callers: booking-app (token "${DEMO_BOOKING_TOKEN}"), intruder (token "${DEMO_INTRUDER_TOKEN}"); cache: ${config.cache === "memory" ? "memory" : "redis"}`,
    );
    out("try:");
    // Not redacted: the demo tokens are public, documented values, valid only in this mode.
    for (const line of curls(url)) process.stdout.write(`  ${line}\n`);
  }
  // The mirror starts once /v1/push answers: the emulator's first message comes with the watch.
  const mirror = server.mirror;
  if (mirror !== undefined) {
    mirror.start();
    out(
      `mirror: watching ${mirror.status().users} user(s); notifications to ${config.mirror!.pushUrl}`,
    );
  }

  return await new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      err(
        JSON.stringify({
          level: "info",
          msg: `${signal}: no new connections; finishing ${server.inFlight()} request(s) in flight`,
        }),
      );
      http.close();
      admin?.close();
      const deadline = Date.now() + config.limits.shutdownGraceMs;
      const wait = (): void => {
        if (server.inFlight() > 0 && Date.now() < deadline) {
          setTimeout(wait, 10);
          return;
        }
        if (server.inFlight() > 0)
          err(
            JSON.stringify({
              level: "warn",
              msg: `shutdown grace over with ${server.inFlight()} request(s) unfinished`,
            }),
          );
        http.closeAllConnections();
        admin?.closeAllConnections();
        // The mirror first (its timers and syncs in flight), then the stores it wrote to.
        void (mirror?.close() ?? Promise.resolve())
          .catch((error: unknown) =>
            err(
              JSON.stringify({
                level: "error",
                msg: `mirror: close failed: ${error instanceof Error ? error.message : String(error)}`,
              }),
            ),
          )
          .then(() => Promise.allSettled([audit.close(), ...closers.map((c) => c())]))
          .then(() => resolveExit(0));
      };
      wait();
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      if (options.configFile === undefined) {
        err(
          JSON.stringify({
            level: "info",
            msg: "SIGHUP: the demo policy is fixed; nothing to reload",
          }),
        );
        return;
      }
      // reload() inside the promise chain: a configuration that validates but cannot be compiled is
      // refused like a broken file (the policy in force stays), never an unhandled rejection.
      readConfig(options.configFile)
        .then((next) => {
          server.reload(next);
          return next;
        })
        .then(
          (next) => {
            err(
              JSON.stringify({
                level: "info",
                msg: `SIGHUP: policy reloaded (${next.callers.length} caller(s))`,
              }),
            );
          },
          (error: unknown) =>
            err(
              JSON.stringify({
                level: "error",
                msg: `SIGHUP: kept the current policy: ${error instanceof Error ? error.message : String(error)}`,
                hint: (error as { hint?: string }).hint,
              }),
            ),
        );
    });
  });
}
