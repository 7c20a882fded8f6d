/**
 * Where the mirror keeps its state (per user: kept events, sync token, channel, last sync; leases and
 * message numbers across replicas). PLACEHOLDER: the engine work (issue 15) defines the interface
 * and the memory store here, and the Redis one in redis-store.ts.
 *
 * @module
 */

/** The mirror's state store. */
export interface MirrorStore {
  /** Closes what it holds open. */
  close(): Promise<void>;
}

/**
 * A store in this process's memory.
 *
 * @returns the store
 */
export function createMemoryMirrorStore(): MirrorStore {
  return { close: () => Promise.resolve() };
}
