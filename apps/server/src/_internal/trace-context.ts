/**
 * W3C Trace Context: a request's `traceparent` is accepted (when well-formed), its trace ID goes into
 * the audit line, and the calls made for the request carry it upstream with this server's span as
 * the parent. The current request's header travels with the async work (AsyncLocalStorage, which
 * Node, Deno and Bun all provide).
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";

const pattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const store = new AsyncLocalStorage<string>();

/** A parsed `traceparent` and the one this server sends upstream. */
export interface TraceContext {
  traceId: string;
  /** The caller's span (the parent of this server's). */
  parentId: string;
  /** This server's span ID, the parent of the calls it makes. */
  spanId: string;
  /** The `traceparent` sent upstream. */
  upstream: string;
}

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * Parses a `traceparent` header (version 00); anything else (or an all-zero ID) is ignored, as the
 * specification says.
 *
 * @param header the header's value
 * @returns the context, or undefined
 */
export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  const m = header === undefined ? null : pattern.exec(header.trim().toLowerCase());
  if (m === null || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  const spanId = randomHex(8);
  return {
    traceId: m[1]!,
    parentId: m[2]!,
    spanId,
    upstream: `00-${m[1]!}-${spanId}-${m[3]!}`,
  };
}

/**
 * Runs `fn` with `traceparent` as the current request's upstream header.
 *
 * @param traceparent the header to send upstream, or undefined
 * @param fn the work
 * @returns what `fn` returns
 */
export function withTraceparent<T>(traceparent: string | undefined, fn: () => T): T {
  return traceparent === undefined ? fn() : store.run(traceparent, fn);
}

/**
 * The `traceparent` of the request being handled, if it had one.
 *
 * @returns the header to send upstream
 */
export function currentTraceparent(): string | undefined {
  return store.getStore();
}
