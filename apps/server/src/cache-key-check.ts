/**
 * Every replica on one Redis must seal with the same cache key. Entries are named by HMAC under the
 * key, so a replica with another key never finds (nor overwrites) its peers' entries — and would mint
 * on its own, silently. A marker in Redis holds the ID of the key in use (never the key): a replica
 * whose key differs says so in its log, in /metrics and in /readyz; a replica whose previous key
 * (`DWD_CACHE_KEY_PREVIOUS`) is the marker's moves the marker on (a rotation).
 *
 * @module
 */

import type { SharedTokenStore } from "@dwd/auth";

/** The marker's key in Redis. */
export const CACHE_KEY_MARKER = "dwd:cache-key-id";
const markerTtlMs = 7 * 86_400_000;
const keyIdPattern = /^[0-9a-f]{16}$/;

/** What /readyz and /metrics show of the cache key. */
export interface CacheKeyStatus {
  /** This replica's key ID. */
  id?: string;
  /** The previous key's ID, during a rotation. */
  previousId?: string;
  /** Entries or markers found of a key this replica does not hold. */
  mismatches: number;
  /** The key ID other replicas use, when it is not this replica's. */
  foreignId?: string;
}

/** The check, driven by start-up and by /readyz and /metrics (at most once per `minGapMs`). */
export interface CacheKeyCheck {
  status(): CacheKeyStatus;
  /** Checks now unless it did within `minGapMs`; never rejects. */
  check(): Promise<void>;
  /** An entry sealed by `keyId` was found under this replica's name (the token cache saw it). */
  noteMismatch(keyId: string): void;
}

/**
 * Creates the check.
 *
 * @param options the store, this replica's key IDs, the log, the clock
 * @returns the check
 */
export function createCacheKeyCheck(options: {
  /** The store; with `claim` (SET NX), two replicas starting at once cannot both set the marker. */
  store: Pick<SharedTokenStore, "get" | "set"> & {
    claim?(key: string, value: string, ttlMs: number): Promise<boolean>;
  };
  keyIds: () => Promise<{ current: string; previous?: string }>;
  log: (line: string) => void;
  now?: () => number;
  minGapMs?: number;
}): CacheKeyCheck {
  const now = options.now ?? Date.now;
  const minGapMs = options.minGapMs ?? 10_000;
  const status: CacheKeyStatus = { mismatches: 0 };
  let checkedAt = -Infinity;
  let running: Promise<void> | undefined;

  function noteMismatch(keyId: string): void {
    status.mismatches++;
    if (status.foreignId === keyId) return;
    status.foreignId = keyId;
    options.log(
      JSON.stringify({
        level: "error",
        msg: `cache key: Redis holds entries of cache key ${keyId}, this replica's is ${status.id ?? "?"}: replicas do not share tokens; this one neither reads nor overwrites the others' entries`,
        hint: "Set the same DWD_CACHE_KEY on every replica (during a rotation, the old one as DWD_CACHE_KEY_PREVIOUS on the new replicas)",
      }),
    );
  }

  async function run(): Promise<void> {
    try {
      const ids = await options.keyIds();
      status.id = ids.current;
      if (ids.previous !== undefined) status.previousId = ids.previous;
      let marker = await options.store.get(CACHE_KEY_MARKER);
      if (
        marker === undefined &&
        options.store.claim !== undefined &&
        !(await options.store.claim(CACHE_KEY_MARKER, ids.current, markerTtlMs))
      )
        marker = await options.store.get(CACHE_KEY_MARKER); // another replica set it just now
      if (marker !== undefined && !keyIdPattern.test(marker)) return; // nonsense: the cache reports the store
      if (marker === undefined || marker === ids.current || marker === ids.previous) {
        if (marker !== undefined && marker === ids.previous)
          options.log(
            JSON.stringify({
              level: "info",
              msg: `cache key: rotated from key ${marker} to ${ids.current}`,
            }),
          );
        await options.store.set(CACHE_KEY_MARKER, ids.current, markerTtlMs);
        delete status.foreignId;
        return;
      }
      noteMismatch(marker);
    } catch {
      // Redis unreachable: the token cache falls back and says so; nothing to add here.
    }
  }

  return {
    status: () => ({ ...status }),
    noteMismatch,
    check() {
      if (running !== undefined) return running;
      if (now() - checkedAt < minGapMs) return Promise.resolve();
      checkedAt = now();
      running = run().finally(() => (running = undefined));
      return running;
    },
  };
}
