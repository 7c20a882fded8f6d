/**
 * The booking question: given each subject's busy intervals, the slots of a given length inside working
 * hours (in a time zone) when all, or at least N, subjects are free.
 *
 * @module
 */

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
}

/** One slot. */
export interface Slot {
  start: string;
  end: string;
  /** The subjects free for the whole slot. */
  available: string[];
}

const weekdays: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

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
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the slots. Candidates start every `stepMinutes` from `timeMin` (aligned to the step); a slot
 * counts when its start and end fall on the same working day, inside working hours, in `timeZone`.
 *
 * @param q the query
 * @returns the slots, earliest first, at most `maxSlots`
 */
export function findSlots(q: SlotQuery): Slot[] {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: q.timeZone,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const local = (t: number): { day: string; weekday: number; minutes: number } => {
    const parts: Record<string, string> = {};
    for (const p of format.formatToParts(t)) parts[p.type] = p.value;
    return {
      day: `${parts.year}-${parts.month}-${parts.day}`,
      weekday: weekdays[parts.weekday!] ?? 0,
      minutes: Number(parts.hour) * 60 + Number(parts.minute),
    };
  };
  const step = q.stepMinutes * 60_000;
  const duration = q.durationMinutes * 60_000;
  const workStart = minutesOf(q.workStart);
  const workEnd = minutesOf(q.workEnd);
  const subjects = Object.keys(q.busy);
  const sorted = Object.fromEntries(
    subjects.map((s) => [s, [...q.busy[s]!].sort((a, b) => a.start - b.start)]),
  );
  const slots: Slot[] = [];
  for (
    let start = Math.ceil(q.timeMin / step) * step;
    start + duration <= q.timeMax && slots.length < q.maxSlots;
    start += step
  ) {
    const end = start + duration;
    const a = local(start);
    if (!q.days.includes(a.weekday) || a.minutes < workStart) continue;
    const b = local(end);
    const endMinutes =
      b.day === a.day ? b.minutes : b.minutes === 0 ? 24 * 60 : Number.POSITIVE_INFINITY;
    if (endMinutes > workEnd || endMinutes < a.minutes) continue;
    const available = subjects.filter(
      (s) => !sorted[s]!.some((i) => i.start < end && i.end > start),
    );
    if (available.length >= q.minAttendees)
      slots.push({
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        available,
      });
  }
  return slots;
}
