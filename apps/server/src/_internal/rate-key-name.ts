/**
 * Names of rate budgets in Redis: an HMAC-SHA-256 under a key derived from the cache key, so Redis never
 * holds a caller's name or a user's email. Every request takes from one or more budgets, so the names
 * of the busiest are remembered (a bounded memo).
 *
 * @module
 */
import { keyNamer } from "./record-sealer.ts";

/**
 * A namer for budget keys.
 *
 * @param cacheKey the cache key (DWD_CACHE_KEY, base64)
 * @returns the store name of a budget (`caller:NAME`, `subject:EMAIL`)
 * @example
 * ```ts
 * const name = rateKeyNamer(process.env.DWD_CACHE_KEY!);
 * name("subject:ana@example.com"); // 43 base64url characters
 * ```
 */
export function rateKeyNamer(cacheKey: string): (name: string) => string {
  const hmac = keyNamer(cacheKey, "rate names");
  const names = new Map<string, string>();
  return (name) => {
    let hashed = names.get(name);
    if (hashed === undefined) {
      hashed = hmac(name);
      if (names.size >= 10_000) names.clear(); // callers and the subjects of a busy minute
      names.set(name, hashed);
    }
    return hashed;
  };
}
