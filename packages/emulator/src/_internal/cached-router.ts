import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";

/** Matches kept per method and path: beyond this many, they are forgotten and kept anew. */
const MAX_KEPT = 2048;

/**
 * Hono's default router (its SmartRouter; the Calendar paths make it choose the TrieRouter) with the
 * answer kept per method and path. A batch of 50 users' `events.list` asks for the same match 50 times;
 * the TrieRouter's search was ~10% of the emulator's work per part (bench/calendar-events-list.ts
 * profiled). Hono does not change a match's result, so one result serves every request for its path.
 */
export class CachedRouter<T> implements Router<T> {
  readonly name = "CachedRouter";
  readonly #inner: Router<T> = new SmartRouter<T>({
    routers: [new RegExpRouter<T>(), new TrieRouter<T>()],
  });
  readonly #kept = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    this.#kept.clear();
    this.#inner.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    let result = this.#kept.get(key);
    if (result === undefined) {
      result = this.#inner.match(method, path);
      if (this.#kept.size >= MAX_KEPT) this.#kept.clear();
      this.#kept.set(key, result);
    }
    return result;
  }
}
