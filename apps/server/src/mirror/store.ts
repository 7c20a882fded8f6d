/**
 * Where the mirror keeps its state: per user a record (kept events, sync token, channel, last sync)
 * with a version, a lease and a pending flag; per channel what a notification is checked against and
 * the highest message number accepted. {@link createMemoryMirrorStore} keeps it in this process; the
 * Redis store (redis-store.ts) shares it between replicas with the same semantics.
 *
 * @module
 */

import type { MirrorEvent } from "./types.ts";

/** A watch channel the mirror created, as kept (its token only as a SHA-256). */
export interface StoredChannel {
  id: string;
  /** Google's ID of the watched resource, echoed in `X-Goog-Resource-ID`; `channels.stop` needs it. */
  resourceId: string;
  /** SHA-256 of the channel token, base64url. */
  tokenHash: string;
  /** When the channel ends (ms since the epoch). */
  expiration: number;
}

/** Everything the mirror keeps of one user. */
export interface MirrorRecord {
  /** The last `nextSyncToken`; absent until the first full sync completes. */
  syncToken?: string | undefined;
  /** The calendar's zone (`events.list` answer's `timeZone`). */
  timeZone?: string | undefined;
  /** The last successful sync (ms). */
  lastSync?: number | undefined;
  /** The last full sync (ms): the kept window ends `horizonDays + 1` days after it. */
  lastFullSync?: number | undefined;
  /** The kept window [from, to) in ms: answers inside it only. */
  windowFrom?: number | undefined;
  windowTo?: number | undefined;
  /** The live channel. */
  channel?: StoredChannel | undefined;
  /** Kept events by ID. */
  events: Map<string, MirrorEvent>;
}

/** A channel as looked up for a notification. */
export interface ChannelEntry {
  /** The store's name of the user ({@link MirrorStore.nameOf}). */
  owner: string;
  resourceId: string;
  tokenHash: string;
}

/** A user's lease: held by one replica at a time while it syncs, watches or renews. */
export interface MirrorLease {
  /**
   * Writes the record if the lease is still ours (a fenced write).
   *
   * @returns the record's new version, or undefined when the lease was lost (nothing written)
   */
  save(record: MirrorRecord): Promise<number | undefined>;
  /** Extends the lease by its TTL from now if still ours (long syncs). @returns whether it was ours */
  renew(): Promise<boolean>;
  /**
   * Releases the lease unless a notification came meanwhile (the pending flag is set): then the lease
   * is kept (renewed) and the holder must sync again.
   *
   * @returns `released`, `pending` (still held: sync again), or `lost` (it had expired)
   */
  release(): Promise<"released" | "pending" | "lost">;
}

/** The mirror's state store. Every method may reject when the store is unreachable. */
export interface MirrorStore {
  /** The name the store gives `subject` (no email in it for Redis); channels point to it. */
  nameOf(subject: string): string;
  /** The user's record version (0 when none): cheap, for checking a cached copy. */
  version(subject: string): Promise<number>;
  /** The user's record and its version. */
  load(subject: string): Promise<{ version: number; record: MirrorRecord } | undefined>;
  /** Takes the user's lease for `ttlMs`, or undefined when another holds it. */
  lease(subject: string, ttlMs: number): Promise<MirrorLease | undefined>;
  /** Marks that a notification for the user awaits a sync. */
  markPending(subject: string): Promise<void>;
  /** Clears the pending mark. @returns whether it was set */
  takePending(subject: string): Promise<boolean>;
  /** Whether a notification awaits a sync. */
  hasPending(subject: string): Promise<boolean>;
  /** Registers a channel for `subject`, kept until it expires. */
  addChannel(subject: string, channel: StoredChannel): Promise<void>;
  /** Removes a channel (stopped). */
  removeChannel(id: string): Promise<void>;
  /** The channel with this ID, if ours and not expired. */
  channel(id: string): Promise<ChannelEntry | undefined>;
  /**
   * Records message `n` on a channel if it is above every number accepted there (atomic).
   *
   * @returns true when accepted, false for a duplicate or an older number (or no such channel)
   */
  acceptMessage(id: string, n: number): Promise<boolean>;
  /** Closes what it holds open. */
  close(): Promise<void>;
}

/**
 * A store in this process's memory (one replica). Records are copied in and out, so an engine never
 * shares a map with the store.
 *
 * @param now the clock (ms), for lease and channel expiry; default `Date.now`
 * @returns the store
 */
export function createMemoryMirrorStore(now: () => number = Date.now): MirrorStore {
  const records = new Map<string, { version: number; record: MirrorRecord }>();
  const leases = new Map<string, { owner: string; until: number }>();
  const pending = new Set<string>();
  const channels = new Map<string, { entry: ChannelEntry; expiration: number; highest: number }>();
  const copy = (r: MirrorRecord): MirrorRecord => ({
    ...r,
    channel: r.channel && { ...r.channel },
    events: new Map(r.events),
  });
  const held = (subject: string, owner: string): boolean => {
    const l = leases.get(subject);
    return l !== undefined && l.owner === owner && l.until > now();
  };
  const liveChannel = (id: string): ReturnType<typeof channels.get> => {
    const c = channels.get(id);
    if (c !== undefined && c.expiration <= now()) {
      channels.delete(id);
      return undefined;
    }
    return c;
  };
  return {
    nameOf: (subject) => subject,
    version: (subject) => Promise.resolve(records.get(subject)?.version ?? 0),
    load(subject) {
      const r = records.get(subject);
      return Promise.resolve(r && { version: r.version, record: copy(r.record) });
    },
    lease(subject, ttlMs) {
      const l = leases.get(subject);
      if (l !== undefined && l.until > now()) return Promise.resolve(undefined);
      const owner = crypto.randomUUID();
      leases.set(subject, { owner, until: now() + ttlMs });
      return Promise.resolve({
        save(record) {
          if (!held(subject, owner)) return Promise.resolve(undefined);
          const version = (records.get(subject)?.version ?? 0) + 1;
          records.set(subject, { version, record: copy(record) });
          return Promise.resolve(version);
        },
        renew() {
          if (!held(subject, owner)) return Promise.resolve(false);
          leases.set(subject, { owner, until: now() + ttlMs });
          return Promise.resolve(true);
        },
        release() {
          if (!held(subject, owner)) return Promise.resolve("lost" as const);
          if (pending.has(subject)) {
            leases.set(subject, { owner, until: now() + ttlMs });
            return Promise.resolve("pending" as const);
          }
          leases.delete(subject);
          return Promise.resolve("released" as const);
        },
      });
    },
    markPending(subject) {
      pending.add(subject);
      return Promise.resolve();
    },
    takePending: (subject) => Promise.resolve(pending.delete(subject)),
    hasPending: (subject) => Promise.resolve(pending.has(subject)),
    addChannel(subject, channel) {
      channels.set(channel.id, {
        entry: { owner: subject, resourceId: channel.resourceId, tokenHash: channel.tokenHash },
        expiration: channel.expiration,
        highest: channels.get(channel.id)?.highest ?? 0,
      });
      return Promise.resolve();
    },
    removeChannel(id) {
      channels.delete(id);
      return Promise.resolve();
    },
    channel: (id) => Promise.resolve(liveChannel(id)?.entry),
    acceptMessage(id, n) {
      const c = liveChannel(id);
      if (c === undefined || n <= c.highest) return Promise.resolve(false);
      c.highest = n;
      return Promise.resolve(true);
    },
    close: () => Promise.resolve(),
  };
}
