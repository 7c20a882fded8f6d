/**
 * Wall clock ↔ instant in IANA zones, with `Intl` only. A "floating" value is a wall-clock reading
 * written as if it were UTC (`Date.UTC(y, m, d, h, min, s)`), which is what the recurrence rules run on.
 *
 * @module
 */

const DAY_MS = 86_400_000;
// Offsets are kept per zone and 6-hour block when they are the same at both ends of the block; a
// block in which the zone changes its offset (a DST switch) is asked of `Intl` at each call.
const BLOCK_MS = 6 * 3_600_000;
const MAX_BLOCKS = 200_000;

const formatters = new Map<string, Intl.DateTimeFormat | null>();
const blocks = new Map<string, Map<number, number>>();

function formatterOf(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
        era: "short",
      });
    } catch {
      f = null;
    }
    formatters.set(zone, f);
  }
  return f;
}

/**
 * True when `Intl` knows `zone`.
 *
 * @param zone an IANA zone name
 * @returns whether it can be used
 */
export function knownZone(zone: string): boolean {
  return formatterOf(zone) !== null;
}

/** The zone's offset at `ms`, asked of `Intl` (whole seconds); 0 for a zone `Intl` does not know. */
function exactOffset(ms: number, zone: string): number {
  const f = formatterOf(zone);
  if (f === null) return 0;
  const whole = Math.floor(ms / 1000) * 1000;
  let year = 1970;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const p of f.formatToParts(whole)) {
    if (p.type === "year") year = Number(p.value);
    else if (p.type === "month") month = Number(p.value);
    else if (p.type === "day") day = Number(p.value);
    else if (p.type === "hour") hour = Number(p.value);
    else if (p.type === "minute") minute = Number(p.value);
    else if (p.type === "second") second = Number(p.value);
    else if (p.type === "era") bc = p.value.startsWith("B");
  }
  const wall = new Date(0);
  wall.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  return wall.getTime() - whole;
}

/**
 * The offset of `zone` from UTC at instant `ms`, in ms.
 *
 * @param ms an instant
 * @param zone an IANA zone
 * @returns wall clock minus UTC
 */
export function offsetAt(ms: number, zone: string): number {
  if (zone === "UTC" || zone === "Etc/UTC") return 0;
  let byBlock = blocks.get(zone);
  if (byBlock === undefined) blocks.set(zone, (byBlock = new Map<number, number>()));
  const block = Math.floor(ms / BLOCK_MS);
  let offset = byBlock.get(block);
  if (offset === undefined) {
    const first = exactOffset(block * BLOCK_MS, zone);
    const last = exactOffset((block + 1) * BLOCK_MS - 1000, zone);
    offset = first === last ? first : Number.NaN;
    if (byBlock.size >= MAX_BLOCKS) byBlock.clear();
    byBlock.set(block, offset);
  }
  return Number.isNaN(offset) ? exactOffset(ms, zone) : offset;
}

/**
 * The wall clock of `zone` at instant `ms`, as a floating value.
 *
 * @param ms an instant
 * @param zone an IANA zone
 * @returns the floating wall-clock value
 */
export function wallClock(ms: number, zone: string): number {
  return ms + offsetAt(ms, zone);
}

/**
 * The instant at which `zone`'s wall clock reads `floating`, as RFC 5545 (§3.3.5) reads a local time:
 * a time that occurs twice (the hour repeated when clocks go back) means the first of the two; a time
 * that does not occur (skipped when clocks go forward) is read with the offset before the gap.
 *
 * @param floating a wall-clock reading as a floating value
 * @param zone an IANA zone
 * @returns the instant in ms
 */
export function fromWallClock(floating: number, zone: string): number {
  if (zone === "UTC" || zone === "Etc/UTC") return floating;
  const before = offsetAt(floating - DAY_MS, zone);
  const after = offsetAt(floating + DAY_MS, zone);
  const early = floating - before;
  if (before === after) return early;
  const late = floating - after;
  const earlyValid = offsetAt(early, zone) === before;
  const lateValid = offsetAt(late, zone) === after;
  if (earlyValid && lateValid) return Math.min(early, late);
  if (lateValid) return late;
  return early;
}

const dateRe = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimeRe =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/**
 * A `YYYY-MM-DD` date as the floating value of its midnight.
 *
 * @param text the date
 * @returns the floating value, or NaN when it is no date
 */
export function floatingDate(text: string): number {
  const m = dateRe.exec(text);
  if (m === null) return Number.NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const check = new Date(ms);
  return check.getUTCMonth() === mo - 1 && check.getUTCDate() === d ? ms : Number.NaN;
}

/**
 * An RFC 3339 date-time as an instant: with an offset it names one; without one it is a wall clock
 * in `zone`.
 *
 * @param text the date-time
 * @param zone the zone of a date-time written without an offset
 * @returns the instant in ms, or NaN when it does not parse
 */
export function instantOf(text: string, zone: string): number {
  const m = dateTimeRe.exec(text);
  if (m === null) return Number.NaN;
  const floating = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
    Math.round(Number(m[7] ?? 0) * 1000),
  );
  const off = m[8];
  if (off === undefined) return fromWallClock(floating, zone);
  if (off === "Z" || off === "z") return floating;
  const sign = off.startsWith("-") ? -1 : 1;
  const digits = off.slice(1).replace(":", "");
  return floating - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}
