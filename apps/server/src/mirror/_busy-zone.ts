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

// Dates and date-times are read by hand: a calendar holds hundreds, each read on every change, and
// character codes are several times faster than a regular expression plus Date.UTC.

/** The number written by `n` digits at `i`, or -1 when one of them is no digit. */
function digits(text: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = text.charCodeAt(i + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1–12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `YYYY-MM-DD` at the start of `text` as days since the epoch, or NaN. */
function dayNumber(text: string): number {
  const y = digits(text, 0, 4);
  const m = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return Number.NaN;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return Number.NaN;
  return daysFromCivil(y, m, d);
}

/**
 * A `YYYY-MM-DD` date as the floating value of its midnight.
 *
 * @param text the date
 * @returns the floating value, or NaN when it is no date
 */
export function floatingDate(text: string): number {
  return text.length === 10 ? dayNumber(text) * DAY_MS : Number.NaN;
}

/**
 * An RFC 3339 date-time as an instant: with an offset it names one; without one it is a wall clock
 * in `zone`.
 *
 * @param text the date-time (`2026-04-01T10:00:00+02:00`, `…Z`, `…T10:00`, fractions allowed)
 * @param zone the zone of a date-time written without an offset
 * @returns the instant in ms, or NaN when it does not parse
 */
export function instantOf(text: string, zone: string): number {
  const day = text.length >= 16 ? dayNumber(text) : Number.NaN;
  const sep = text.charCodeAt(10);
  if (Number.isNaN(day) || (sep !== 84 && sep !== 116 && sep !== 32)) return Number.NaN;
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || text.charCodeAt(13) !== 58)
    return Number.NaN;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (text.charCodeAt(i) === 58) {
    second = digits(text, i + 1, 2);
    if (second < 0 || second > 59) return Number.NaN;
    i += 3;
    if (text.charCodeAt(i) === 46) {
      let scale = 100;
      i++;
      const start = i;
      for (let c = text.charCodeAt(i) - 48; c >= 0 && c <= 9; c = text.charCodeAt(++i) - 48) {
        ms += c * scale;
        scale /= 10;
      }
      if (i === start) return Number.NaN;
      ms = Math.round(ms);
    }
  }
  const floating = day * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
  if (i === text.length) return fromWallClock(floating, zone);
  const c = text.charCodeAt(i);
  if ((c === 90 || c === 122) && i + 1 === text.length) return floating;
  if (c !== 43 && c !== 45) return Number.NaN;
  const oh = digits(text, i + 1, 2);
  const colon = text.charCodeAt(i + 3) === 58 ? 1 : 0;
  const om = digits(text, i + 3 + colon, 2);
  if (oh < 0 || om < 0 || om > 59 || i + 5 + colon !== text.length) return Number.NaN;
  return floating - (c === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
}
