/**
 * The upstream transport of dwd-server on Node: a `fetch`-shaped function over `node:http`/`node:https`
 * with Node's keep-alive agents. Node's `fetch` (undici) runs every call through WHATWG request,
 * response and stream objects; for the small JSON answers of the token endpoint and the Calendar API,
 * that costs more than the rest of a proxied call (measured with bench/server.ts: ~0.5 ms of CPU per call
 * on the 2-core bench machine). Deno keeps its own `fetch` (start.ts chooses).
 *
 * Only what dwd's clients use: one request with a string body, the whole answer read before it
 * resolves, no redirects. The caller's `signal` aborts it (fetchWithTimeout's deadline, the calendar
 * client's own); it rejects with the signal's reason, as `fetch` does, and a network failure is a
 * `TypeError` whose cause is the system error, as `fetch`'s is.
 *
 * @module
 */

import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** What the transport is asked to send. */
export interface NodeFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** What it answers: the part of `Response` that `@dwd/auth` and `@dwd/calendar` read. */
export interface NodeFetchResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Largest answer read: far above a Calendar page, a bound all the same. */
const maxBodyBytes = 64 * 1024 * 1024;

/**
 * Sends one request and reads the whole answer.
 *
 * @param url absolute http(s) URL
 * @param init method, headers, body, signal
 * @returns the answer, read
 */
export function nodeFetch(url: string, init: NodeFetchInit = {}): Promise<NodeFetchResponse> {
  return new Promise<NodeFetchResponse>((resolve, reject) => {
    const { signal } = init;
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      return true;
    };
    const fail = (error: Error): void => {
      if (!settle()) return;
      reject(error);
      // Destroyed without an error: no stream re-emits one where nobody listens.
      req.destroy();
    };
    const onAbort = (): void => fail(signal!.reason as Error);
    const networkError = (error: Error): TypeError =>
      new TypeError(error.message, { cause: error });
    const req = send(target, { method: init.method ?? "GET", headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes)
          fail(
            new TypeError(`the answer of ${target.origin} is larger than ${maxBodyBytes} bytes`),
          );
        else chunks.push(chunk);
      });
      res.on("error", (error) => fail(networkError(error)));
      res.on("end", () => {
        if (!settle()) return;
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        resolve({
          status,
          ok: status >= 200 && status < 300,
          headers: {
            get(name: string): string | null {
              const value = res.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
            },
          },
          text: () => Promise.resolve(body.toString("utf8")),
          arrayBuffer: () =>
            Promise.resolve(
              body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
            ),
        });
      });
    });
    req.on("error", (error) => fail(networkError(error)));
    signal?.addEventListener("abort", onAbort, { once: true });
    req.end(init.body);
  });
}
