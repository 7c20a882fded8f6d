/**
 * `resolveEndpoints()`: where tokens and Calendar calls go — Google, a key's own `token_uri`, or an
 * emulator named by `DWD_EMULATOR_HOST`.
 *
 * @module
 */

import { readEnv } from "./_internal/env.ts";
import { GOOGLE_TOKEN_URI } from "./service-account-key.ts";

/** Google's Calendar API v3 root. */
export const GOOGLE_CALENDAR_ROOT = "https://www.googleapis.com/calendar/v3";

/** Google's IAM Service Account Credentials API root (`signJwt`). */
export const GOOGLE_IAM_CREDENTIALS_ROOT = "https://iamcredentials.googleapis.com";

/** Options of {@link resolveEndpoints}; explicit values win over the environment. */
export interface ResolveEndpointsOptions {
  /** Environment to read `DWD_EMULATOR_HOST` from; defaults to the runtime's. */
  env?: Record<string, string | undefined> | undefined;
  /** Explicit token endpoint (wins over everything). */
  tokenUri?: string | undefined;
  /** Explicit Calendar API root, e.g. `http://127.0.0.1:8080/calendar/v3` (wins over everything). */
  apiRoot?: string | undefined;
  /** Explicit IAM Credentials API root, e.g. `http://127.0.0.1:8080` (wins over everything). */
  iamRoot?: string | undefined;
  /** The key's `token_uri` (used when neither `tokenUri` nor `DWD_EMULATOR_HOST` is set). */
  keyTokenUri?: string | undefined;
}

/** The resolved endpoints. */
export interface Endpoints {
  /** Where the jwt-bearer grant is posted (also the assertion's `aud`). */
  tokenUri: string;
  /** Calendar API v3 root, without a trailing slash. */
  calendarRoot: string;
  /** IAM Credentials API root, without a trailing slash (where keyless `signJwt` goes). */
  iamRoot: string;
  /** The emulator origin when `DWD_EMULATOR_HOST` is set. */
  emulatorOrigin?: string | undefined;
}

/**
 * Resolves the token endpoint, the Calendar root and the IAM Credentials root.
 * `DWD_EMULATOR_HOST=host:port` (the convention of Google's own emulators) points all three at `http://host:port` for any kind of key; explicit options win.
 *
 * @param options env, explicit endpoints, and the key's token URI
 * @returns the token URI and Calendar root
 * @throws {TypeError} when `DWD_EMULATOR_HOST` is not `host:port` or a URL
 * @example
 * ```ts
 * resolveEndpoints({ env: { DWD_EMULATOR_HOST: "127.0.0.1:8085" } });
 * // { tokenUri: "http://127.0.0.1:8085/token", calendarRoot: "http://127.0.0.1:8085/calendar/v3", … }
 * ```
 */
export function resolveEndpoints(options: ResolveEndpointsOptions = {}): Endpoints {
  const host = readEnv("DWD_EMULATOR_HOST", options.env)?.trim();
  let origin: string | undefined;
  if (host) {
    try {
      origin = new URL(/^https?:\/\//.test(host) ? host : `http://${host}`).origin;
    } catch {
      throw new TypeError(`DWD_EMULATOR_HOST must be "host:port" (got "${host}")`);
    }
  }
  return {
    tokenUri:
      options.tokenUri ?? (origin ? `${origin}/token` : (options.keyTokenUri ?? GOOGLE_TOKEN_URI)),
    iamRoot: (options.iamRoot ?? origin ?? GOOGLE_IAM_CREDENTIALS_ROOT).replace(/\/+$/, ""),
    calendarRoot: (
      options.apiRoot ?? (origin ? `${origin}/calendar/v3` : GOOGLE_CALENDAR_ROOT)
    ).replace(/\/+$/, ""),
    ...(origin ? { emulatorOrigin: origin } : {}),
  };
}
