/**
 * Where {@link createEventSync} keeps each (subject, calendar)'s `nextSyncToken`. Any key-value store
 * fits (a file, Redis, a database row); methods may be synchronous or return promises.
 *
 * @example
 * ```ts
 * const store: SyncStore = { get: (k) => redis.get(k).then((v) => v ?? undefined), set: (k, v) => redis.set(k, v).then(() => {}), delete: (k) => redis.del(k).then(() => {}) };
 * ```
 */
export interface SyncStore {
  /** The token stored under `key`, if any. */
  get(key: string): Promise<string | undefined> | string | undefined;
  /** Stores `token` under `key`. */
  set(key: string, token: string): Promise<void> | void;
  /** Forgets `key`. */
  delete(key: string): Promise<void> | void;
}

/**
 * An in-memory {@link SyncStore} (lost when the process ends): for tests and long-running services.
 *
 * @param initial Entries to start with.
 * @returns The store; `entries()` shows what it holds.
 * @example
 * ```ts
 * const sync = createEventSync({ client: cal, store: createMemorySyncStore(), calendarId: "primary" });
 * ```
 */
export function createMemorySyncStore(
  initial: Record<string, string> = {},
): SyncStore & { entries(): Record<string, string> } {
  const map = new Map(Object.entries(initial));
  return {
    get: (key) => map.get(key),
    set(key, token) {
      map.set(key, token);
    },
    delete(key) {
      map.delete(key);
    },
    entries: () => Object.fromEntries(map),
  };
}
