/**
 * The availability mirror's shared shapes: its configuration, what it keeps of an event, what it
 * answers, and the interface the app (routes, metrics, doctor, /readyz) calls. The engine
 * (engine.ts) implements {@link Mirror}; busy.ts turns kept events into busy intervals.
 *
 * @module
 */

/** The `mirror` section of the configuration, validated (durations in the units named). */
export interface MirrorConfig {
  /** Who is mirrored, as written: emails and `list:NAME` entries (resolved against `subjectLists`). */
  users: string[];
  /** The public HTTPS address Google posts notifications to: this server's `/v1/push`. */
  pushUrl: string;
  /** Days ahead kept in the mirror (default 90); answers beyond it go live to Google. */
  horizonDays: number;
  /** Lifetime asked of each watch channel in hours (default 168, a week). */
  channelTtlHours: number;
  /** Minutes between reconcile passes (default 15): users synced longer ago are synced again. */
  reconcileMinutes: number;
  /** Google calls per second the mirror makes at most (start-up, renewals, reconcile; default 10). */
  callsPerSecond: number;
}

/** A date or date-time as Calendar v3 writes it. */
export interface MirrorTime {
  date?: string | undefined;
  dateTime?: string | undefined;
  timeZone?: string | undefined;
}

/** What the mirror keeps of an event: only the fields Google's free/busy reads. */
export interface MirrorEvent {
  id: string;
  /** `confirmed`, `tentative` or `cancelled`. */
  status?: string | undefined;
  start?: MirrorTime | undefined;
  end?: MirrorTime | undefined;
  /** `opaque` (default) or `transparent`. */
  transparency?: string | undefined;
  /** RRULE/EXRULE/RDATE/EXDATE lines of a recurring event's master. */
  recurrence?: string[] | undefined;
  /** Set on an instance that differs from its series (moved, changed or cancelled). */
  recurringEventId?: string | undefined;
  originalStartTime?: MirrorTime | undefined;
  /** The mirrored user's own answer when a guest (`attendees[self].responseStatus`). */
  selfResponse?: string | undefined;
  /** `default`, `outOfOffice`, `focusTime`, `workingLocation`, … */
  eventType?: string | undefined;
}

/** A busy interval: start and end instants in ms since the epoch, start < end. */
export type BusySpan = [start: number, end: number];

/** The mirror's answer for one user and range. */
export interface MirrorAnswer {
  /** Merged busy intervals, clipped to the range, in order. */
  busy: BusySpan[];
  /** When this user's mirror last matched Google (ms since the epoch): the last successful sync. */
  asOf: number;
}

/** The `X-Goog-*` headers of a push notification, as received (any may be missing). */
export interface PushHeaders {
  channelId?: string | undefined;
  channelToken?: string | undefined;
  resourceId?: string | undefined;
  resourceState?: string | undefined;
  messageNumber?: string | undefined;
}

/**
 * What became of a push notification: `accepted` (a sync of its user follows, or joins one running),
 * `sync` (the channel's first message, ignored), `duplicate` (this message number, or a later one, was
 * seen already), `refused` (no channel of ours, or the wrong token).
 */
export type PushOutcome = "accepted" | "sync" | "duplicate" | "refused";

/** Counters since start (this replica's), for /metrics. */
export interface MirrorCounters {
  notificationsAccepted: number;
  notificationsRefused: number;
  notificationsDuplicate: number;
  /** Incremental syncs (with a sync token) completed. */
  syncs: number;
  /** Full syncs: each user's first, plus every resync after a 410. */
  fullSyncs: number;
  /** Full resyncs caused by a 410 `fullSyncRequired` on a sync token. */
  fullResyncs: number;
  /** Users the reconcile pass found stale and synced again. */
  reconcileRepairs: number;
  /** Channels replaced before they expired. */
  channelsRenewed: number;
  /** Sync or watch calls that failed (the user stays as it was; reconcile tries again). */
  syncErrors: number;
}

/** Counters at start: every one 0. */
export function zeroCounters(): MirrorCounters {
  return {
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
}

/** The mirror's state, for /readyz, /metrics and the doctor. */
export interface MirrorStatus {
  /** `warming` until every mirrored user has had a first full sync (or failed one), then `ready`. */
  state: "warming" | "ready";
  /** Users mirrored, and how many have a synced mirror now. */
  users: number;
  synced: number;
  /** Channels live (not expired), and how many of them expire within the renewal window. */
  channelsLive: number;
  channelsExpiring: number;
  /** Per user, ms since the last successful sync (users never synced are left out). */
  lagsMs: number[];
  /** Users whose last sync or watch failed, with the reason (never a token), at most 20. */
  failing: { subject: string; reason: string }[];
}

/** The mirror, as the app calls it. */
export interface Mirror {
  /** True when `subject` is mirrored (whether or not synced yet). */
  has(subject: string): boolean;
  /**
   * Busy intervals of `subject` in [from, to) from the mirror; undefined when it cannot answer
   * (not mirrored, not synced yet, the range outside the kept window or past the horizon, the last
   * sync older than three reconcile intervals, events it cannot read): then ask Google.
   */
  read(subject: string, from: number, to: number): Promise<MirrorAnswer | undefined>;
  /**
   * True when `channelId` is a user's channel as this replica last read it: no store call, for the
   * route's budgets (notifications for known channels are not crowded out by forged ones). Optional.
   */
  knowsChannel?(channelId: string): boolean;
  /** Handles one POST /v1/push. Never rejects. */
  push(headers: PushHeaders): Promise<PushOutcome>;
  /** Starts the paced start-up (watch, full sync per user), renewals and reconcile; returns at once. */
  start(): void;
  status(): MirrorStatus;
  readonly counters: MirrorCounters;
  /** Stops timers and in-flight work; channels stay (another replica, or the next start, keeps them). */
  close(): Promise<void>;
}
