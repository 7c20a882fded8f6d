import type { FetchLike, FetchLikeResponse } from "@dwd/auth";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** Options of {@link createNodeFetch}. */
export interface NodeFetchOptions {
  /** Longest silence (no byte sent or received) before the request fails. */
  timeoutMs: number;
  /**
   * Longest time the whole request may take, answer included (default: `timeoutMs`). An endpoint that
   * trickles one byte every few seconds never falls silent long enough for `timeoutMs`; this stops it.
   */
  deadlineMs?: number;
  /** Largest answer read, in bytes (default 16 MiB: a Calendar page is far smaller). */
  maxBodyBytes?: number;
}

const defaultMaxBodyBytes = 16 * 1024 * 1024;

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

/**
 * The CLI's HTTP transport: a {@link FetchLike} over `node:http`/`node:https`.
 *
 * Why not `fetch`: Node loads its `fetch` (undici) on first use, which costs a short-lived process
 * ~35 ms — a third of a whole `dwd calendars get` against a local emulator (measured with
 * `--cpu-prof`). `node:http` is in Node's start-up snapshot and costs nothing to load. Only what dwd's
 * clients use is supported: one request, a string body, the whole answer read as text, no redirects.
 * Every request is bounded in time (silence and total) and in the size of its answer.
 */
export function createNodeFetch(options: NodeFetchOptions): FetchLike {
  const deadlineMs = options.deadlineMs ?? options.timeoutMs;
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  return (url, init = {}) =>
    new Promise<FetchLikeResponse>((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === "https:" ? httpsRequest : httpRequest;
      let failed = false;
      const fail = (message: string, code: string): void => {
        if (failed) return;
        failed = true;
        const error = Object.assign(new Error(message), { code });
        clearTimeout(deadline);
        // Rejected here, not through the "error" event: once the answer has begun, destroying the request
        // reports a generic "aborted" on the response instead of this reason. Destroyed without an error,
        // so no stream (request, response or socket) re-emits this one where nobody listens.
        reject(new TypeError(message, { cause: error }));
        req.destroy();
      };
      const deadline = setTimeout(
        () => fail(`no complete answer within ${seconds(deadlineMs)}`, "ETIMEDOUT"),
        deadlineMs,
      );
      const req = send(target, { method: init.method ?? "GET", headers: init.headers }, (res) => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        res.on("data", (chunk: Uint8Array) => {
          size += chunk.length;
          if (size > maxBodyBytes) fail(`the answer is larger than ${maxBodyBytes} bytes`, "EFBIG");
          else chunks.push(chunk);
        });
        res.on("error", (error) => {
          clearTimeout(deadline);
          reject(new TypeError(error.message, { cause: error }));
        });
        res.on("end", () => {
          clearTimeout(deadline);
          const body = Buffer.concat(chunks).toString("utf8");
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
            text: () => Promise.resolve(body),
          });
        });
      });
      // A black-holed endpoint must not hang the CLI: no byte within the timeout is a network failure.
      req.setTimeout(options.timeoutMs, () =>
        fail(`no answer within ${seconds(options.timeoutMs)}`, "ETIMEDOUT"),
      );
      // Same shape as fetch's network failure: a TypeError whose cause is the system error.
      req.on("error", (error) => {
        clearTimeout(deadline);
        reject(new TypeError(error.message, { cause: error }));
      });
      req.end(init.body);
    });
}

/** A transport with the default bounds: 30 s of silence or 30 s in all is a failure. */
export const nodeFetch: FetchLike = createNodeFetch({ timeoutMs: 30_000 });
