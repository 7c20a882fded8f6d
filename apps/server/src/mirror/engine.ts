/**
 * `createMirror()`: the availability mirror's engine — watch channels, full and incremental syncs,
 * push notifications, renewals, reconcile, leases across replicas.
 *
 * It follows Google's documented rules:
 * - Sync: https://developers.google.com/calendar/api/guides/sync — a full list keeps the last page's
 *   `nextSyncToken`; later lists send `syncToken` and get only changes (deleted events as
 *   `cancelled`); a 410 means the token is no longer valid: wipe the user's events and list in full.
 * - `events.list`: https://developers.google.com/calendar/api/v3/reference/events/list — `showDeleted`
 *   and `singleEvents` may accompany a `syncToken`, `timeMin`/`timeMax` may not; `maxResults` ≤ 2500.
 * - Push: https://developers.google.com/calendar/api/guides/push — a channel per watched resource
 *   (ID unique, ≤ 64 characters: a UUID), a `token` echoed in `X-Goog-Channel-Token` to verify the
 *   sender, a `sync` message first, `X-Goog-Message-Number` increasing per channel; channels expire
 *   and are not renewed automatically: make a new one before the old ends (both may notify during
 *   the overlap).
 * - `channels.stop`: https://developers.google.com/calendar/api/v3/reference/channels/stop — by `id`
 *   and `resourceId`.
 *
 * Every Google call waits on one token bucket (`callsPerSecond`). Each sync, watch and renewal of a
 * user runs under the user's lease in the store (one replica at a time); a notification sets the
 * user's pending mark and the lease holder syncs again before letting go, so a notification is never
 * lost and each one causes one incremental sync wherever it arrives (a burst: one more sync after the
 * running one). Reads use the record cached in this process, checked against the store's version.
 *
 * @module
 */

import type { CalendarClient } from "@dwd/calendar";
import { busyOf, keepsEvent, mirrorEventOf } from "./busy.ts";
import { createPacer } from "./pace.ts";
import type { MirrorLease, MirrorRecord, MirrorStore, StoredChannel } from "./store.ts";
import type {
  BusySpan,
  Mirror,
  MirrorAnswer,
  MirrorConfig,
  MirrorCounters,
  MirrorEvent,
  MirrorStatus,
  PushHeaders,
  PushOutcome,
} from "./types.ts";

/** What {@link createMirror} needs. */
export interface CreateMirrorOptions {
  config: MirrorConfig;
  /** The mirrored users' emails, resolved (`list:NAME` expanded, lower-cased, no duplicates). */
  subjects: string[];
  /** A Calendar client (scope calendar.readonly, falling back to calendar); `.as(subject)` acts as each. */
  client: CalendarClient;
  /** Where the mirror's state lives: memory, or Redis shared by every replica. */
  store: MirrorStore;
  /** Diagnostic lines (JSON), never with a token. */
  log: (line: string) => void;
  now?: (() => number) | undefined;
  /** Waits `ms` (the pacer's waits); default a timer. Tests hand in a fake. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Calls `run` every `ms` until the returned stop is called (the reconcile timer); default `setInterval`. */
  every?: ((ms: number, run: () => void) => () => void) | undefined;
  /** How long a user's lease is held at most (default 120,000 ms), e.g. when its holder dies. */
  leaseMs?: number | undefined;
  /** Users started or reconciled at once (default 8); the pace bounds the calls anyway. */
  concurrency?: number | undefined;
}

/** The mirror, with what tests and the bench drive directly. */
export interface MirrorEngine extends Mirror {
  /** Resolves once the work started so far (start-up, syncs, reconcile) has settled. */
  idle(): Promise<void>;
  /** Runs one reconcile pass now (the timer runs one every `reconcileMinutes`). */
  reconcile(): Promise<void>;
}

const dayMs = 86_400_000;
const hourMs = 3_600_000;

/** Google's Calendar error facts, as thrown by @dwd/calendar. */
interface ApiFailure {
  code?: unknown;
  status?: unknown;
  message?: unknown;
}

