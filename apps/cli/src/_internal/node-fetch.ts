import type { FetchLike, FetchLikeResponse } from "@dwd/auth";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * The CLI's HTTP transport: a {@link FetchLike} over `node:http`/`node:https`.
 *
 * Why not `fetch`: Node loads its `fetch` (undici) on first use, which costs a short-lived process
 * ~35 ms — a third of a whole `dwd calendars get` against a local emulator (measured with
 * `--cpu-prof`). `node:http` is in Node's start-up snapshot and costs nothing to load. Only what dwd's
 * clients use is supported: one request, a string body, the whole answer read as text, no redirects.
 */
export function createNodeFetch(options: { timeoutMs: number }): FetchLike {
  return (url, init = {}) =>
  new Promise<FetchLikeResponse>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(target, { method: init.method ?? "GET", headers: init.headers }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
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
    // A black-holed endpoint must not hang the CLI: no answer within the timeout is a network failure.
    req.setTimeout(options.timeoutMs, () => {
      req.destroy(Object.assign(new Error(`no answer within ${options.timeoutMs / 1000} s`), { code: "ETIMEDOUT" }));
    });
    // Same shape as fetch's network failure: a TypeError whose cause is the system error.
    req.on("error", (error) => reject(new TypeError(error.message, { cause: error })));
    req.end(init.body);
  });
}

/** The transport the commands use: 30 s without an answer is a failure. */
export const nodeFetch: FetchLike = createNodeFetch({ timeoutMs: 30_000 });
