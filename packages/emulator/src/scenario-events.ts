import { EmulatorError } from "./emulator-error.ts";

/** A start or end: `"2026-04-01"` (all day), an RFC 3339 date-time, or Google's `{ date | dateTime, timeZone? }`. */
export type ScenarioEventTime =
  | string
  | { date?: string | undefined; dateTime?: string | undefined; timeZone?: string | undefined };

/** An event seeded into a calendar when the emulator starts (and again on reset). */
export interface ScenarioEvent {
  /** The calendar: its ID, or a user's email for that user's primary calendar. */
  calendar: string;
  /** Title. */
  summary: string;
  /** Start: `"2026-04-01"` for all day, or `"2026-04-01T10:00:00+02:00"`, or an EventDateTime object. */
  start: ScenarioEventTime;
  /** End, same forms as `start` (exclusive). */
  end: ScenarioEventTime;
  /** RRULE/EXDATE/RDATE lines, e.g. `["RRULE:FREQ=WEEKLY;BYDAY=MO"]`. */
  recurrence?: string[] | undefined;
  /** Attendee emails. */
  attendees?: string[] | undefined;
  /** A base32hex event ID (`a`–`v`, `0`–`9`, 5–1024 characters); generated when absent. */
  id?: string | undefined;
  /** Description. */
  description?: string | undefined;
  /** Location. */
  location?: string | undefined;
}

/** Generated users and events for load work: `{ count: 200, eventsEach: 20 }`. */
export interface ScenarioGeneratedUsers {
  /** How many users: `user0001@<domain>` … */
  count: number;
  /** Events per user's primary calendar, one a day from `startDate` (default 0). */
  eventsEach?: number | undefined;
  /** First day of generated events, `YYYY-MM-DD` (default `2026-01-05`). */
  startDate?: string | undefined;
}

function fail(
  path: string,
  message: string,
  hint = "Fix the scenario file; see the scenario format in the @dwd/emulator README",
): never {
  throw new EmulatorError("invalid_scenario", `Invalid scenario at "${path}": ${message}`, {
    path,
    hint,
  });
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `"${value}"`;
  return Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;
}

function text(value: unknown, path: string): string {
  if (typeof value !== "string" || value.trim() === "")
    fail(path, `expected a non-empty string, got ${describe(value)}`);
  return value.trim();
}

const dateRe = /^\d{4}-\d{2}-\d{2}$/;
const dateTimeRe = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

