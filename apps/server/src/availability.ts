/**
 * The booking question: given each subject's busy intervals, the slots of a given length inside working
 * hours (in a time zone) when all, or at least N, subjects are free.
 *
 * @module
 */

import { isoWriter } from "./_internal/iso-writer.ts";
import { zoneFormat, zoneOffset } from "./_internal/zone-format.ts";

/** A busy or free interval, in ms since the epoch. */
export interface Interval {
  start: number;
  end: number;
}

/** What {@link findSlots} needs. */
export interface SlotQuery {
  /** Subject → busy intervals. */
  busy: Record<string, Interval[]>;
  timeMin: number;
  timeMax: number;
  durationMinutes: number;
  stepMinutes: number;
  timeZone: string;
  /** `HH:MM`. */
  workStart: string;
  /** `HH:MM`; `24:00` is midnight at the end of the day. */
  workEnd: string;
  /** ISO weekdays (1 = Monday). */
  days: readonly number[];
  /** How many subjects must be free. */
  minAttendees: number;
  maxSlots: number;
  /**
   * Counts the work done (tests): candidate starts looked at, edges of busy intervals passed,
   * time-zone lookups. Linear in the busy intervals and the slots found, plus a few lookups a day.
   */
  work?: { candidates: number; intervalSteps: number; zoneLookups: number };
}