function failureText(error: unknown): string {
  const e = (typeof error === "object" && error !== null ? error : {}) as ApiFailure;
  const code = typeof e.code === "string" ? e.code : "error";
  const status = typeof e.status === "number" ? ` ${e.status}` : "";
  const message = typeof e.message === "string" ? e.message : String(error);
  return `${code}${status}: ${message}`.slice(0, 300);
}

function isFullSyncRequired(error: unknown): boolean {
  const e = (typeof error === "object" && error !== null ? error : {}) as ApiFailure;
  return e.code === "full_sync_required" || e.status === 410;
}

function leaseLost(): Error {
  return Object.assign(
    new Error("the user's lease lapsed during a sync; another replica took over"),
    {
      code: "lease_lost",
    },
  );
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return base64url(new Uint8Array(digest));
}

/** Equal strings of equal length, compared in time independent of where they differ. */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i % (b.length || 1));
  return diff === 0;
}

/** A user's record as cached, with its busy spans over the kept window once worked out. */
interface Cached {
  version: number;
  record: MirrorRecord;
  spans?: BusySpan[] | undefined;
}

/** The merged spans that meet [from, to), clipped to it (binary search for the first). */
function spansIn(spans: readonly BusySpan[], from: number, to: number): BusySpan[] {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((spans[mid]?.[1] ?? 0) <= from) lo = mid + 1;
    else hi = mid;
  }
  const out: BusySpan[] = [];
  for (let i = lo; i < spans.length; i++) {
    const span = spans[i];
    if (span === undefined || span[0] >= to) break;
    out.push([Math.max(span[0], from), Math.min(span[1], to)]);
  }
  return out;
}

const defaultEvery = (ms: number, run: () => void): (() => void) => {
  const timer = setInterval(run, ms);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
};

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the mirror (it does nothing until `start()`).
 *
 * @param options configuration, users, client, store, log
 * @returns the mirror
 * @example
 * ```ts
 * const mirror = createMirror({ config, subjects, client, store: createMemoryMirrorStore(), log });
 * mirror.start();
 * await mirror.read("ana@example.com", Date.now(), Date.now() + 7 * 86_400_000);
 * ```
 */
