/**
 * The mirror's state in Redis, shared by every replica. PLACEHOLDER until the engine work (issue 15).
 *
 * @module
 */

import type { MirrorStore } from "./store.ts";

/**
 * A store in Redis; names derived from `secret` (the cache key), so no email appears in a key.
 *
 * @param url `redis://host:port[/db]`
 * @param secret the cache key (DWD_CACHE_KEY)
 * @returns the store
 */
export function createRedisMirrorStore(url: string, secret: string): MirrorStore {
  void url;
  void secret;
  throw new Error("the Redis mirror store is not built yet");
}
