/**
 * `resolveEndpoints()`: where tokens and Calendar calls go — Google, a key's own `token_uri`, or an
 * emulator named by `DWD_EMULATOR_HOST` or by a loopback token URI. The library (`createTokenSource`,
 * `createCalendarClient`) and the `dwd` CLI resolve through this one function.
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
  /**
   * The emulator's origin: `DWD_EMULATOR_HOST`'s, else that of a token URI on a loopback address
   * (`127.0.0.0/8`, `localhost`, `[::1]`: a key the emulator wrote names it as its `token_uri`).
   */
  emulatorOrigin?: string | undefined;
  /** Where `tokenUri` came from: the option, `DWD_EMULATOR_HOST`, the key's `token_uri`, or Google's default. */
  tokenUriFrom: "option" | "DWD_EMULATOR_HOST" | "key" | "default";
}

/** The origin of `uri` when it is an http(s) URL on a loopback host. */
function loopbackOrigin(uri: string | undefined): string | undefined {
  if (uri === undefined || !URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname) ? url.origin : undefined;
}

/**
 * Resolves the token endpoint, the Calendar root and the IAM Credentials root.
 * `DWD_EMULATOR_HOST=host:port` (the convention of Google's own emulators) points all three at
 * `http://host:port` for any kind of key; explicit options win. Without it, a token URI on a loopback
 * address (the `tokenUri` option, or the key's `token_uri` as the emulator writes it) is the emulator's:
 * the Calendar and IAM roots default to the same origin, so what the emulator hands out is enough.
 *
 * @param options env, explicit endpoints, and the key's token URI
 * @returns the token URI and Calendar root
 * @throws {TypeError} when `DWD_EMULATOR_HOST` is not `host:port` or a URL
 * @example
 * ```ts
 * resolveEndpoints({ env: { DWD_EMULATOR_HOST: "127.0.0.1:8085" } });
 * // { tokenUri: "http://127.0.0.1:8085/token", calendarRoot: "http://127.0.0.1:8085/calendar/v3", … }
 * resolveEndpoints({ env: {}, keyTokenUri: "http://127.0.0.1:8085/token" }).calendarRoot;
 * // "http://127.0.0.1:8085/calendar/v3"
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
  const tokenUriFrom: Endpoints["tokenUriFrom"] =
    options.tokenUri !== undefined
      ? "option"
      : origin !== undefined
        ? "DWD_EMULATOR_HOST"
        : options.keyTokenUri !== undefined
          ? "key"
          : "default";
  const tokenUri =
    options.tokenUri ?? (origin ? `${origin}/token` : (options.keyTokenUri ?? GOOGLE_TOKEN_URI));
  const emulator = origin ?? loopbackOrigin(tokenUri);
  return {
    tokenUri,
    iamRoot: (options.iamRoot ?? emulator ?? GOOGLE_IAM_CREDENTIALS_ROOT).replace(/\/+$/, ""),
    calendarRoot: (
      options.apiRoot ?? (emulator ? `${emulator}/calendar/v3` : GOOGLE_CALENDAR_ROOT)
    ).replace(/\/+$/, ""),
    ...(emulator ? { emulatorOrigin: emulator } : {}),
    tokenUriFrom,
  };
}
