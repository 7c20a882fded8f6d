/**
 * The demo policy of `dwd-server --emulator`: two callers with fixed, documented tokens, valid only in
 * emulator mode (a configuration file names SHA-256 digests, never tokens).
 *
 * @module
 */

import type { CallerConfig, ServerConfig } from "./config.ts";

/** The booking app's demo token: calendar-list reads, events list/insert, free/busy, availability and the token broker for `*@example.com` (and the `--mirror` users). */
export const DEMO_BOOKING_TOKEN = "demo-booking-token";
/** The intruder's demo token: a known caller allowed nothing. */
export const DEMO_INTRUDER_TOKEN = "demo-intruder-token";

const auth = "https://www.googleapis.com/auth/";

async function hex(text: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The demo configuration.
 *
 * @param options port, host, cache, the booking app's rate per minute
 * @returns the configuration
 */
export async function demoConfig(options: {
  port: number;
  host: string;
  cache: string;
  ratePerMinute: number;
  /** The users of `--mirror FILE`: the booking app may ask availability and free/busy of them too. */
  mirrorUsers?: readonly string[];
}): Promise<ServerConfig> {
  const mirrored = (options.mirrorUsers ?? []).filter((u) => !u.endsWith("@example.com"));
  const callers: CallerConfig[] = [
    {
      name: "booking-app",
      tokenSha256: await hex(DEMO_BOOKING_TOKEN),
      subjects: ["*@example.com", ...mirrored],
      operations: [
        "calendarList.get",
        "events.list",
        "events.insert",
        "freebusy",
        "availability",
        "token",
        "doctor",
      ],
      scopes: [`${auth}calendar.readonly`, `${auth}calendar`],
      rate: { requests: options.ratePerMinute, per: "minute" },
    },
    // Known, but allowed nothing: every request it makes is refused (the policy's 403s, and its 429).
    {
      name: "intruder",
      tokenSha256: await hex(DEMO_INTRUDER_TOKEN),
      subjects: [],
      operations: [],
      scopes: [],
      rate: { requests: 5, per: "minute" },
    },
  ];
  return {
    listen: { host: options.host, port: options.port },
    delegation: { checkSubject: "info@example.com" },
    callers,
    subjectLists: {},
    cache: options.cache,
    audit: "stdout",
    limits: {
      bodyBytes: 65536,
      subjectConcurrency: 8,
      subjectQueue: 256,
      upstreamTimeoutMs: 10_000,
      shutdownGraceMs: 10_000,
    },
  };
}
