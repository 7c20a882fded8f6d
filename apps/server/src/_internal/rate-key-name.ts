/**
 * Names of rate budgets in Redis: an HMAC-SHA-256 under a key derived from the cache key, so Redis never
 * holds a caller's name or a user's email. Synchronous (`node:crypto`, on Node and Deno alike): every
 * request takes from one or more budgets.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";

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
  const key = createHmac("sha256", Buffer.from(cacheKey.trim(), "base64"))
    .update("dwd rate names v2")
    .digest();
  const names = new Map<string, string>();
  return (name) => {
    let hashed = names.get(name);
    if (hashed === undefined) {
      hashed = createHmac("sha256", key).update(name).digest("base64url");
      // A bounded memo: callers and the subjects of a busy minute; cleared when full.
      if (names.size >= 10_000) names.clear();
      names.set(name, hashed);
    }
    return hashed;
  };
}
