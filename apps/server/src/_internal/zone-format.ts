/**
 * The wall-clock formatter of a time zone, made once per name: building an `Intl.DateTimeFormat` costs
 * more than an availability answer's whole slot search, and every answer needs one (and, before that,
 * one to check the name). A bounded memo: names differing only in case are distinct keys.
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
