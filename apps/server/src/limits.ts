/**
 * Per-caller request rate (a token bucket) and per-subject concurrency (a bounded line), so one app can
 * neither flood the server nor exhaust one user's Calendar quota.
 *
 * @module
 */

import type { RateConfig } from "./config.ts";

const periodMs = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

/** Whether one more request fits a budget, and when to come back if not. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Decides whether one more request fits a budget (a caller's rate, a subject's budget) now. */
export interface RateLimiter {
  /** Takes one request from `name`'s budget; `retryAfterSeconds` when none is left. */
  take(name: string, rate: RateConfig): RateDecision | Promise<RateDecision>;
  /** Budgets this replica keeps in memory now (full ones are forgotten: absent means full). */
  size?(): number;
}

/**
 * Budgets kept where every replica sees them (Redis): takes one request from the token bucket `key`
 * of `capacity` requests refilled at `perMs` a millisecond, atomically; resolves to 0 when taken, else
 * to the milliseconds until one is back. Rejects when the store cannot be reached.
 */
export interface RateStore {
  take(key: string, capacity: number, perMs: number): Promise<number>;
}

/** Where a shared limiter keeps its budgets right now. */
export type RateMode = "redis" | "memory-fallback";

/**
 * Budgets shared by every replica through `store`; while the store cannot be reached, each replica
 * keeps its own in `fallback` (as the token cache does), and goes back to the store when it answers.
 *
 * @param store the shared budgets (Redis)
 * @param fallback this replica's own budgets
 * @param onMode told when the budgets move to memory or back
 * @param keyName the store key of a budget's name (an HMAC, so Redis never holds a caller or an email)
 * @returns the limiter, and where its budgets are
 */
export function createSharedRateLimiter(
  store: RateStore,
  fallback: RateLimiter,
  onMode?: (mode: RateMode) => void,
  keyName: (name: string) => string = (name) => name,
): RateLimiter & { mode(): RateMode } {
  let mode: RateMode = "redis";
  const switchTo = (next: RateMode): void => {
    if (mode === next) return;
    mode = next;
    onMode?.(next);
  };
  return {
    mode: () => mode,
    size: () => fallback.size?.() ?? 0,
    async take(name, rate) {
      try {
        const waitMs = await store.take(
          `dwd:rate:${keyName(name)}`,
          rate.requests,
          rate.requests / periodMs[rate.per],
        );
        switchTo("redis");
        return waitMs <= 0
          ? { ok: true }
          : { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
      } catch {
        switchTo("memory-fallback");
        return fallback.take(name, rate);
      }
    },
  };
}

/** The most budgets kept in memory; past it the least recently used goes (about 200 bytes each). */
export const maxBuckets = 100_000;

/**
 * A token bucket per caller (and per subject): a full budget at first, refilled continuously at
 * `requests / per`. A bucket that has refilled to full is the same as none, so it is forgotten: the
 * map holds only budgets in use within their period, swept whenever it has doubled since the last
 * sweep and at least once a minute, and never more than {@link maxBuckets} (least recently used first out).
 *
 * @param now the clock in ms
 * @param limit the most buckets kept
 * @returns the limiter
 */
export function createRateLimiter(
  now: () => number = Date.now,
  limit: number = maxBuckets,
): RateLimiter {
  // Insertion order is use order: a bucket is deleted and set again on each take.
  const buckets = new Map<string, { tokens: number; at: number; fullAt: number }>();
  let sweepAt = 1024;
  let nextSweep = now() + 60_000;
  const sweep = (t: number): void => {
    for (const [name, b] of buckets) if (b.fullAt <= t) buckets.delete(name);
    sweepAt = Math.max(1024, buckets.size * 2);
    nextSweep = t + 60_000;
  };
  return {
    size: () => buckets.size,
    take(name, rate) {
      const perMs = rate.requests / periodMs[rate.per];
      const t = now();
      // Swept when the map has doubled, and at least once a minute.
      if (buckets.size >= sweepAt || t >= nextSweep) sweep(t);
      const held = buckets.get(name);
      const bucket = held ?? { tokens: rate.requests, at: t, fullAt: t };
      bucket.tokens = Math.min(rate.requests, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      if (held !== undefined) buckets.delete(name);
      buckets.set(name, bucket);
      if (buckets.size > limit) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        bucket.fullAt = t + (rate.requests - bucket.tokens) / perMs;
        return { ok: true };
      }
      bucket.fullAt = t + (rate.requests - bucket.tokens) / perMs;
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)),
      };
    },
  };
}

/** Limits requests in flight per subject. */
export interface SubjectLimiter {
  /** Waits for a slot of every subject (in sorted order, so two requests never wait on each other); undefined when a line is full. */
  acquire(subjects: readonly string[]): Promise<(() => void) | undefined>;
  /** Requests in flight for `subject`. */
  inFlight(subject: string): number;
}

/**
 * Creates a per-subject concurrency limiter.
 *
 * @param concurrency requests in flight per subject
 * @param queue requests waiting per subject before refusal
 * @returns the limiter
 */
export function createSubjectLimiter(concurrency: number, queue: number): SubjectLimiter {
  const state = new Map<string, { active: number; waiting: (() => void)[] }>();

  function release(subject: string): void {
    const s = state.get(subject);
    if (s === undefined) return;
    const next = s.waiting.shift();
    if (next !== undefined)
      next(); // the slot passes straight to the next in line
    else if (--s.active === 0) state.delete(subject);
  }

  async function acquireOne(subject: string): Promise<boolean> {
    let s = state.get(subject);
    if (s === undefined) state.set(subject, (s = { active: 0, waiting: [] }));
    if (s.active < concurrency) {
      s.active++;
      return true;
    }
    if (s.waiting.length >= queue) return false;
    await new Promise<void>((resolve) => s.waiting.push(resolve));
    return true;
  }

  return {
    inFlight: (subject) => state.get(subject)?.active ?? 0,
    async acquire(subjects) {
      const sorted = [...new Set(subjects.map((s) => s.toLowerCase()))].sort();
      const held: string[] = [];
      for (const subject of sorted) {
        if (!(await acquireOne(subject))) {
          for (const h of held) release(h);
          return undefined;
        }
        held.push(subject);
      }
      let done = false;
      return () => {
        if (done) return;
        done = true;
        for (const h of held) release(h);
      };
    },
  };
}
