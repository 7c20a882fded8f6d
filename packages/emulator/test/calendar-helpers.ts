/** Helpers for Calendar API tests: mint a token as a subject, call a method, read JSON. */
import type { Emulator, EmulatorOptions } from "../src/index.ts";
import { createEmulator } from "../src/index.ts";
import type { Signer } from "./helpers.ts";
import { CALENDAR, mint, signerFor } from "./helpers.ts";

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  json: any;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Harness {
  emulator: Emulator;
  bot: Signer;
  /** The emulated clock (ms); tests set it. */
  clock: { now: number };
  /** A token for `subject` (null: the service account itself) with `scopes` (default …/auth/calendar). */
  token(subject?: string | null, scopes?: string[]): Promise<string>;
  /** Calls `/calendar/v3/<path>` with a token. */
  call(token: string, method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
}

/** 2026-04-01T12:00:00Z, a Wednesday. */
export const START: number = Date.UTC(2026, 3, 1, 12, 0, 0);

export async function read(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function harness(options: EmulatorOptions = {}): Promise<Harness> {
  const clock = { now: START };
  const emulator = await createEmulator({ scenario: "demo", now: () => clock.now, ...options });
  const bot = await signerFor(emulator, "calendar-bot", () => clock.now);
  const cache = new Map<string, string>();
  return {
    emulator,
    bot,
    clock,
    async token(subject = "info@example.com", scopes = [CALENDAR]) {
      const key = `${subject ?? ""} ${scopes.join(" ")}`;
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const t = await mint(emulator, bot, {
        sub: subject ?? undefined,
        scope: scopes.join(" "),
        iat: Math.floor(clock.now / 1000),
        exp: Math.floor(clock.now / 1000) + 3600,
      });
      cache.set(key, t);
      return t;
    },
    async call(token, method, path, options = {}) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        ...options.headers,
      };
      if (options.body !== undefined) headers["content-type"] = "application/json";
      const res = await emulator.fetch(
        new Request(`${emulator.baseUrl}/calendar/v3/${path}`, {
          method,
          headers,
          body: options.body === undefined ? null : JSON.stringify(options.body),
        }),
      );
      return read(res);
    },
  };
}

/** Google's legacy error body, byte for byte. */
export function legacyError(
  code: number,
  domain: string,
  reason: string,
  message: string,
  location?: [string, string],
): string {
  const item: Record<string, string> = { domain, reason, message };
  if (location !== undefined) {
    item["locationType"] = location[0];
    item["location"] = location[1];
  }
  return JSON.stringify({ error: { errors: [item], code, message } });
}