function time(value: unknown, path: string): ScenarioEventTime {
  if (typeof value === "string") {
    const v = value.trim();
    if (!dateRe.test(v) && !dateTimeRe.test(v))
      fail(
        path,
        `"${v}" is neither a date (2026-04-01) nor an RFC 3339 date-time (2026-04-01T10:00:00+02:00)`,
      );
    return v;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(path, `expected a date, a date-time or {dateTime, timeZone}, got ${describe(value)}`);
  const o = value as Record<string, unknown>;
  const out: {
    date?: string | undefined;
    dateTime?: string | undefined;
    timeZone?: string | undefined;
  } = {};
  if (o["date"] !== undefined) {
    const d = text(o["date"], `${path}.date`);
    if (!dateRe.test(d)) fail(`${path}.date`, `"${d}" is not a date like 2026-04-01`);
    out.date = d;
  } else {
    const dt = text(o["dateTime"], `${path}.dateTime`);
    if (!dateTimeRe.test(dt)) fail(`${path}.dateTime`, `"${dt}" is not an RFC 3339 date-time`);
    out.dateTime = dt;
  }
  if (o["timeZone"] !== undefined) out.timeZone = text(o["timeZone"], `${path}.timeZone`);
  if (
    out.dateTime !== undefined &&
    !/(Z|[+-]\d{2}:\d{2})$/.test(out.dateTime) &&
    out.timeZone === undefined
  ) {
    fail(
      `${path}.dateTime`,
      `"${out.dateTime}" has no offset and no timeZone`,
      "Add an offset like +02:00, or a timeZone",
    );
  }
  return out;
}

/**
 * Validates the `events` of a scenario. `calendars` holds every known calendar ID (users' emails
 * included); returns normalized copies (strings trimmed, emails lower-cased).
 */
export function loadScenarioEvents(
  value: unknown,
  calendars: ReadonlySet<string>,
): ScenarioEvent[] {
  if (!Array.isArray(value)) fail("events", `expected an array, got ${describe(value)}`);
  const ids = new Set<string>();
  return value.map((raw, i) => {
    const path = `events[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      fail(path, `expected an object, got ${describe(raw)}`);
    const e = raw as Record<string, unknown>;
    let calendar = text(e["calendar"], `${path}.calendar`);
    if (calendars.has(calendar.toLowerCase()) && !calendars.has(calendar))
      calendar = calendar.toLowerCase();
    if (!calendars.has(calendar))
      fail(
        `${path}.calendar`,
        `no calendar "${calendar}" in the scenario`,
        'Use a user\'s email (their primary calendar) or the ID of a calendar listed in "calendars"',
      );
    const event: ScenarioEvent = {
      calendar,
      summary: text(e["summary"], `${path}.summary`),
      start: time(e["start"], `${path}.start`),
      end: time(e["end"], `${path}.end`),
    };
    if (e["recurrence"] !== undefined) {
      if (!Array.isArray(e["recurrence"]))
        fail(
          `${path}.recurrence`,
          `expected an array of RRULE lines, got ${describe(e["recurrence"])}`,
        );
      event.recurrence = e["recurrence"].map((r, j) => {
        const line = text(r, `${path}.recurrence[${j}]`);
        if (!/^(RRULE|EXRULE|RDATE|EXDATE)[:;]/i.test(line))
          fail(
            `${path}.recurrence[${j}]`,
            `"${line}" is not an RRULE, EXRULE, RDATE or EXDATE line`,
          );
        return line;
      });
    }
    if (e["attendees"] !== undefined) {
      if (!Array.isArray(e["attendees"]))
        fail(`${path}.attendees`, `expected an array of emails, got ${describe(e["attendees"])}`);
      event.attendees = e["attendees"].map((a, j) => {
        const email = text(a, `${path}.attendees[${j}]`).toLowerCase();
        if (!/^[^@\s]+@[^@\s]+$/.test(email))
          fail(`${path}.attendees[${j}]`, `"${email}" is not an email address`);
        return email;
      });
    }
    if (e["id"] !== undefined) {
      const id = text(e["id"], `${path}.id`);
      if (!/^[a-v0-9]{5,1024}$/.test(id))
        fail(
          `${path}.id`,
          `"${id}" is not a base32hex event ID`,
          "Use 5 to 1024 characters from a-v and 0-9",
        );
      if (ids.has(`${calendar}/${id}`))
        fail(`${path}.id`, `event "${id}" is listed twice in "${calendar}"`);
      ids.add(`${calendar}/${id}`);
      event.id = id;
    }
    for (const k of ["description", "location"] as const)
      if (e[k] !== undefined) event[k] = text(e[k], `${path}.${k}`);
    return event;
  });
}

/**
 * Expands `users: { count, eventsEach }` into users `user0001@<domain>`… and their events: one a
 * day from `startDate`, at a time that varies by user and day, 30 or 60 minutes, every seventh a
 * weekly recurring one. Deterministic: the same input gives the same IDs and times.
 */
export function generateUsers(
  value: unknown,
  domain: string,
): { users: { email: string; name: string }[]; events: ScenarioEvent[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail("users", `expected an array or {count, eventsEach}, got ${describe(value)}`);
  const g = value as Record<string, unknown>;
  const count = g["count"];
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 100_000)
    fail("users.count", `expected a whole number from 1 to 100000, got ${describe(count)}`);
  const eventsEach = g["eventsEach"] ?? 0;
  if (
    typeof eventsEach !== "number" ||
    !Number.isInteger(eventsEach) ||
    eventsEach < 0 ||
    eventsEach > 10_000
  )
    fail(
      "users.eventsEach",
      `expected a whole number from 0 to 10000, got ${describe(eventsEach)}`,
    );
  const startDate =
    g["startDate"] === undefined ? "2026-01-05" : text(g["startDate"], "users.startDate");
  const first = Date.parse(`${startDate}T00:00:00Z`);
  if (!dateRe.test(startDate) || Number.isNaN(first))
    fail("users.startDate", `"${startDate}" is not a date like 2026-01-05`);
  const width = Math.max(4, String(count).length);
  const users: { email: string; name: string }[] = [];
  const events: ScenarioEvent[] = [];
  for (let u = 1; u <= count; u++) {
    const email = `user${String(u).padStart(width, "0")}@${domain}`;
    users.push({ email, name: `User ${u}` });
    for (let j = 0; j < eventsEach; j++) {
      const start = first + j * 86_400_000 + (8 + ((u + j) % 9)) * 3_600_000;
      const end = start + ((u + j) % 2 === 0 ? 30 : 60) * 60_000;
      const event: ScenarioEvent = {
        calendar: email,
        id: `gen${u.toString(32)}0${j.toString(32)}`.padEnd(5, "0"),
        summary: `Meeting ${j + 1} of user ${u}`,
        start: new Date(start).toISOString().replace(".000Z", "Z"),
        end: new Date(end).toISOString().replace(".000Z", "Z"),
      };
      if (j % 7 === 6) event.recurrence = ["RRULE:FREQ=WEEKLY;COUNT=4"];
      events.push(event);
    }
  }
  return { users, events };
}
