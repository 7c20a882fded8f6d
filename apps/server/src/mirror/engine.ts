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
 * Against a hostile or broken upstream each user's sync is bounded ({@link mirrorSyncLimits}: pages,
 * items, kept events and recurrence rules; a repeating page token), Google's answers are checked (items, zone, watch
 * resource ID and expiration), a 429/5xx pauses that user's notification-driven syncs, and a failure
 * is that user's alone (`status().failing`). busy.ts is guarded here: what it throws on is skipped
 * (reading an event) or sends reads to Google (working out busy times).
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
import { zeroCounters } from "./types.ts";

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
  /** Caps on one user's sync (tests lower them); default {@link mirrorSyncLimits}. */
  limits?: Partial<MirrorSyncLimits> | undefined;
}

/** How much one sync of one user may list before the user fails (a hostile or broken upstream). */
export interface MirrorSyncLimits {
  /** `events.list` pages per sync (Google's pages hold at most 2,500 events). */
  maxPages: number;
  /** Items listed per sync, all pages together; also the most events kept of one user. */
  maxItems: number;
  /** Characters of recurrence lines (RRULE, EXDATE, …) kept of one user, all events together. */
  maxRecurrenceChars: number;
}

/**
 * The default caps: 200 pages and 100,000 items per sync of one user, 100,000 events and 4,000,000
 * characters of recurrence lines kept of one user. Past any, the sync stops, nothing of it is kept
 * and the user is listed in `status().failing` (code `sync_too_large`); the other users go on. A page
 * token that repeats, or one over 4,096 characters, fails the sync at once.
 */
export const mirrorSyncLimits: MirrorSyncLimits = {
  maxPages: 200,
  maxItems: 100_000,
  maxRecurrenceChars: 4_000_000,
};

/** The longest page or sync token taken (Google's are a few hundred characters). */
const maxTokenChars = 4096;

/** The mirror, with what tests and the bench drive directly. */
export interface MirrorEngine extends Mirror {
  /** Resolves once the work started so far (start-up, syncs, reconcile) has settled. */
  idle(): Promise<void>;
  /** Runs one reconcile pass now (the timer runs one every tenth of `reconcileMinutes`, at most a minute). */
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
  const status = typeof e.status === "number" && e.status > 0 ? ` ${e.status}` : ""; // 0: no answer
  const message = typeof e.message === "string" ? e.message : String(error);
  return `${code}${status}: ${message}`.slice(0, 300);
}

/** Google's status of a failed call, when it has one. */
function statusOf(error: unknown): number | undefined {
  const e = (typeof error === "object" && error !== null ? error : {}) as ApiFailure;
  return typeof e.status === "number" ? e.status : undefined;
}

/**
 * How long notifications of a user start no sync after its sync failed (at most `reconcileMs`):
 * after a 429, a 5xx or no answer (the client's retries spent), the `Retry-After`, at least 60 s;
 * after anything else (a 4xx, an answer refused, a cap), until the next reconcile pass — the same
 * failure again per notification would only hammer Google.
 */
function pauseAfter(error: unknown, reconcileMs: number): number {
  const status = statusOf(error) ?? 0;
  const code = (typeof error === "object" && error !== null ? error : {}) as ApiFailure;
  const ours = code.code === "sync_too_large" || code.code === "unexpected_response";
  if (status === 429 || status >= 500 || (status === 0 && !ours)) {
    const after = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    const ms = typeof after === "number" && Number.isFinite(after) ? after * 1000 : 0;
    return Math.min(reconcileMs, Math.max(60_000, ms));
  }
  return reconcileMs;
}

function isFullSyncRequired(error: unknown): boolean {
  const e = (typeof error === "object" && error !== null ? error : {}) as ApiFailure;
  return e.code === "full_sync_required" || e.status === 410;
}

function tooLarge(message: string): Error {
  return Object.assign(new Error(message), { code: "sync_too_large" });
}

