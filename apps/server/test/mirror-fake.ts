import type {
  Mirror,
  MirrorAnswer,
  MirrorCounters,
  MirrorStatus,
  PushHeaders,
  PushOutcome,
} from "../src/mirror/types.ts";
import { zeroCounters } from "../src/mirror/types.ts";

/**
 * A small in-test mirror: it answers from busy intervals the test sets, takes pushes by the rules the
 * engine follows (its own channels only, with their token; `sync` ignored; message numbers that do
 * not increase dropped), counts as the engine does, and records every call.
 */
export class FakeMirror implements Mirror {
  /** Per subject: what `read` answers (undefined: not synced yet, so the app asks Google). */
  readonly answers = new Map<string, MirrorAnswer | undefined>();
  /** Per channel ID: its token and the last message number taken. */
  readonly channels = new Map<string, { token: string; subject: string; last: number }>();
  readonly reads: { subject: string; from: number; to: number }[] = [];
  readonly pushes: PushHeaders[] = [];
  /** Subjects synced because of a push. */
  readonly synced: string[] = [];
  readonly counters: MirrorCounters = zeroCounters();
  state: MirrorStatus;
  started = 0;
  closed = 0;
  /** Makes `read` reject (a failing store). */
  failReads = false;

  constructor(subjects: string[]) {
    for (const s of subjects) this.answers.set(s, undefined);
    this.state = {
      state: "warming",
      users: subjects.length,
      synced: 0,
      channelsLive: 0,
      channelsExpiring: 0,
      lagsMs: [],
      failing: [],
    };
  }

  has(subject: string): boolean {
    return this.answers.has(subject);
  }

  async read(subject: string, from: number, to: number): Promise<MirrorAnswer | undefined> {
    this.reads.push({ subject, from, to });
    await Promise.resolve();
    if (this.failReads) throw new Error("the store is unreachable");
    const a = this.answers.get(subject);
    if (a === undefined) return undefined;
    return {
      asOf: a.asOf,
      busy: a.busy
        .filter(([s, e]) => e > from && s < to)
        .map(([s, e]) => [Math.max(s, from), Math.min(e, to)]),
    };
  }

  async push(headers: PushHeaders): Promise<PushOutcome> {
    this.pushes.push(headers);
    await Promise.resolve();
    const channel = this.channels.get(headers.channelId ?? "");
    if (channel === undefined || channel.token !== headers.channelToken) {
      this.counters.notificationsRefused++;
      return "refused";
    }
    if (headers.resourceState === "sync") return "sync";
    const n = Number(headers.messageNumber ?? "0");
    if (n <= channel.last) {
      this.counters.notificationsDuplicate++;
      return "duplicate";
    }
    channel.last = n;
    this.counters.notificationsAccepted++;
    this.counters.syncs++;
    this.synced.push(channel.subject);
    return "accepted";
  }

  start(): void {
    this.started++;
  }

  status(): MirrorStatus {
    return { ...this.state, lagsMs: [...this.state.lagsMs], failing: [...this.state.failing] };
  }

  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}
