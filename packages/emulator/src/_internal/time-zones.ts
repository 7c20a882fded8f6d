/** Wall-clock ↔ instant conversions for IANA zones with `Intl` (DST-aware; no zone data of our own). */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA zone name `Intl` knows. */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `zone` at instant `ms` (`Intl`, whole seconds), as a floating ms value. */
function wallClockExact(ms: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms)))
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  return Date.UTC(
    parts["year"] ?? 1970,
    (parts["month"] ?? 1) - 1,
    parts["day"] ?? 1,
    parts["hour"] ?? 0,
    parts["minute"] ?? 0,
    parts["second"] ?? 0,
  );
}

const BUCKET_MS = 3_600_000;
const MAX_BUCKETS = 100_000;
// Per zone: hour bucket → the zone's offset through that whole hour, or NaN when it changes inside it.
const offsets = new Map<string, Map<number, number>>();

/**
 * Offset of `zone` from UTC at instant `ms`, in ms (whole seconds). `Intl` is slow (microseconds a
 * call) and a list of thousands of events asks it for the same few hours over and over, so the offset
 * is kept per zone and hour when it is the same at both ends of that hour; an hour in which it changes
 * (a DST switch) is always asked of `Intl` exactly.
 */
export function offsetAt(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  let byHour = offsets.get(zone);
  if (byHour === undefined) offsets.set(zone, (byHour = new Map<number, number>()));
  const bucket = Math.floor(whole / BUCKET_MS);
  let offset = byHour.get(bucket);
  if (offset === undefined) {
    const from = bucket * BUCKET_MS;
    const first = wallClockExact(from, zone) - from;
    const last = wallClockExact(from + BUCKET_MS - 1000, zone) - (from + BUCKET_MS - 1000);
    offset = first === last ? first : Number.NaN;
    if (byHour.size >= MAX_BUCKETS) byHour.clear();
    byHour.set(bucket, offset);
  }
  return Number.isNaN(offset) ? wallClockExact(whole, zone) - whole : offset;
}

/** The wall clock in `zone` at instant `ms` (to the second), as a UTC-based "floating" ms value. */
export function wallClock(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return whole + offsetAt(whole, zone);
}

/**
 * The instant at which the wall clock in `zone` shows `floating` (a UTC-based wall-clock value).
 * RFC 5545 §3.3.5 settles the two times a clock change makes ambiguous: a wall time the zone shows
 * twice (clocks going back) is the first of the two instants, and one it skips (clocks going forward)
 * is read with the offset in force before the gap (02:30 on a spring-forward night is 03:30 new time).
 */
export function fromWallClock(floating: number, zone: string): number {
  // Offsets a day either side: no zone changes its offset twice within two days.
  const before = offsetAt(floating - DAY_MS, zone);
  const after = offsetAt(floating + DAY_MS, zone);
  let best: number | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = floating - offset;
    if (offsetAt(instant, zone) === offset && (best === undefined || instant < best))
      best = instant;
  }
  return best ?? floating - before;
}

const DAY_MS = 86_400_000;

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, "0");

/** RFC 3339 with the zone's offset, e.g. `2026-04-01T10:00:00+02:00` (`Z` for UTC). */
export function formatInZone(ms: number, zone: string): string {
  const offset = Math.round(offsetAt(ms, zone) / 60000);
  const wall = new Date(wallClock(ms, zone));
  const date = `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const time = `${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}`;
  const sign = offset < 0 ? "-" : "+";
  return `${date}T${time}${offset === 0 ? "Z" : `${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`}`;
}

/** RFC 3339 in UTC with milliseconds, like Google's `updated`/`created`. */
export function formatUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** A `YYYY-MM-DD` date as a UTC-based floating value, or undefined. */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().startsWith(text) ? ms : undefined;
}

/** `YYYY-MM-DD` of a floating value. */
export function formatDate(floating: number): string {
  return new Date(floating).toISOString().slice(0, 10);
}

/**
 * Parses an RFC 3339 date-time. With an offset (or `Z`) it names an instant; without one it is a wall
 * clock in `zone` (undefined when there is no zone to read it in).
 */
export function parseDateTime(text: string, zone?: string): number | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/.exec(
      text,
    );
  if (m === null) return undefined;
  const floating = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
    Math.round(Number(m[7] ?? 0) * 1000),
  );
  if (Number.isNaN(floating)) return undefined;
  const off = m[8];
  if (off === undefined) return zone === undefined ? undefined : fromWallClock(floating, zone);
  if (off === "Z" || off === "z") return floating;
  const o = /^([+-])(\d{2}):?(\d{2})$/.exec(off);
  if (o === null) return undefined;
  const minutes = Number(o[2]) * 60 + Number(o[3]);
  return floating - (o[1] === "-" ? -1 : 1) * minutes * 60000;
}