function unexpected(message: string): Error {
  return Object.assign(new Error(message), { code: "unexpected_response" });
}

/** True for a time zone the runtime's Intl knows (an IANA name, as Google's `timeZone`). */
function knownZone(zone: string): boolean {
  if (zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
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
  /** Worked out on the first read; null when busyOf threw on this version. */
  spans?: BusySpan[] | null | undefined;
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
  const limits: MirrorSyncLimits = { ...mirrorSyncLimits, ...options.limits };
  const horizonMs = config.horizonDays * dayMs;
  const ttlMs = config.channelTtlHours * hourMs;
  const reconcileMs = config.reconcileMinutes * 60_000;
  /**
   * The reconcile timer ticks ten times an interval (at most once a minute, at least once a second),
   * and a pass syncs each user whose last sync is older than the interval less one tick: so no user
   * goes longer than `reconcileMinutes` without a sync, and a change whose notification was lost shows
   * within the interval plus one sync — not within two intervals, as a pass once an interval would
   * allow (a user synced just after a pass would wait for the pass after next).
   */
  const tickMs = Math.max(1000, Math.min(reconcileMs / 10, 60_000));
  const dueAfterMs = Math.max(0, reconcileMs - tickMs);
  /**
   * Older than this, a user's mirror is not answered from (reads go live): a healthy user is synced
   * at least every reconcile pass, so only a user failing for three intervals (Google refusing it,
   * a cap, the store) gets there, and its old copy would be a guess.
   */
  const staleMs = 3 * reconcileMs;
  /** A channel is renewed when less than this is left of it: 10 % of its life, at least an hour. */
  const renewWithinMs = Math.max(ttlMs / 10, hourMs);

  const counters: MirrorCounters = zeroCounters();
  /** Each user's record as last read or written here, with its version in the store. */
  const cache = new Map<string, Cached>();
  const loading = new Map<string, Promise<Cached | undefined>>();
  /** Users who had a first attempt (here, or by the replica that held the lease). */
  const attempted = new Set<string>();
  const failing = new Map<string, string>();
  /** Users Google pushed back on, and until when their notifications start no sync. */
  const pausedUntil = new Map<string, number>();
  /** Users whose lease this replica holds now. */
  const running = new Set<string>();
  const inflight = new Set<Promise<void>>();
  let started = false;
  let closed = false;
  let reconciling: Promise<void> | undefined;
  let stopTimer: (() => void) | undefined;
  let refusedLoggedAt = Number.NEGATIVE_INFINITY;
  let refusedSinceLog = 0;

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
    // Meanwhile notifications only mark the user pending, and the next reconcile pass syncs it: no
    // call per notification while Google pushes back or the same failure would come again. (A
    // store failure refuses notifications anyway.)
    if (phase !== "store") pausedUntil.set(subject, now() + pauseAfter(error, reconcileMs));
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

  /** keepsEvent, kept when it throws (junk recurrence): keeping too much costs memory, not truth. */
  const keeps = (event: MirrorEvent, timeZone: string, from: number, to: number): boolean => {
    try {
      return keepsEvent(event, timeZone, from, to);
    } catch {
      return true;
    }
  };

  /** Applies listed items to `events`, keeping those that may be busy in [from, to). */
  /**
   * Reads listed items into kept events (only the fields free/busy reads, so a page's raw items are
   * let go at once). Items that are no event object are skipped; what the reader throws on too,
   * counted in `unreadable`.
   */
  const readItems = (subject: string, items: readonly unknown[], out: MirrorEvent[]): number => {
    let unreadable = 0;
    for (const item of items) {
      if (typeof item !== "object" || item === null || Array.isArray(item)) continue;
      try {
        const event = mirrorEventOf(item as Record<string, unknown>, subject);
        if (event !== undefined) out.push(event);
      } catch {
        unreadable++;
      }
    }
    return unreadable;
  };

  /** Applies read events to `events`, keeping those that may be busy in [from, to). */
  const apply = (
    events: Map<string, MirrorEvent>,
    read: readonly MirrorEvent[],
    timeZone: string,
    from: number,
    to: number,
  ): void => {
    for (const event of read) {
      if (event.status === "cancelled" && event.recurringEventId === undefined)
        events.delete(event.id);
      else if (keeps(event, timeZone, from, to)) events.set(event.id, event);
      else events.delete(event.id);
    }
  };

  /**
   * What is kept of a user is capped however many syncs added to it: events (like one sync's items)
   * and the characters of their recurrence lines.
   */
  const keptAtMost = (events: Map<string, MirrorEvent>): void => {
    if (events.size > limits.maxItems)
      throw tooLarge(`the mirror would keep more than ${limits.maxItems} events of this user`);
    let chars = 0;
    for (const e of events.values()) for (const line of e.recurrence ?? []) chars += line.length;
    if (chars > limits.maxRecurrenceChars)
      throw tooLarge(
        `the mirror would keep more than ${limits.maxRecurrenceChars} characters of recurrence rules of this user`,
      );
  };

  /** Lists every page (from `syncToken` when given); answers events, zone and the next sync token. */
  const listAll = async (
    subject: string,
    syncToken: string | undefined,
    lease: MirrorLease,
  ): Promise<{ events: MirrorEvent[]; timeZone: string | undefined; nextSyncToken: string }> => {
    const events: MirrorEvent[] = [];
    let listed = 0;
    let unreadable = 0;
    let recurrenceChars = 0;
    let timeZone: string | undefined;
    let pageToken: string | undefined;
    const seen = new Set<string>();
    let renewed = now();
    for (let pages = 1; ; pages++) {
      if (pages > limits.maxPages)
        throw tooLarge(`events.list gave more than ${limits.maxPages} pages in one sync`);
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
      const items: unknown = page.items ?? [];
      if (!Array.isArray(items)) throw unexpected("events.list answered items that are no list");
      listed += items.length;
      if (listed > limits.maxItems)
        throw tooLarge(`events.list gave more than ${limits.maxItems} items in one sync`);
      const before = events.length;
      unreadable += readItems(subject, items as unknown[], events);
      for (let i = before; i < events.length; i++)
        for (const line of events[i]?.recurrence ?? []) recurrenceChars += line.length;
      if (recurrenceChars > limits.maxRecurrenceChars)
        throw tooLarge(
          `events.list gave more than ${limits.maxRecurrenceChars} characters of recurrence rules in one sync`,
        );
      if (typeof page.timeZone === "string" && page.timeZone !== "") {
        // All-day events are busy midnight to midnight in this zone: one the runtime does not know
        // would place them wrong, so the sync fails rather than guess.
        if (!knownZone(page.timeZone))
          throw unexpected(
            `events.list answered an unknown time zone (${page.timeZone.slice(0, 40)})`,
          );
        timeZone = page.timeZone;
      }
      const next: unknown = page.nextPageToken;
      if (typeof next === "string" && next !== "") {
        if (next.length > maxTokenChars) throw unexpected("events.list's page token is too long");
        if (seen.has(next)) throw unexpected("events.list repeated a page token (a loop)");
        seen.add(next);
        pageToken = next;
        continue;
      }
      const nextSync: unknown = page.nextSyncToken;
      if (typeof nextSync !== "string" || nextSync === "")
        throw unexpected("events.list's last page has no nextSyncToken");
      if (nextSync.length > maxTokenChars) throw unexpected("events.list's sync token is too long");
      if (unreadable > 0)
        log("warn", `mirror: skipped ${unreadable} unreadable event(s) of ${subject}`, {
          subject,
          unreadable,
        });
      return { events, timeZone, nextSyncToken: nextSync };
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
    apply(events, listed.events, timeZone, from, to);
    keptAtMost(events);
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
    apply(record.events, listed.events, timeZone, from, windowTo);
    for (const [id, event] of record.events)
      if (!keeps(event, timeZone, from, windowTo)) record.events.delete(id);
    keptAtMost(record.events);
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
    // Google's answer is checked: without a resource ID no notification could be taken nor the
    // channel stopped; an end already past would renew at every pass. A later end than asked is
    // cut to the one asked (renewed early: harmless), a missing one taken as asked.
    const resourceId: unknown = answer.resourceId;
    const expiration = answer.expiration === undefined ? t + ttlMs : Number(answer.expiration);
    const bad =
      typeof resourceId !== "string" || resourceId === "" || resourceId.length > 1024
        ? "events.watch answered without a resource ID"
        : !Number.isFinite(expiration) || expiration <= t
          ? `events.watch answered an expiration that is not ahead (${String(answer.expiration).slice(0, 40)})`
          : undefined;
    if (bad !== undefined) {
      await store.removeChannel(id);
      throw unexpected(bad);
    }
    const channel: StoredChannel = {
      id,
      resourceId: resourceId as string,
      tokenHash,
      expiration: Math.min(expiration, t + ttlMs),
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
    const stale = record.lastSync === undefined || t - record.lastSync >= dueAfterMs;
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
      if (statusOf(error) === 404) {
        // The calendar is gone (Google's `not_exists`): nothing of it is answered from the mirror
        // any more (reads go live); the next round starts over with a full sync.
        const dropped: MirrorRecord = { events: new Map(), channel: record.channel };
        const version = await lease.save(dropped);
        if (version !== undefined) cache.set(subject, { version, record: dropped });
      }
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
    pausedUntil.delete(subject);
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
      // Whatever started it (start-up, a notification, a reconcile pass): a start-up run that found
      // this one running returned at once, and counts on it.
      attempted.add(subject);
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
          t - r.lastSync >= dueAfterMs ||
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
        to > now() + horizonMs ||
        now() - r.lastSync > staleMs
      )
        return undefined;
      // The whole window's busy spans are worked out once per version; a read cuts its range out.
      // Kept events busyOf cannot read (junk recurrence from upstream) make this version unanswerable
      // (null marks it, so it is tried once): Google answers instead, never a guess.
      if (c.spans === undefined) {
        try {
          c.spans = busyOf(r.events.values(), r.timeZone ?? "UTC", r.windowFrom, r.windowTo);
        } catch (error) {
          c.spans = null;
          log("warn", `mirror: cannot work out ${s}'s busy times; asking Google`, {
            subject: s,
            reason: failureText(error),
          });
        }
      }
      if (c.spans === null) return undefined;
      return { busy: spansIn(c.spans, from, to), asOf: r.lastSync };
    },

    knowsChannel(channelId) {
      if (channelId === "") return false;
      for (const c of cache.values()) if (c.record.channel?.id === channelId) return true;
      return false;
    },

    async push(headers: PushHeaders): Promise<PushOutcome> {
      const refuse = (why: string): PushOutcome => {
        counters.notificationsRefused++;
        // A flood of forged notifications writes one line a minute, not one per request.
        refusedSinceLog++;
        const t = now();
        if (t - refusedLoggedAt >= 60_000) {
          log("info", `mirror: notification refused (${why})`, { refused: refusedSinceLog });
          refusedLoggedAt = t;
          refusedSinceLog = 0;
        }
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
        // Google's states for events: `exists` (a change) and `not_exists` (the calendar is gone: the
        // sync finds out and the user's mirror is dropped). Nothing else is Google's.
        if (headers.resourceState !== "exists" && headers.resourceState !== "not_exists")
          return refuse("unknown resource state");
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
        if (!closed && !((pausedUntil.get(subject) ?? 0) > now())) track(run(subject, "push"));
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
      stopTimer = (options.every ?? defaultEvery)(tickMs, () => {
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
