import { createTokenSource, loadKey, registerSecret } from "@dwd/auth";
import type { ServiceAccountKey } from "@dwd/auth";
import { createEmulator, demoScenario } from "@dwd/emulator";
import type { Emulator, Scenario } from "@dwd/emulator";
import { expect } from "vitest";
import type { CallerConfig, ServerConfig } from "../src/config.ts";
import type { CreateServerOptions, DwdServer } from "../src/server.ts";
import { createServer } from "../src/server.ts";

export const RO = "https://www.googleapis.com/auth/calendar.readonly";
export const CAL = "https://www.googleapis.com/auth/calendar";

export const BOOKING_TOKEN = "test-booking-token-5f1c2a";
export const INTRUDER_TOKEN = "test-intruder-token-9b7e4d";
export const SLOW_TOKEN = "test-slow-token-31aa0c";
// 32 random bytes, base64 (openssl rand -base64 32), as DWD_CACHE_KEY must be.
export const CACHE_KEY = "Zk3pW9qR2tV7yB4nM8cX1sL6hJ0gF5dA3eK9uT2oP7I=";
/**
 * Secrets of the suite that have no recognisable shape: the callers' bearer tokens, the cache key. (The
 * demo tokens are public, printed in the demo's banner; the e2e test checks that no log line has them.)
 */
export const knownSecrets = [BOOKING_TOKEN, INTRUDER_TOKEN, SLOW_TOKEN, CACHE_KEY];
for (const t of knownSecrets) registerSecret(t);

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Everything the suite's servers logged or answered; scanned for secrets. */
export const seen: string[] = [];

/** Asserts that nothing seen holds a token, an assertion or key material. */
export function expectNoSecrets(texts: readonly string[] = seen): void {
  expect(texts.length).toBeGreaterThan(0);
  // Key material (PEM, long base64), access tokens (ya29.), assertions (a JWS), and the suite's tokens.
  const leaks = texts.filter(
    (t) =>
      /PRIVATE KEY|ya29\.|eyJ[A-Za-z0-9_-]{8,}\.|[A-Za-z0-9+/]{100,}/.test(t) ||
      knownSecrets.some((s) => t.includes(s)),
  );
  expect(leaks).toStrictEqual([]);
}

export async function callers(): Promise<CallerConfig[]> {
  return [
    {
      name: "booking-app",
      tokenSha256: await sha256Hex(BOOKING_TOKEN),
      subjects: ["*@example.com"],
      operations: [
        "calendarList.get",
        "events.list",
        "events.insert",
        "freebusy",
        "availability",
        "token",
        "doctor",
      ],
      scopes: [RO, CAL],
      calendars: ["*"],
      rate: { requests: 1000, per: "second" },
    },
    {
      name: "intruder",
      tokenSha256: await sha256Hex(INTRUDER_TOKEN),
      subjects: ["nobody@example.org"],
      operations: ["calendarList.get"],
      scopes: [RO],
      rate: { requests: 2, per: "minute" },
    },
    {
      name: "slow-app",
      tokenSha256: await sha256Hex(SLOW_TOKEN),
      subjects: ["list:sales"],
      operations: ["calendarList.get", "token"],
      scopes: [RO],
      rate: { requests: 2, per: "minute" },
    },
  ];
}

export async function testConfig(overrides: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  return {
    listen: { host: "127.0.0.1", port: 0 },
    delegation: {
      checkSubject: "info@example.com",
      calendarRoot: "http://emulator.test/calendar/v3",
      tokenUri: "http://emulator.test/token",
    },
    callers: await callers(),
    subjectLists: { sales: ["ana@example.com", "bob@example.com"] },
    cache: "memory",
    audit: "stdout",
    limits: {
      bodyBytes: 2048,
      subjectConcurrency: 4,
      subjectQueue: 8,
      upstreamTimeoutMs: 5000,
      shutdownGraceMs: 1000,
    },
    ...overrides,
  };
}

export interface Harness {
  server: DwdServer;
  emulator: Emulator;
  key: ServiceAccountKey;
  audit: Record<string, unknown>[];
  /** The audit lines as written. */
  auditLines: string[];
  logs: string[];
  /** Sends a request to the app (no socket); records the answer for the secret scan. */
  request(
    path: string,
    init?: RequestInit & { token?: string; json?: unknown },
  ): Promise<{ status: number; headers: Headers; text: string; body: Record<string, unknown> }>;
  clock: { now: number };
}

const emulators = new Map<string, Promise<{ emulator: Emulator; key: ServiceAccountKey }>>();

/** One emulator per scenario for the whole file (RSA key generation is slow). */
export function sharedEmulator(
  scenario: Scenario = demoScenario,
  name = "demo",
): Promise<{ emulator: Emulator; key: ServiceAccountKey }> {
  let found = emulators.get(name);
  if (found === undefined) {
    found = (async () => {
      const emulator = await createEmulator({ scenario, baseUrl: "http://emulator.test" });
      return { emulator, key: await loadKey(await emulator.serviceAccountKeyJson("calendar-bot")) };
    })();
    emulators.set(name, found);
  }
  return found;
}

export async function harness(
  options: {
    config?: ServerConfig;
    scenario?: Scenario;
    scenarioName?: string;
    fetch?: CreateServerOptions["fetch"];
    calendar?: CreateServerOptions["calendar"];
  } = {},
): Promise<Harness> {
  const { emulator, key } = await sharedEmulator(options.scenario, options.scenarioName);
  const config = options.config ?? (await testConfig());
  const audit: Record<string, unknown>[] = [];
  const auditLines: string[] = [];
  const logs: string[] = [];
  const clock = { now: Date.now() };
  const server = createServer({
    credentials: key,
    config,
    audit: (line) => {
      seen.push(line);
      auditLines.push(line);
      audit.push(JSON.parse(line) as Record<string, unknown>);
    },
    log: (line) => {
      seen.push(line);
      logs.push(line);
    },
    fetch: options.fetch ?? ((url, init) => emulator.fetch(new Request(url, init))),
    now: () => clock.now,
    ...(options.calendar ? { calendar: options.calendar } : {}),
  });
  await server.checked;
  return {
    server,
    emulator,
    key,
    audit,
    auditLines,
    logs,
    clock,
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      const response = await server.fetch(
        new Request(`http://dwd.test${path}`, { ...init, headers, body }),
      );
      const text = await response.text();
      const parsed = text.startsWith("{") ? (JSON.parse(text) as Record<string, unknown>) : {};
      // The token broker's answer is the one place a token is meant to be; everything else is scanned.
      seen.push(
        JSON.stringify({ ...parsed, accessToken: undefined }),
        [...response.headers].join("\n"),
      );
      if (!text.startsWith("{")) seen.push(text);
      return { status: response.status, headers: response.headers, text, body: parsed };
    },
  };
}

export { createTokenSource };
