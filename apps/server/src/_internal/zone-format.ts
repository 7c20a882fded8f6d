/**
 * A time zone's wall clock: its formatter, made once per name (building an `Intl.DateTimeFormat`
 * costs more than an availability answer's whole slot search, and every answer needs one, and one to
 * check the name), and its offset at an instant, remembered (a lookup formats the instant into parts;
 * an answer needs about two a day, and the same days are asked again and again). Bounded memos: names
 * differing only in case are distinct keys.
 *
 * @module
 */

const formats = new Map<string, Intl.DateTimeFormat>();

/** How many names are remembered before the memo starts over (the IANA database has about 600). */
const maxNames = 1000;

/**
 * A formatter of `timeZone`'s wall-clock time (year … second, 24-hour, `en-US` digits), or undefined
 * when the runtime does not know the zone.
 *
 * @param timeZone an IANA name
 * @returns the formatter, or undefined
 * @example
 * ```ts
 * zoneFormat("Europe/Berlin")?.formatToParts(0); // 1970-01-01 01:00:00 in parts
 * zoneFormat("Mars/Olympus"); // undefined
 * ```
 */
export function zoneFormat(timeZone: string): Intl.DateTimeFormat | undefined {
  let format = formats.get(timeZone);
  if (format !== undefined) return format;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
  } catch {
    return undefined; // unknown names are not remembered: they cannot fill the memo
  }
  if (formats.size >= maxNames) formats.clear();
  formats.set(timeZone, format);
  return format;
}

/** Per zone name: instant → offset, as looked up. */
const offsets = new Map<string, Map<number, number>>();

/** How many instants a zone's memo keeps before it starts over (a few answers' worth of days). */
const maxInstants = 4096;

/**
 * The zone's offset at `t`: its wall-clock time at `t` (read as UTC, whole seconds) minus `t` cut to
 * the whole second.
 *
 * @param timeZone an IANA name
 * @param t the instant, ms since the epoch
 * @returns the offset in ms (3,600,000 for Berlin in winter)
 * @throws RangeError when the runtime does not know the zone
 * @example
 * ```ts
 * zoneOffset("Europe/Berlin", Date.UTC(2026, 11, 7)); // 3_600_000
 * ```
 */
export function zoneOffset(timeZone: string, t: number): number {
  let known = offsets.get(timeZone);
  const found = known?.get(t);
  if (found !== undefined) return found;
  const format = zoneFormat(timeZone);
  if (format === undefined) throw new RangeError(`Invalid time zone specified: ${timeZone}`);
  const p: Record<string, number> = {};
  for (const part of format.formatToParts(t)) p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second);
  const offset = wall - Math.floor(t / 1000) * 1000;
  if (known === undefined) {
    if (offsets.size >= maxNames) offsets.clear();
    known = new Map();
    offsets.set(timeZone, known);
  } else if (known.size >= maxInstants) known.clear();
  known.set(t, offset);
  return offset;
}
