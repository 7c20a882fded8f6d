/// <reference types="node" />
import { request as httpRequest } from "node:http";
import type { IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { concatBytes } from "./bytes.ts";
import type { CalendarFetch } from "./client-context.ts";
import type { CalendarFetchResponse } from "./read-body.ts";

/** Options of {@link createNodeFetch}. */
export interface NodeFetchOptions {
  /** Longest silence (no byte sent or received) before the request fails, ms; none by default. */
  timeoutMs?: number | undefined;
  /**
   * Longest time the whole request may take, its answer read, ms (default: `timeoutMs`). An endpoint
   * that trickles one byte every few seconds never falls silent long enough for `timeoutMs`.
   */
  deadlineMs?: number | undefined;
  /** Largest answer read, in bytes (default 64 MiB). */
  maxBodyBytes?: number | undefined;
}

/** An answer of {@link createNodeFetch}: read it once, as `body`, `text()` or `arrayBuffer()`. */
export interface NodeFetchResponse extends CalendarFetchResponse {
  arrayBuffer(): Promise<ArrayBuffer>;
  /** The answer's bytes as they arrive. */
  readonly body: AsyncIterable<Uint8Array>;
}

const defaultMaxBodyBytes = 64 * 1024 * 1024;

const seconds = (ms: number): string => `${ms / 1000} s`;

/** A network failure as `fetch` reports one: a TypeError whose cause is the system error. */
function networkError(message: string, code: string): TypeError {
  return new TypeError(message, { cause: Object.assign(new Error(message), { code }) });
}

/**
 * A `fetch` for Node over `node:http`/`node:https` (with Node's keep-alive agents), for
 * `createCalendarClient({ fetch })` and `createTokenSource({ fetch })`. Node's own `fetch` (undici)
 * passes every answer through WHATWG stream objects; for a batch answer of 50 users' events that costs
 * more CPU than reading it (bench/calendar-events-list.ts). It resolves once the answer's headers are in;
 * `body` hands the bytes on as they arrive (a batch is read part by part). Bounded: by the caller's
 * `signal` (rejecting with its reason, as `fetch` does), and optionally by silence, total time and size.
 * A network failure is a `TypeError` whose cause is the system error, as with `fetch`. Only what dwd's
 * clients send: a string body, no redirects.
 *
 * @param options - time and size bounds
 * @returns the fetch
 * @example
 * ```ts
 * import { createCalendarClient } from "@dwd/calendar";
 * import { createNodeFetch } from "@dwd/calendar/node";
 * const cal = createCalendarClient({ tokenSource, fetch: createNodeFetch() });
 * ```
 */
export function createNodeFetch(
  options: NodeFetchOptions = {},
): (...args: Parameters<CalendarFetch>) => Promise<NodeFetchResponse> {
  const { timeoutMs } = options;
  const deadlineMs = options.deadlineMs ?? timeoutMs;
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  return (url, init = {}) =>
    new Promise<NodeFetchResponse>((resolve, reject) => {
      const { signal } = init;
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const target = new URL(url);
      const send = target.protocol === "https:" ? httpsRequest : httpRequest;
      let answer: IncomingMessage | undefined;
      let done = false;
      const finish = (): void => {
        done = true;
        clearTimeout(deadline);
        signal?.removeEventListener("abort", onAbort);
      };
      // Before the answer: the promise rejects. After: whoever reads the body gets the error.
      const fail = (error: Error): void => {
        if (done) return;
        finish();
        if (answer === undefined) {
          reject(error);
          req.destroy();
        } else answer.destroy(error);
      };
      const onAbort = (): void => fail(signal!.reason as Error);
      signal?.addEventListener("abort", onAbort, { once: true });
      const deadline =
        deadlineMs === undefined
          ? undefined
          : setTimeout(
              () =>
                fail(networkError(`no complete answer within ${seconds(deadlineMs)}`, "ETIMEDOUT")),
              deadlineMs,
            );
      const req = send(target, { method: init.method ?? "GET", headers: init.headers }, (res) => {
        answer = res;
        res.on("end", finish);
        res.on("error", finish); // the reader of the body gets the error
        let size = 0;
        async function* body(): AsyncGenerator<Uint8Array> {
          for await (const chunk of res) {
            size += (chunk as Uint8Array).length;
            if (size > maxBodyBytes) {
              const error = networkError(
                `the answer is larger than ${maxBodyBytes} bytes`,
                "EFBIG",
              );
              fail(error);
              throw error;
            }
            yield chunk as Uint8Array;
          }
        }
        const read = async (): Promise<Uint8Array<ArrayBuffer>> => {
          const chunks: Uint8Array[] = [];
          for await (const chunk of body()) chunks.push(chunk);
          return concatBytes(chunks);
        };
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
          body: body(),
          text: async () => new TextDecoder().decode(await read()),
          arrayBuffer: async () => (await read()).buffer,
        });
      });
      if (timeoutMs !== undefined)
        req.setTimeout(timeoutMs, () =>
          fail(networkError(`no answer within ${seconds(timeoutMs)}`, "ETIMEDOUT")),
        );
      req.on("error", (error) => fail(new TypeError(error.message, { cause: error })));
      req.end(init.body);
    });
}
