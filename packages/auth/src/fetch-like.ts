/**
 * `FetchLike`: the part of `fetch` that dwd's clients use. `globalThis.fetch` is one; so is an emulator's
 * handler, `emulator.fetch` (it takes `(url, init)` as `fetch` does), and so is a small transport
 * over a runtime's own HTTP client (the `dwd` CLI uses `node:http`, because loading Node's `fetch`
 * costs a short-lived process ~35 ms, a third of a `calendars get`).
 *
 * @module
 */

/* eslint-disable no-restricted-syntax -- dwd fills this in and hands it to the caller's fetch, so it
   stays exact: under exactOptionalPropertyTypes `globalThis.fetch` (whose RequestInit has no
   `| undefined`) only accepts an init whose optional members are exact too. */
/** What a {@link FetchLike} is asked to send. */
export interface FetchLikeInit {
  /** HTTP method; `GET` when absent. */
  method?: string;
  /** Request headers, lower-case names. */
  headers?: Record<string, string>;
  /** Request body. */
  body?: string;
  /**
   * Aborts the request, and the reading of its body, when it fires: the token source's deadline and
   * its callers' signals. A FetchLike that cannot abort may ignore it; the deadline still holds.
   */
  signal?: AbortSignal;
  /**
   * dwd sends `"manual"` on every request that carries an assertion, a token or a refresh token: such a
   * request goes to the address dwd chose and nowhere else, so a redirect is answered as itself (and
   * reported as an error), never followed. A FetchLike that never follows redirects may ignore it.
   */
  redirect?: "manual";
}
/* eslint-enable no-restricted-syntax */

/** What a {@link FetchLike} answers: a subset of the Web `Response`. */
export interface FetchLikeResponse {
  /** HTTP status code. */
  readonly status: number;
  /** `status` in 200–299. */
  readonly ok: boolean;
  /** Response headers (case-insensitive `get`). */
  readonly headers: { get(name: string): string | null };
  /** Reads the whole body as text. */
  text(): Promise<string>;
  /**
   * The body as it arrives. When present, dwd reads it chunk by chunk and stops at its bound (1 MiB
   * decoded), so a compressed answer that inflates without end cannot exhaust memory.
   */
  readonly body?: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null | undefined;
}

/**
 * A `fetch`-compatible function: `globalThis.fetch` satisfies it, and so does `emulator.fetch`.
 *
 * @example
 * ```ts
 * const viaEmulator: FetchLike = emulator.fetch;
 * const logged: FetchLike = async (url, init) => {
 *   console.log(init?.method ?? "GET", url);
 *   return await fetch(url, init);
 * };
 * ```
 */
export type FetchLike = (url: string, init?: FetchLikeInit) => Promise<FetchLikeResponse>;

/** The runtime's `fetch`, looked up at call time (so tests may replace `globalThis.fetch`). */
export const defaultFetch: FetchLike = (url, init) => fetch(url, init);