export function createMirror(options: CreateMirrorOptions): MirrorEngine {
  const { config, client, store } = options;
  const now = options.now ?? Date.now;
  const subjects = [...new Set(options.subjects.map((s) => s.toLowerCase()))];
  const mirrored = new Set(subjects);
  const byName = new Map(subjects.map((s) => [store.nameOf(s), s]));
  const pacer = createPacer(config.callsPerSecond, now, options.sleep ?? defaultSleep);
  const leaseMs = options.leaseMs ?? 120_000;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const horizonMs = config.horizonDays * dayMs;
  const ttlMs = config.channelTtlHours * hourMs;
  const reconcileMs = config.reconcileMinutes * 60_000;
  /** A channel is renewed when less than this is left of it: 10 % of its life, at least an hour. */
  const renewWithinMs = Math.max(ttlMs / 10, hourMs);

  const counters: MirrorCounters = {
    notificationsAccepted: 0,
    notificationsRefused: 0,
    notificationsDuplicate: 0,
    syncs: 0,
    fullSyncs: 0,
    fullResyncs: 0,
    reconcileRepairs: 0,
    channelsRenewed: 0,
    syncErrors: 0,
  };
  /** Each user's record as last read or written here, with its version in the store. */
  const cache = new Map<string, Cached>();
  const loading = new Map<string, Promise<Cached | undefined>>();
  /** Users who had a first attempt (here, or by the replica that held the lease). */
  const attempted = new Set<string>();
  const failing = new Map<string, string>();
  /** Users whose lease this replica holds now. */
  const running = new Set<string>();
  const inflight = new Set<Promise<void>>();
  let started = false;
  let closed = false;
  let reconciling: Promise<void> | undefined;
  let stopTimer: (() => void) | undefined;

  const log = (level: string, msg: string, fields: Record<string, unknown> = {}): void => {
    try {
      options.log(JSON.stringify({ level, msg, ...fields }));
    } catch {
      // a failing log sink must not stop the mirror
    }
  };

  const track = (work: Promise<void>): void => {
    const p: Promise<void> = work
      .catch((error: unknown) => log("error", `mirror: unexpected failure: ${failureText(error)}`))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  const fail = (subject: string, phase: string, error: unknown): void => {
    if (closed) return; // cut short by close(): not the user's failure
    counters.syncErrors++;
    const reason = `${phase}: ${failureText(error)}`;
    failing.set(subject, reason);
    log("warn", `mirror: ${phase} of ${subject} failed`, { subject, reason });
  };

  /** The user's record, from the cache when the store's version matches. */
  const current = async (subject: string): Promise<Cached | undefined> => {
    const version = await store.version(subject);
    const cached = cache.get(subject);
    if (cached !== undefined && cached.version === version) return cached;
    if (version === 0) return undefined;
    let load = loading.get(subject);
    if (load === undefined) {
      load = store.load(subject).finally(() => loading.delete(subject));
      loading.set(subject, load);
    }
    const loaded = await load;
    if (loaded !== undefined && (cache.get(subject)?.version ?? 0) < loaded.version)
      cache.set(subject, loaded);
    return loaded;
  };

  const keepFrom = (t: number): number => t - dayMs;

  /** Applies listed items to `events`, keeping those that may be busy in [from, to). */
  const apply = (
    subject: string,
    events: Map<string, MirrorEvent>,
    items: readonly unknown[],
    timeZone: string,
    from: number,
    to: number,
  ): void => {
    for (const item of items) {
      if (typeof item !== "object" || item === null) continue;
      const event = mirrorEventOf(item as Record<string, unknown>, subject);
      if (event === undefined) continue;
      if (event.status === "cancelled" && event.recurringEventId === undefined)
        events.delete(event.id);
      else if (keepsEvent(event, timeZone, from, to)) events.set(event.id, event);
      else events.delete(event.id);
    }
  };

  /** Lists every page (from `syncToken` when given); answers items, zone and the next sync token. */
  const listAll = async (
    subject: string,
    syncToken: string | undefined,
    lease: MirrorLease,
  ): Promise<{ items: unknown[]; timeZone: string | undefined; nextSyncToken: string }> => {
    const items: unknown[] = [];
    let timeZone: string | undefined;
    let pageToken: string | undefined;
    let renewed = now();
    for (;;) {
      await pacer.take();
      // A long listing (many pages, a slow pace) keeps the lease: past a third of it, extend it.
      if (now() - renewed > leaseMs / 3) {
        if (!(await lease.renew())) throw leaseLost();
        renewed = now();
      }
      const page = await client.as(subject).events.list("primary", {
        showDeleted: true,
        singleEvents: false,
        maxResults: 2500,
        ...(syncToken === undefined ? {} : { syncToken }),
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      items.push(...(page.items ?? []));
      timeZone = page.timeZone ?? timeZone;
      if (typeof page.nextPageToken === "string" && page.nextPageToken !== "") {
        pageToken = page.nextPageToken;
        continue;
      }
      if (typeof page.nextSyncToken !== "string" || page.nextSyncToken === "")
        throw Object.assign(new Error("events.list's last page has no nextSyncToken"), {
          code: "unexpected_response",
        });
      return { items, timeZone, nextSyncToken: page.nextSyncToken };
    }
  };

  const fullSync = async (
    subject: string,
    record: MirrorRecord,
    lease: MirrorLease,
  ): Promise<void> => {
    const t = now();
    const listed = await listAll(subject, undefined, lease);
    const timeZone = listed.timeZone ?? record.timeZone ?? "UTC";
    const from = keepFrom(t);
    const to = t + horizonMs + dayMs;
    const events = new Map<string, MirrorEvent>();
    apply(subject, events, listed.items, timeZone, from, to);
    Object.assign(record, {
      events,
      timeZone,
      syncToken: listed.nextSyncToken,
      lastSync: t,
      lastFullSync: t,
      windowFrom: from,
      windowTo: to,
    });
  };

  const incrementalSync = async (
    subject: string,
    record: MirrorRecord,
    syncToken: string,
    windowTo: number,
    lease: MirrorLease,
  ): Promise<void> => {
    const t = now();
    const listed = await listAll(subject, syncToken, lease);
    const timeZone = listed.timeZone ?? record.timeZone ?? "UTC";
    const from = keepFrom(t);
    apply(subject, record.events, listed.items, timeZone, from, windowTo);
    for (const [id, event] of record.events)
      if (!keepsEvent(event, timeZone, from, windowTo)) record.events.delete(id);
    Object.assign(record, {
      timeZone,
      syncToken: listed.nextSyncToken,
      lastSync: t,
      windowFrom: from,
    });
  };

  /** A new channel for the user, registered and saved before the old one (if live) is stopped. */
  const watch = async (
    subject: string,
    record: MirrorRecord,
    lease: MirrorLease,
  ): Promise<number | undefined> => {
    const t = now();
    const token = base64url(crypto.getRandomValues(new Uint8Array(32)));
    const id = crypto.randomUUID();
    const tokenHash = await sha256(token);
    // Registered before the call (resource ID still unknown) so that its `sync` message, which may
    // arrive before the answer, is recognised and ignored rather than refused.
    await store.addChannel(subject, { id, resourceId: "", tokenHash, expiration: t + ttlMs });
    let answer;
    try {
      await pacer.take();
      answer = await client.as(subject).events.watch("primary", {
        id,
        type: "web_hook",
        address: config.pushUrl,
        token,
        expiration: String(t + ttlMs),
      });
    } catch (error) {
      await store.removeChannel(id);
      throw error;
    }
    const expiration = Number(answer.expiration ?? t + ttlMs);
    const channel: StoredChannel = {
      id,
      resourceId: answer.resourceId ?? "",
      tokenHash,
      expiration: Number.isFinite(expiration) ? expiration : t + ttlMs,
    };
    await store.addChannel(subject, channel);
    const old = record.channel;
    record.channel = channel;
    const version = await lease.save(record);
    if (version === undefined) return undefined;
    if (old !== undefined && old.expiration > t) {
      counters.channelsRenewed++;
      try {
        await pacer.take();
        await client.as(subject).channels.stop({ id: old.id, resourceId: old.resourceId });
      } catch (error) {
        // It ends by itself at its expiration; its notifications are still accepted until then.
        log("warn", `mirror: channels.stop of ${subject}'s old channel failed`, {
          subject,
          reason: failureText(error),
        });
      }
    }
    return version;
  };

  type Reason = "start" | "push" | "reconcile";

  /** One round under the lease: renew or make the channel if needed, then sync. */
  const round = async (subject: string, lease: MirrorLease, reason: Reason): Promise<void> => {
    const loaded = await store.load(subject);
    const record: MirrorRecord = loaded?.record ?? { events: new Map() };
    const t = now();
    const channel = record.channel;
    const noChannel = channel === undefined || channel.expiration <= t;
    const expiring = !noChannel && channel.expiration - t < renewWithinMs;
    const stale = record.lastSync === undefined || t - record.lastSync >= reconcileMs;
    const shortHorizon = record.windowTo === undefined || record.windowTo - t < horizonMs;
    if (
      reason === "reconcile" &&
      !stale &&
      !noChannel &&
      !expiring &&
      !shortHorizon &&
      !failing.has(subject)
    ) {
      if (loaded !== undefined) cache.set(subject, loaded);
      return; // another replica got there first
    }
    const repair = reason === "reconcile" && stale && record.lastSync !== undefined;
    let watchFailed = false;
    if (noChannel || expiring) {
      try {
        if ((await watch(subject, record, lease)) === undefined) {
          log("warn", `mirror: lease of ${subject} lost during a watch`, { subject });
          return;
        }
      } catch (error) {
        // Without a channel the user is still synced (reconcile keeps it fresh) and listed as failing.
        watchFailed = true;
        fail(subject, "watch", error);
      }
    }
    let kind: "incremental" | "full" | "resync" = "full";
    try {
      if (record.syncToken !== undefined && record.windowTo !== undefined && !shortHorizon) {
        try {
          await incrementalSync(subject, record, record.syncToken, record.windowTo, lease);
          kind = "incremental";
        } catch (error) {
          if (!isFullSyncRequired(error)) throw error;
          log("info", `mirror: ${subject}'s sync token expired (410); full resync`, { subject });
          record.events.clear();
          record.syncToken = undefined;
          kind = "resync";
          await fullSync(subject, record, lease);
        }
      } else await fullSync(subject, record, lease);
    } catch (error) {
      fail(subject, record.syncToken === undefined ? "full sync" : "sync", error);
      return;
    }
    const version = await lease.save(record);
    if (version === undefined) {
      log("warn", `mirror: lease of ${subject} lost during a sync; not saved`, { subject });
      return;
    }
    // Counted once saved: a sync whose lease lapsed (its result dropped) is no sync.
    if (kind === "incremental") counters.syncs++;
    else counters.fullSyncs++;
    if (kind === "resync") counters.fullResyncs++;
    if (repair) counters.reconcileRepairs++;
    cache.set(subject, { version, record });
    if (!watchFailed) failing.delete(subject);
  };

  /** Syncs the user under its lease, again while notifications came meanwhile. Never rejects. */
  const run = async (subject: string, reason: Reason): Promise<void> => {
    if (closed || running.has(subject)) return; // the holder syncs again for a pending notification
    running.add(subject);
    try {
      const lease = await store.lease(subject, leaseMs);
      if (lease === undefined) return; // another replica holds it, and sees the pending mark
      let why = reason;
      for (;;) {
        // This round covers every notification so far; one left pending (its replica gone) is a
        // sync due whatever the reconcile pass thought.
        if (await store.takePending(subject)) why = "push";
        try {
          await round(subject, lease, why);
        } catch (error) {
          fail(subject, "store", error);
        }
        const released = await lease.release();
        if (released !== "pending") break;
        if (closed) break; // the lease lapses; the pending mark stays for the next replica or start
        why = "push";
      }
    } catch (error) {
      fail(subject, "store", error);
    } finally {
      running.delete(subject);
      if (reason === "start") attempted.add(subject);
    }
  };

  /** Runs `work` for each user, `concurrency` at a time. */
  const forEach = async (list: string[], work: (s: string) => Promise<void>): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!closed && next < list.length) {
        const subject = list[next++];
        if (subject !== undefined) await work(subject);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  };

  const reconcileOnce = async (): Promise<void> => {
    const t = now();
    await forEach(subjects, async (subject) => {
      let due: boolean;
      try {
        const c = await current(subject);
        const r = c?.record;
        due =
          failing.has(subject) ||
          r === undefined ||
          r.lastSync === undefined ||
          t - r.lastSync >= reconcileMs ||
          r.channel === undefined ||
          r.channel.expiration - t < renewWithinMs ||
          r.windowTo === undefined ||
          r.windowTo - t < horizonMs ||
          (await store.hasPending(subject));
      } catch (error) {
        log("warn", `mirror: reconcile could not read ${subject}'s state`, {
          subject,
          reason: failureText(error),
        });
        return;
      }
      if (due) await run(subject, "reconcile");
    });
  };

  const reconcile = (): Promise<void> => {
    reconciling ??= reconcileOnce().finally(() => (reconciling = undefined));
    return reconciling;
  };

  const mirror: MirrorEngine = {
    counters,
    has: (subject) => mirrored.has(subject.toLowerCase()),

    async read(subject, from, to): Promise<MirrorAnswer | undefined> {
      const s = subject.toLowerCase();
      if (!mirrored.has(s) || !(to > from)) return undefined;
      let c;
      try {
        c = await current(s);
      } catch {
        return undefined; // the store is unreachable: ask Google
      }
      const r = c?.record;
      if (
        c === undefined ||
        r?.lastSync === undefined ||
        r.windowFrom === undefined ||
        r.windowTo === undefined ||
        from < r.windowFrom ||
        to > r.windowTo ||
        to > now() + horizonMs
      )
        return undefined;
      // The whole window's busy spans are worked out once per version; a read cuts its range out.
      c.spans ??= busyOf(r.events.values(), r.timeZone ?? "UTC", r.windowFrom, r.windowTo);
      return { busy: spansIn(c.spans, from, to), asOf: r.lastSync };
    },

    async push(headers: PushHeaders): Promise<PushOutcome> {
      const refuse = (why: string): PushOutcome => {
        counters.notificationsRefused++;
        log("info", `mirror: notification refused (${why})`);
        return "refused";
      };
      try {
        const id = headers.channelId;
        if (id === undefined || id === "" || id.length > 64) return refuse("no channel ID");
        const entry = await store.channel(id);
        const presented = await sha256(headers.channelToken ?? "");
        if (entry === undefined) return refuse("unknown channel");
        const subject = byName.get(entry.owner);
        if (!sameText(presented, entry.tokenHash) || subject === undefined)
          return refuse("wrong token");
        if (headers.resourceState === "sync") return "sync";
        if (entry.resourceId === "" || headers.resourceId !== entry.resourceId)
          return refuse("wrong resource");
        const n = Number(headers.messageNumber);
        if (!/^\d{1,15}$/.test(headers.messageNumber ?? "") || !Number.isSafeInteger(n))
          return refuse("no message number");
        if (!(await store.acceptMessage(id, n))) {
          counters.notificationsDuplicate++;
          return "duplicate";
        }
        await store.markPending(subject);
        counters.notificationsAccepted++;
        if (!closed) track(run(subject, "push"));
        return "accepted";
      } catch (error) {
        // Store unreachable: refused (Google retries with backoff); reconcile repairs the rest.
        return refuse(`store: ${failureText(error)}`);
      }
    },

    start() {
      if (started || closed) return;
      started = true;
      track(
        forEach(subjects, async (subject) => {
          await run(subject, "start");
          // Another replica held the lease (it is syncing the user): read what it keeps.
          if (!cache.has(subject)) await current(subject).catch(() => undefined);
        }),
      );
      stopTimer = (options.every ?? defaultEvery)(reconcileMs, () => {
        if (!closed) track(reconcile());
      });
    },

    status(): MirrorStatus {
      const t = now();
      let synced = 0;
      let channelsLive = 0;
      let channelsExpiring = 0;
      const lagsMs: number[] = [];
      for (const subject of subjects) {
        const r = cache.get(subject)?.record;
        if (r === undefined) continue;
        if (r.lastSync !== undefined) {
          synced++;
          lagsMs.push(Math.max(0, t - r.lastSync));
        }
        if (r.channel !== undefined && r.channel.expiration > t) {
          channelsLive++;
          if (r.channel.expiration - t < renewWithinMs) channelsExpiring++;
        }
      }
      const ready = subjects.every((s) => attempted.has(s));
      return {
        state: ready ? "ready" : "warming",
        users: subjects.length,
        synced,
        channelsLive,
        channelsExpiring,
        lagsMs,
        failing: [...failing].slice(0, 20).map(([subject, reason]) => ({ subject, reason })),
      };
    },

    async idle() {
      while (inflight.size > 0) await Promise.all([...inflight]);
    },

    reconcile,

    async close() {
      closed = true;
      stopTimer?.();
      pacer.close();
      await mirror.idle();
    },
  };
  return mirror;
}
