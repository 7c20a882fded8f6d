/**
 * `Idempotency-Key` as draft-ietf-httpapi-idempotency-key-header defines it, for the routes that
 * declare the header: a key is scoped to the caller and the route (operation and path); the first
 * request with it runs and its answer is kept (24 h); the same key with the same request answers that
 * answer again (`Idempotent-Replayed: true`); with a different request, 422; while the first is still
 * running, 409. Records live in Redis when the cache does (so every replica sees them: names are HMACs
 * and records are sealed under the cache key), else in this replica's memory (bounded).
 *
 * @module
 */

import type { Reply } from "./_internal/reply.ts";
import type { RecordSealer } from "./_internal/record-sealer.ts";
import { sha256Sync } from "./_internal/sha256.ts";
import { ProblemError } from "./problem.ts";

/** Where records are kept: a key-value store with expiry and an atomic claim. */
export interface IdempotencyStore {
  /** Stores `value` under `name` unless something is there; whether it did. */
  claim(name: string, value: string, ttlMs: number): Promise<boolean>;
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string, ttlMs: number): Promise<void>;
  delete(name: string): Promise<void>;
}

/** How long a finished request's answer is replayed: 24 h. */
export const IDEMPOTENCY_TTL_MS = 86_400_000;

/** One request's place in the records: replay an answer, or run and then record (or forget) it. */
export type IdempotencyClaim =
  { replay: Reply } | { finish(reply: Reply): Promise<void>; abort(): Promise<void> };

/** The idempotency records of a server. */
export interface Idempotency {
  /**
   * Looks the key up before the request runs.
   *
   * @throws {ProblemError} 422 `idempotency_key_reused` (same key, another request), 409
   *   `idempotency_key_in_flight` (the first is still running), 400 for a malformed key
   */
  begin(request: {
    caller: string;
    operation: string;
    path: string;
    key: string;
    /** What makes two requests the same: query and body. */
    payload: unknown;
  }): Promise<IdempotencyClaim>;
}

interface RecordValue {
  /** `running` or `done`. */
  s: "running" | "done";
  /** Fingerprint of the request (hex SHA-256 of its query and body). */
  f: string;
  /** The answer, once done. */
  r?: Reply;
}

/**
 * The key as the draft writes it — a Structured Field string (`"…"`) — or, leniently, a bare token.
 *
 * @param header the header's value
 * @returns the key, or undefined when it is malformed
 */