/** One slot. */
export interface Slot {
  start: string;
  end: string;
  /**
   * The subjects free for the whole slot. Consecutive slots with the same free subjects share one
   * array (read it, do not change it).
   */
  available: string[];
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

/**
 * Whether a time zone name is one the runtime knows.
 *
 * @param timeZone an IANA name
 * @returns true when known
 */
export function isTimeZone(timeZone: string): boolean {
  return zoneFormat(timeZone) !== undefined;
}

/** Sorted, disjoint intervals: overlapping and touching ones merged. */
function merged(intervals: readonly Interval[]): readonly Interval[] {
  // Already so (the mirror's spans are): as they are.
  let end = Number.NEGATIVE_INFINITY;
  for (const i of intervals) {
    if (!(i.end > i.start && i.start > end)) return sortedMerged(intervals);
    end = i.end;
  }
  return intervals;
}

function sortedMerged(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out.at(-1);
    if (last !== undefined && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** Whether two lists hold the same strings in the same order. */
function sameList(a: readonly string[], b: readonly string[] | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const dayMs = 86_400_000;

/** Candidates tried between two turns of the event loop (a long answer gives other requests their turn). */
export const yieldEvery = 1024;

const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Finds the slots. Candidates start every `stepMinutes` (aligned to the step); a slot counts when it
 * lies inside the working hours of one working day in `timeZone`.
 *
 * The search is linear in the busy intervals, not in the candidates: each subject's intervals are
 * merged, and each becomes the range of starts it blocks (a slot starting there would overlap it).
 * One sweep over those ranges' edges keeps how many subjects are blocked; where too many are, the
 * search jumps to the next edge instead of trying each candidate in between. Each day's working hours
 * are turned into UTC once (about two time-zone lookups a day, none per candidate). Slots in a row
 * with the same free subjects share one `available` array.
 *
 * @param q the query
 * @returns the slots, earliest first, at most `maxSlots`
 */
export async function findSlots(q: SlotQuery): Promise<Slot[]> {
  const work = q.work;
  /** The zone's offset at `t`: local wall-clock time (read as UTC) minus `t` (remembered per zone). */
  const offsetAt = (t: number): number => {
    if (work) work.zoneLookups++;
    return zoneOffset(q.timeZone, t);
  };
  // The offset last seen: it holds from one day to the next except across a DST change, so an
  // instant costs one lookup (two or three on the day the offset changes).
  let offset = offsetAt(q.timeMin);
  /** The instant of local wall-clock time `wall` (ms, read as UTC). */
  const instantOf = (wall: number): number => {
    const t = wall - offset;
    const o = offsetAt(t);
    if (o === offset) return t;
    offset = o;
    const o2 = offsetAt(wall - o);
    return wall - o2;
  };
  const step = q.stepMinutes * 60_000;
  const duration = q.durationMinutes * 60_000;
  const workStart = minutesOf(q.workStart) * 60_000;
  const workEnd = minutesOf(q.workEnd) * 60_000;
  const days = new Set(q.days);
  const subjects = Object.keys(q.busy);
  // A busy [a, b) blocks the starts s with s < b and s + duration > a: the ms in [a - duration + 1, b).
  // Candidate starts are multiples of the step, so an edge takes effect at the first multiple at or
  // after it: its grid index, clamped to the range searched (edges before it all take effect at the
  // first candidate, edges after it at none). Sorting by grid index, one number per edge (index × n +
  // edge, in a typed array), orders the edges as the candidates meet them, without a comparator.
  const below = Math.floor(q.timeMin / step) - 1; // a grid index before every candidate
  const above = Math.ceil(q.timeMax / step) + 1; // one after every candidate
  const subjectOf: number[] = [];
  const deltaOf: (1 | -1)[] = [];
  const at: number[] = [];
  subjects.forEach((s, k) => {
    for (const i of merged(q.busy[s]!)) {
      at.push(i.start - duration + 1, i.end);
      subjectOf.push(k, k);
      deltaOf.push(1, -1);
    }
  });
  const n = at.length;
  if (!Number.isSafeInteger((above - below + 1) * n))
    throw new RangeError(`Cannot search ${above - below} steps with ${n} busy edges at once`);
  const order = new Float64Array(n);
  for (let e = 0; e < n; e++) {
    const grid = Math.min(above, Math.max(below, Math.ceil(at[e]! / step)));
    order[e] = (grid - below) * n + e;
  }
  order.sort();
  // The edges in that order, as three columns.
  const edgeAt = new Float64Array(n);
  const edgeSubject = new Int32Array(n);
  const edgeDelta = new Int8Array(n);
  for (let j = 0; j < n; j++) {
    const key = order[j]!;
    const e = key % n;
    edgeAt[j] = ((key - e) / n + below) * step;
    edgeSubject[j] = subjectOf[e]!;
    edgeDelta[j] = deltaOf[e]!;
  }
  const blockedBy = new Array<number>(subjects.length).fill(0);
  let blocked = 0; // subjects with blockedBy > 0
  let next = 0; // the first edge not yet applied
  const slots: Slot[] = [];
  const iso = isoWriter();
  let tried = 0;
  /** The last slot's free subjects: the next slot's too when they are the same. */
  let available: string[] | undefined;
  /** Whether an edge was passed since `available` was worked out (only an edge changes who is free). */
  let changed = true;
  // Local calendar days from the one holding timeMin to the one holding timeMax.
  const firstDay = Math.floor((q.timeMin + offset) / dayMs) * dayMs;
  const lastDay = Math.floor((q.timeMax + offsetAt(q.timeMax)) / dayMs) * dayMs;
  for (let day = firstDay; day <= lastDay && slots.length < q.maxSlots; day += dayMs) {
    const weekday = ((new Date(day).getUTCDay() + 6) % 7) + 1; // ISO: Monday 1 … Sunday 7
    if (!days.has(weekday)) continue;
    const opens = Math.max(q.timeMin, instantOf(day + workStart));
    const closes = Math.min(q.timeMax, instantOf(day + workEnd));
    let start = Math.ceil(opens / step) * step;
    while (start + duration <= closes && slots.length < q.maxSlots) {
      if (work) work.candidates++;
      if (++tried % yieldEvery === 0) await nextTurn();
      while (next < n && edgeAt[next]! <= start) {
        const subject = edgeSubject[next]!;
        const delta = edgeDelta[next++]!;
        if (work) work.intervalSteps++;
        const before = blockedBy[subject]!;
        blockedBy[subject] = before + delta;
        if (before === 0) blocked++;
        else if (before + delta === 0) blocked--;
        changed = true;
      }
      if (subjects.length - blocked >= q.minAttendees) {
        if (changed) {
          const free = subjects.filter((_, k) => blockedBy[k] === 0);
          if (!sameList(free, available)) available = free;
          changed = false;
        }
        slots.push({ start: iso(start), end: iso(start + duration), available: available! });
        start += step;
      } else {
        // Nothing changes before the next edge: the candidates until then are skipped unseen.
        const until = next < n ? edgeAt[next]! : Number.POSITIVE_INFINITY;
        start = Math.max(start + step, until);
      }
    }
  }
  return slots;
}
