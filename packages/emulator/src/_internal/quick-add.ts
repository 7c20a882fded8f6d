import { formatDate, formatInZone, fromWallClock, wallClock } from "./time-zones.ts";

const weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/**
 * events.quickAdd's text parsing, a documented subset of Google's:
 * - date: `today`, `tomorrow`, a weekday name (`friday`: the next one, today excluded), or `YYYY-MM-DD`;
 * - time: `at 3pm`, `3:30pm`, `15:00`, `noon`;
 * - length: `for 30 minutes`, `for 2 hours` (default 1 hour);
 * - everything else is the summary. No time makes an all-day event; no date means today.
 * Dates and times are read in the calendar's time zone.
 */
export function parseQuickAdd(text: string, nowMs: number, zone: string): Record<string, unknown> {
  let rest = ` ${text.trim()} `;
  const today = Math.floor(wallClock(nowMs, zone) / 86_400_000) * 86_400_000;
  let day: number | undefined;
  let minutes: number | undefined;
  let length = 60;

  const take = (re: RegExp): RegExpExecArray | null => {
    const m = re.exec(rest);
    if (m !== null) rest = rest.slice(0, m.index) + " " + rest.slice(m.index + m[0].length);
    return m;
  };

  const iso = take(/\s(?:on\s+)?(\d{4})-(\d{2})-(\d{2})(?=\s)/i);
  if (iso !== null) day = Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]));
  if (day === undefined && take(/\stoday(?=\s)/i) !== null) day = today;
  if (day === undefined && take(/\stomorrow(?=\s)/i) !== null) day = today + 86_400_000;
  if (day === undefined) {
    const w = take(new RegExp(`\\s(?:on\\s+|next\\s+)?(${weekdays.join("|")})(?=\\s)`, "i"));
    if (w !== null) {
      const target = weekdays.indexOf((w[1] ?? "").toLowerCase());
      const current = new Date(today).getUTCDay();
      day = today + ((target - current + 7) % 7 || 7) * 86_400_000;
    }
  }
  const len = take(/\sfor\s+(\d+)\s*(minutes?|mins?|hours?|hrs?|h)(?=\s)/i);
  if (len !== null) length = Number(len[1]) * (/^h/i.test(len[2] ?? "") ? 60 : 1);
  if (take(/\s(?:at\s+)?noon(?=\s)/i) !== null) minutes = 12 * 60;
  if (minutes === undefined) {
    const t =
      take(/\s(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)(?=\s)/i) ??
      take(/\s(?:at\s+)?(\d{1,2}):(\d{2})(?=\s)/i);
    if (t !== null) {
      let h = Number(t[1]) % (t[3] === undefined ? 24 : 12);
      if (t[3]?.toLowerCase() === "pm") h += 12;
      minutes = h * 60 + Number(t[2] ?? 0);
    }
  }
  const summary =
    rest
      .replace(/\s+(at|on)\s*$/i, "")
      .replace(/\s+/g, " ")
      .trim() || text.trim();
  const date = day ?? today;
  if (minutes === undefined) {
    return {
      summary,
      start: { date: formatDate(date) },
      end: { date: formatDate(date + 86_400_000) },
    };
  }
  const startMs = fromWallClock(date + minutes * 60_000, zone);
  const endMs = startMs + length * 60_000;
  return {
    summary,
    start: { dateTime: formatInZone(startMs, zone), timeZone: zone },
    end: { dateTime: formatInZone(endMs, zone), timeZone: zone },
  };
}