export function parseIdempotencyKey(header: string): string | undefined {
  const t = header.trim();
  if (t.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\["\\])*)"$/.exec(t);
    if (m === null) return undefined;
    const key = m[1]!.replace(/\\(["\\])/g, "$1");
    return key === "" || !/^[\x20-\x7e]+$/.test(key) ? undefined : key;
  }
  return /^[\x21-\x7e]+$/.test(t) ? t : undefined;
}

/**
 * Records in this replica's memory: at most `max`, each until it expires (the oldest go first).
 *
 * @param now the clock
 * @param max the bound
 * @returns the store
 */
export function createMemoryIdempotencyStore(
  now: () => number = Date.now,
  max = 10_000,
): IdempotencyStore {
  const records = new Map<string, { value: string; expiresAt: number }>();
  const live = (name: string): string | undefined => {
    const r = records.get(name);
    if (r === undefined) return undefined;
    if (r.expiresAt > now()) return r.value;
    records.delete(name);
    return undefined;
  };
  const put = (name: string, value: string, ttlMs: number): void => {
    records.delete(name);
    if (records.size >= max) records.delete(records.keys().next().value!);
    records.set(name, { value, expiresAt: now() + ttlMs });
  };
  return {
    claim(name, value, ttlMs) {
      if (live(name) !== undefined) return Promise.resolve(false);
      put(name, value, ttlMs);
      return Promise.resolve(true);
    },
    get: (name) => Promise.resolve(live(name)),
    set(name, value, ttlMs) {
      put(name, value, ttlMs);
      return Promise.resolve();
    },
    delete(name) {
      records.delete(name);
      return Promise.resolve();
    },
  };
}

/**
 * A shared store (Redis) that falls back to `fallback` for any operation the shared one fails.
 *
 * @param shared the shared store
 * @param fallback this replica's own
 * @returns the store
 */
export function withFallback(
  shared: IdempotencyStore,
  fallback: IdempotencyStore,
): IdempotencyStore {
  const either =
    <A extends unknown[], R>(f: (s: IdempotencyStore) => (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await f(shared)(...args);
      } catch {
        return await f(fallback)(...args);
      }
    };
  return {
    claim: either((s) => s.claim.bind(s)),
    get: either((s) => s.get.bind(s)),
    set: either((s) => s.set.bind(s)),
    delete: either((s) => s.delete.bind(s)),
  };
}

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Answers that are kept and replayed: success, and the caller's own mistakes that a retry repeats. */
const replayable = (status: number): boolean =>
  (status >= 200 && status < 300) ||
  (status >= 400 && status < 500 && ![401, 403, 408, 409, 425, 429].includes(status));

/**
 * Creates the records.
 *
 * @param options the store, how a record is named and sealed (Redis) or not (memory), how long a
 *   running request holds its key, the TTL of answers
 * @returns the records
 */
export function createIdempotency(options: {
  store: IdempotencyStore;
  /** Names and seals records (under the cache key) when they leave the process. */
  sealer?: RecordSealer;
  /** How long a running request holds its key, should its replica die (default 60 s). */
  runningTtlMs?: number;
  ttlMs?: number;
}): Idempotency {
  const { store, sealer } = options;
  const runningTtl = options.runningTtlMs ?? 60_000;
  const ttl = options.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const encode = (name: string, value: RecordValue): string =>
    sealer === undefined ? JSON.stringify(value) : sealer.seal(name, JSON.stringify(value));
  const decode = (name: string, text: string): RecordValue | undefined => {
    const plain = sealer === undefined ? text : sealer.open(name, text);
    if (plain === undefined) return undefined;
    try {
      const v = JSON.parse(plain) as RecordValue;
      return (v.s === "running" || v.s === "done") && typeof v.f === "string" ? v : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async begin({ caller, operation, path, key: header, payload }) {
      const key = parseIdempotencyKey(header);
      if (key === undefined)
        throw new ProblemError(
          400,
          "invalid_idempotency_key",
          "The Idempotency-Key header is not a string of printable characters",
          { hint: 'Send a unique key per operation, e.g. Idempotency-Key: "<a UUID>"' },
        );
      const scope = `${caller}\n${operation}\n${path}\n${key}`;
      const name = `dwd:idem:${sealer === undefined ? scope : sealer.name(scope)}`;
      const fingerprint = hex(sha256Sync(JSON.stringify(payload ?? null)));
      const mine: RecordValue = { s: "running", f: fingerprint };
      if (!(await store.claim(name, encode(name, mine), runningTtl))) {
        const text = await store.get(name);
        const found = text === undefined ? undefined : decode(name, text);
        // Gone between the claim and the read (expired), or unreadable: this request runs.
        if (found !== undefined) {
          if (found.f !== fingerprint)
            throw new ProblemError(
              422,
              "idempotency_key_reused",
              `The Idempotency-Key "${key}" was used for another request to this route: the same key must come with the same request`,
              {
                hint: "Use a new key for a new request; resend the first request unchanged to get its answer",
              },
            );
          if (found.s === "running")
            throw new ProblemError(
              409,
              "idempotency_key_in_flight",
              `A request with the Idempotency-Key "${key}" is still running`,
              {
                hint: "Retry after a moment: once it has finished, the same request gets its answer",
                headers: { "retry-after": "1" },
              },
            );
          const reply = found.r!;
          return {
            replay: {
              ...reply,
              status: reply.status === 201 ? 200 : reply.status,
              headers: { ...reply.headers, "idempotent-replayed": "true" },
            },
          };
        }
        await store.set(name, encode(name, mine), runningTtl);
      }
      return {
        async finish(reply) {
          if (replayable(reply.status))
            await store.set(name, encode(name, { s: "done", f: fingerprint, r: reply }), ttl);
          else await store.delete(name);
        },
        abort: () => store.delete(name),
      };
    },
  };
}
