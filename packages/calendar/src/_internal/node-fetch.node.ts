/// <reference types="node" />
import type * as NodeHttp from "node:http";
import type * as NodeHttps from "node:https";
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
  /**
   * Where the egress proxy settings come from: `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (or lowercase,
   * which wins), as Google's Node libraries read them. Default `process.env`; `null` for no proxy.
   * HTTPS goes through a `CONNECT` tunnel, HTTP as absolute-form requests to the proxy. Node's own
   * agents do the proxying (`proxyEnv`, Node ≥ 22.21 / ≥ 24.5); on an older Node a request a proxy
   * variable applies to fails rather than silently going around the proxy.
   */
  proxyEnv?: Record<string, string | undefined> | null | undefined;
}

/** An answer of {@link createNodeFetch}: read it once, as `body`, `text()` or `arrayBuffer()`. */
export interface NodeFetchResponse extends CalendarFetchResponse {
  arrayBuffer(): Promise<ArrayBuffer>;
  /** The answer's bytes as they arrive. */
  readonly body: AsyncIterable<Uint8Array>;
}

const defaultMaxBodyBytes = 64 * 1024 * 1024;

// node:https (and node:tls and much of node:crypto under it: ~15 ms for a short-lived process) is loaded
// when an https:// URL is first asked for, so a run against a local emulator over http:// never loads it.
// node:http (~4 ms, with node:net and node:stream) is loaded by the first request too, not with this module:
// a short-lived process can load it while it does other work first (the CLI: while its first token
// exchange signs the assertion).
let httpsModule: typeof NodeHttps | undefined;
const https = (): typeof NodeHttps => (httpsModule ??= process.getBuiltinModule("node:https"));
let httpModule: typeof NodeHttp | undefined;
const http = (): typeof NodeHttp => (httpModule ??= process.getBuiltinModule("node:http"));

/** Whether this Node's agents honour `proxyEnv` (added in 22.21.0 and 24.5.0). */
export function nodeProxiesNatively(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

/** The proxy variable that applies to `protocol`, if any (lowercase first, as Node and curl read). */
function proxyVariable(
  env: Record<string, string | undefined>,
  protocol: string,
): string | undefined {
  const names =
    protocol === "https:" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"];
  return names.find((name) => (env[name] ?? "") !== "");
}

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
  const proxyEnv = options.proxyEnv === undefined ? process.env : options.proxyEnv;
  const native = nodeProxiesNatively(process.versions.node);
  // Keep-alive agents of our own (Node's global ones do not read the proxy variables unless
  // NODE_USE_ENV_PROXY=1 is set); with `proxyEnv`, Node decides per request, NO_PROXY included.
  const agentOptions = {
    keepAlive: true,
    ...(proxyEnv && native ? { proxyEnv: { ...proxyEnv } } : {}),
  };
  // Made on the first request of their kind (with their module).
  let httpAgent: NodeHttp.Agent | undefined;
  let httpsAgent: NodeHttps.Agent | undefined;
  return (url, init = {}) =>
    new Promise<NodeFetchResponse>((resolve, reject) => {
      const { signal } = init;
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const target = new URL(url);
      const secure = target.protocol === "https:";
      const variable = proxyEnv && !native ? proxyVariable(proxyEnv, target.protocol) : undefined;
      if (variable !== undefined) {
        const message = `${variable} is set, but Node ${process.versions.node} cannot send through a proxy: dwd's transport needs Node 22.21 or 24.5 or later for proxies`;
        reject(networkError(message, "ERR_PROXY_UNSUPPORTED"));
        return;
      }
      let answer: NodeHttp.IncomingMessage | undefined;
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
      const req = (secure ? https() : http()).request(
        target,
        {
          method: init.method ?? "GET",
          headers: init.headers,
          agent: secure
            ? (httpsAgent ??= new (https().Agent)(agentOptions))
            : (httpAgent ??= new (http().Agent)(agentOptions)),
        },
        (res) => {
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
        },
      );
      if (timeoutMs !== undefined)
        req.setTimeout(timeoutMs, () =>
          fail(networkError(`no answer within ${seconds(timeoutMs)}`, "ETIMEDOUT")),
        );
      req.on("error", (error) => fail(new TypeError(error.message, { cause: error })));
      req.end(init.body);
    });
}
