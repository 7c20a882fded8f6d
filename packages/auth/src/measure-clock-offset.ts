/**
 * `measureClockOffset()`: how far this machine's clock is from the token endpoint's, from its `Date`
 * header (what `dwd doctor` checks before blaming a key).
 *
 * @module
 */

import { defaultFetch } from "./fetch-like.ts";
import type { FetchLike } from "./fetch-like.ts";
import { readAnswer } from "./_internal/read-answer.ts";
import { resolveEndpoints } from "./resolve-endpoints.ts";

/** Options of {@link measureClockOffset}. */
export interface MeasureClockOffsetOptions {
  /** Token endpoint; defaults via {@link resolveEndpoints} (env `DWD_EMULATOR_HOST`, then Google). */
  tokenUri?: string | undefined;
  /** Injected fetch; `globalThis.fetch` by default. */
  fetch?: FetchLike | undefined;
  /** Injected clock (ms). */
  now?: (() => number) | undefined;
  /** Environment for `DWD_EMULATOR_HOST`. */
  env?: Record<string, string | undefined> | undefined;
}

/**
 * Posts an empty grant to the token endpoint (it answers 400 without side effects) and compares its
 * `Date` header with the local clock, taken halfway through the round trip.
 *
 * @param options token URI, fetch, now, env
 * @returns the endpoint's clock minus ours in ms (positive: we are behind), or `undefined` when the
 *   answer has no `Date` header
 * @throws {TypeError} when the endpoint cannot be reached (what `fetch` throws)
 * @example
 * ```ts
 * const offsetMs = await measureClockOffset();
 * if (offsetMs !== undefined && Math.abs(offsetMs) > 60_000) console.warn("clock skew");
 * ```
 */
export async function measureClockOffset(
  options: MeasureClockOffsetOptions = {},
): Promise<number | undefined> {
  const tokenUri = options.tokenUri ?? resolveEndpoints({ env: options.env }).tokenUri;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? defaultFetch;
  const before = now();
  const response = await doFetch(tokenUri, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=",
    redirect: "manual",
  });
  const after = now();
  await readAnswer(response).catch(() => "");
  const date = response.headers.get("date");
  const server = date ? Date.parse(date) : Number.NaN;
  return Number.isNaN(server) ? undefined : server - (before + after) / 2;
}
