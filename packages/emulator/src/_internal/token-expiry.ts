import type { TokenRecord } from "./store.ts";

/**
 * Drops expired access tokens in O(1) amortised per issued token, where a sweep of the whole map would
 * cost O(live tokens) per request. Tokens are queued in issue order; with one lifetime for every token
 * and a clock that does not go back, that is also expiry order, so the expired ones are always at the
 * head. Should the clock go back (a `clockOffsetMs` fault), a later head only delays removal: lookups
 * still refuse an expired token, and it goes once the tokens queued before it have expired.
 */
export class TokenExpiry {
  #tokens: string[] = [];
  #expires: number[] = [];
  #head = 0;

  /** Queues a token issued just now. */
  add(token: string, expiresAt: number): void {
    this.#tokens.push(token);
    this.#expires.push(expiresAt);
  }

  /** Deletes from `tokens` every queued token whose expiry is at or before `nowMs`, oldest first. */
  prune(tokens: Map<string, TokenRecord>, nowMs: number): void {
    while (this.#head < this.#tokens.length && (this.#expires[this.#head] ?? 0) <= nowMs) {
      // Tokens are random, so the key cannot have been reissued; a revoked one is simply gone already.
      tokens.delete(this.#tokens[this.#head] ?? "");
      this.#head++;
    }
    // Compact once the dead prefix is at least half of the queue: amortised O(1).
    if (this.#head > 1024 && this.#head * 2 >= this.#tokens.length) {
      this.#tokens = this.#tokens.slice(this.#head);
      this.#expires = this.#expires.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Forgets every queued token (after `revokeAll`). */
  clear(): void {
    this.#tokens = [];
    this.#expires = [];
    this.#head = 0;
  }

  /** Tokens queued and not yet pruned. */
  get size(): number {
    return this.#tokens.length - this.#head;
  }
}
