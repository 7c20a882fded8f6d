// The mirror's busy time against Google's own count: random calendars are written through the Calendar
// API of an in-process emulator (one-off, all-day, multi-day and recurring events, moved and cancelled
// instances, transparent and tentative ones, invitations from other users, declined ones, deleted
// ones, zones with daylight-saving changes), then events.list (every page, showDeleted) →
// mirrorEventOf → busyOf must equal freebusy.query for random windows, as instants — with every kept
// event, and with only those keepsEvent keeps for a horizon holding the window; then again after
// more changes and an incremental sync (the sync token's items replacing the kept ones by ID).
//
// Nothing is steered around: all-day events on calendars of every zone (midnight to midnight there),
// events starting at any hour (wall times a zone repeats or skips included), UTC UNTILs anywhere (on
// an instance too), instances moved by days into and out of windows, zero-length events, recurring
// events longer than a day, and EXRULEs.
import { createTokenSource, loadKey } from "@dwd/auth";
import { createEmulator } from "@dwd/emulator";
import type { Emulator, Scenario } from "@dwd/emulator";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { busyOf, keepsEvent, mirrorEventOf } from "../src/mirror/busy.ts";
import type { MirrorEvent } from "../src/mirror/types.ts";

const BASE = "http://emulator.test";
const API = `${BASE}/calendar/v3`;
const CAL = "https://www.googleapis.com/auth/calendar";
const SUBJECT = "ana@example.com";
const ORGANIZERS = ["bob@example.com", "cy@example.com"];
const NOW = Date.parse("2026-03-20T12:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Both ends of the year's daylight-saving changes: March–April (US, EU, Sydney) and Oct–Nov.
const ERAS = [Date.parse("2026-03-01T00:00:00Z"), Date.parse("2026-10-01T00:00:00Z")];
const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "America/Los_Angeles",
  "Australia/Sydney",
  "Asia/Kolkata",
];

const scenario: Scenario = {
  domain: "example.com",
  users: [
    { email: SUBJECT, name: "Ana" },
    { email: "bob@example.com", name: "Bob" },
    { email: "cy@example.com", name: "Cy" },
  ],
  serviceAccounts: [{ name: "calendar-bot" }],
  grants: [{ serviceAccount: "calendar-bot", scopes: [CAL] }],
};

let emulator: Emulator;
const tokens = new Map<string, string>();

beforeAll(async () => {
  emulator = await createEmulator({ scenario, baseUrl: BASE, now: () => NOW });
  const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
  const source = createTokenSource(key, {
    fetch: (url, init) => emulator.fetch(new Request(url, init)),
    now: () => NOW,
  });
  for (const user of [SUBJECT, ...ORGANIZERS]) {
    const t = await source.getToken({ subject: user, scopes: [CAL] });
    tokens.set(user, t.accessToken);
  }
}, 60_000);

/** A Calendar call as `user`; the JSON answer (status checked). */
async function api(
  user: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await emulator.fetch(
    new Request(`${API}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tokens.get(user) ?? ""}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  if (res.status >= 300)
    throw new Error(`${method} ${path} as ${user}: ${res.status} ${text.slice(0, 300)}`);
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

const cal = (user: string): string => `/calendars/${encodeURIComponent(user)}`;

/** mulberry32: a small seeded generator, so one integer reproduces a whole calendar. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Draw {
  (): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

function drawer(seed: number): Draw {
  const r = random(seed);
  const d = (() => r()) as Draw;
  d.int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  d.pick = (xs) => xs[Math.floor(r() * xs.length)] as (typeof xs)[number];
  d.chance = (p) => r() < p;
  return d;
}

/** `YYYY-MM-DDTHH:MM:SS` of a floating value. */
const local = (floating: number): string => new Date(floating).toISOString().slice(0, 19);
const dateOf = (floating: number): string => new Date(floating).toISOString().slice(0, 10);
const basic = (floating: number): string => local(floating).replace(/[-:]/g, "");

/**
 * The instant of a wall clock in `zone` (a test-side reading, independent of busy.ts's): of a wall time
 * shown twice, the first (RFC 5545 §3.3.5); one skipped is read with the offset before the gap.
 */
function instantIn(floating: number, zone: string): number {
  const before = offsetOf(floating - DAY, zone);
  const after = offsetOf(floating + DAY, zone);
  const valid = [before, after]
    .map((o) => floating - o)
    .filter((ms) => ms + offsetOf(ms, zone) === floating);
  return valid.length > 0 ? Math.min(...valid) : floating - before;
}
function offsetOf(ms: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(ms);
  const n = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second")) - ms;
}

/** A timed start/end in `zone`, written one of the ways Google accepts. */
function timed(d: Draw, floating: number, zone: string): Record<string, string> {
  if (d.chance(0.6)) return { dateTime: local(floating), timeZone: zone };
  const ms = instantIn(floating, zone);
  return d.chance(0.5)
    ? { dateTime: new Date(ms).toISOString().replace(".000Z", "Z"), timeZone: zone }
    : { dateTime: new Date(ms).toISOString().replace(".000Z", "Z") };
}

interface Written {
  owner: string;
  id: string;
  recurring: boolean;
  allDay: boolean;
  /** Deleted, or the subject no longer on it. */
  gone?: boolean;
  /** An instance of it was moved. */
  moved?: boolean;
}

/** Writes one random calendar for the subject; returns what was written. */
async function writeCalendar(d: Draw, calendarZone: string, era: number): Promise<Written[]> {
  const written: Written[] = [];
  const insert = async (owner: string, body: Record<string, unknown>): Promise<Written> => {
    const made = await api(owner, "POST", `${cal(owner)}/events`, body);
    const w = {
      owner,
      id: String(made["id"]),
      recurring: body["recurrence"] !== undefined,
      allDay: (body["start"] as { date?: string }).date !== undefined,
    };
    written.push(w);
    return w;
  };
  const count = d.int(6, 22);
  for (let i = 0; i < count; i++) {
    const zone = d.pick(ZONES);
    const day = era + d.int(0, 45) * DAY;
    // Starts at any hour, the small hours more often: wall times that a zone repeats or skips.
    const hour = d.chance(0.3) ? d.int(0, 4) : d.int(0, 23);
    const startF = day + hour * HOUR + d.pick([0, 15, 30, 45]) * 60_000;
    const kind = d.int(0, 9);
    const owner = d.chance(0.3) ? d.pick(ORGANIZERS) : SUBJECT;
    const body: Record<string, unknown> = { summary: `e${i}` };
    if (owner !== SUBJECT) body["attendees"] = [{ email: SUBJECT }, { email: owner }];
    if (d.chance(0.12)) body["transparency"] = "transparent";
    else if (d.chance(0.08)) body["transparency"] = "opaque";
    if (d.chance(0.1)) body["status"] = "tentative";
    if (kind <= 2) {
      // A one-off timed event, now and then longer than a day, now and then of no length.
      const length = d.chance(0.15)
        ? d.int(20, 60) * HOUR
        : d.chance(0.08)
          ? 0
          : d.int(1, 20) * 15 * 60_000;
      body["start"] = timed(d, startF, zone);
      body["end"] = timed(d, startF + length, zone);
      if (d.chance(0.1)) {
        body["eventType"] = d.pick(["outOfOffice", "workingLocation", "focusTime"]);
        body["transparency"] = body["eventType"] === "workingLocation" ? "transparent" : "opaque";
      }
    } else if (kind <= 4) {
      const days = d.int(1, 3);
      body["start"] = { date: dateOf(day) };
      body["end"] = { date: dateOf(day + days * DAY) };
    } else {
      // A series: timed or all-day.
      const allDay = d.chance(0.25);
      const weekly = d.chance(0.5);
      const weekday = new Date(day).getUTCDay();
      const names = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
      let rule = `RRULE:FREQ=${weekly ? "WEEKLY" : "DAILY"}`;
      if (d.chance(0.3)) rule += `;INTERVAL=${d.int(2, 3)}`;
      if (weekly && d.chance(0.6)) {
        const days = new Set([names[weekday] ?? "MO"]);
        for (let k = d.int(0, 3); k > 0; k--) days.add(d.pick(names));
        rule += `;BYDAY=${[...days].join(",")}`;
      }
      const timeOfDay = startF - day;
      const end = d.int(0, 2);
      if (end === 0) rule += `;COUNT=${d.int(2, 12)}`;
      else if (end === 1) {
        const untilDay = day + d.int(2, 30) * DAY;
        // A UTC UNTIL at any time of day, now and then exactly on an instance (the last one then).
        rule += allDay
          ? `;UNTIL=${basic(untilDay).slice(0, 8)}`
          : d.chance(0.3)
            ? `;UNTIL=${basic(instantIn(untilDay + timeOfDay, zone))}Z`
            : `;UNTIL=${basic(untilDay + d.int(0, 95) * 15 * 60_000)}Z`;
      }
      const recurrence = [rule];
      if (d.chance(0.4)) {
        const ex = day + d.int(0, 6) * DAY;
        recurrence.push(
          allDay
            ? `EXDATE;VALUE=DATE:${basic(ex).slice(0, 8)}`
            : d.chance(0.5)
              ? `EXDATE;TZID=${zone}:${basic(ex + timeOfDay)}`
              : `EXDATE:${basic(instantIn(ex + timeOfDay, zone))}Z`,
        );
      }
      if (d.chance(0.2)) {
        const extra = day + d.int(1, 20) * DAY;
        recurrence.push(
          allDay
            ? `RDATE;VALUE=DATE:${basic(extra).slice(0, 8)}`
            : `RDATE;TZID=${zone}:${basic(extra + timeOfDay)}`,
        );
      }
      if (d.chance(0.15)) {
        // An EXRULE: it removes DTSTART and RDATEs it generates too (RFC 5545 §3.8.5), and on an
        // endless rule it may remove every date (rrule's RRuleSet never returned then).
        recurrence.push(
          d.chance(0.5)
            ? `EXRULE:FREQ=DAILY;INTERVAL=${d.int(2, 4)}`
            : `EXRULE:FREQ=WEEKLY;BYDAY=${d.pick(["SU", "MO", "TU", "WE", "TH", "FR", "SA"])}`,
        );
      }
      body["recurrence"] = recurrence;
      if (allDay) {
        body["start"] = { date: dateOf(day) };
        body["end"] = { date: dateOf(day + DAY) };
      } else {
        // Now and then of no length, or longer than a day (instances overlapping windows days later).
        const length = d.chance(0.08)
          ? 0
          : d.chance(0.15)
            ? d.int(20, 100) * HOUR
            : d.int(1, 12) * 15 * 60_000;
        body["start"] = { dateTime: local(startF), timeZone: zone };
        body["end"] = { dateTime: local(startF + length), timeZone: zone };
      }
    }
    const w = await insert(owner, body);
    if (w.recurring) await changeInstances(d, w);
    if (owner !== SUBJECT && d.chance(0.35)) {
      // The subject answers on its own copy (a whole series when it is one).
      const answer = d.pick(["declined", "declined", "tentative", "accepted"]);
      await api(SUBJECT, "PATCH", `${cal(SUBJECT)}/events/${w.id}`, {
        attendees: [{ email: SUBJECT, responseStatus: answer }],
      });
    }
    if (owner !== SUBJECT && d.chance(0.1)) {
      // Busy or free is the guest's own to set on its copy.
      await api(SUBJECT, "PATCH", `${cal(SUBJECT)}/events/${w.id}`, {
        transparency: d.pick(["transparent", "opaque"]),
      });
    }
    if (owner === SUBJECT && !w.recurring && d.chance(0.05)) {
      // The organizer declining its own event frees it too.
      await api(SUBJECT, "PATCH", `${cal(SUBJECT)}/events/${w.id}`, {
        attendees: [{ email: SUBJECT, responseStatus: "declined" }],
      });
    }
  }
  await deleteSome(d, written);
  return written;
}

/** Deletions: the subject's own events, invitations cancelled by their organizer, guests removed. */
async function deleteSome(d: Draw, written: Written[]): Promise<void> {
  for (const w of written) {
    // A series with a moved instance is deleted too: its cancelled master still hides the instance.
    if (w.gone === true || !d.chance(0.12)) continue;
    w.gone = true;
    const how = w.owner === SUBJECT ? 0 : d.int(0, 2);
    if (how === 1) {
      await api(w.owner, "PATCH", `${cal(w.owner)}/events/${w.id}`, {
        attendees: [{ email: w.owner }],
      });
    } else if (how === 2) {
      // A guest deleting its copy: gone from its calendar, and declined.
      await api(SUBJECT, "DELETE", `${cal(SUBJECT)}/events/${w.id}`);
    } else await api(w.owner, "DELETE", `${cal(w.owner)}/events/${w.id}`);
  }
}

/** Moves, changes or cancels a few instances of a new series, as its organizer. */
async function changeInstances(d: Draw, w: Written): Promise<void> {
  const changes = d.int(0, 3);
  if (changes === 0) return;
  const listed = await api(
    w.owner,
    "GET",
    `${cal(w.owner)}/events/${w.id}/instances?maxResults=40`,
  );
  const items = (listed["items"] ?? []) as Record<string, unknown>[];
  const done = new Set<string>();
  for (let k = 0; k < changes && items.length > 0; k++) {
    const inst = d.pick(items);
    const id = String(inst["id"]);
    if (done.has(id)) continue;
    done.add(id);
    const what = d.int(0, 3);
    if (what === 0) {
      await api(w.owner, "DELETE", `${cal(w.owner)}/events/${id}`);
      continue;
    }
    if (what === 1) {
      await api(w.owner, "PATCH", `${cal(w.owner)}/events/${id}`, {
        transparency: d.pick(["transparent", "opaque"]),
      });
      continue;
    }
    w.moved = true;
    const start = inst["start"] as { date?: string; dateTime?: string; timeZone?: string };
    const end = inst["end"] as { date?: string; dateTime?: string; timeZone?: string };
    if (start.date !== undefined && end.date !== undefined) {
      const shift = d.int(-2, 2) * DAY;
      await api(w.owner, "PATCH", `${cal(w.owner)}/events/${id}`, {
        start: { date: dateOf(Date.parse(start.date) + shift) },
        end: { date: dateOf(Date.parse(end.date) + shift + d.int(0, 1) * DAY) },
      });
    } else {
      // Moved by minutes, or by days (into and out of windows).
      const shift = d.chance(0.4)
        ? d.int(-4, 6) * DAY + d.int(-8, 8) * HOUR
        : d.int(-8, 12) * 15 * 60_000;
      const s = Date.parse(start.dateTime ?? "") + shift;
      const e = Date.parse(end.dateTime ?? "") + shift + d.int(-1, 4) * 15 * 60_000;
      await api(w.owner, "PATCH", `${cal(w.owner)}/events/${id}`, {
        start: { dateTime: new Date(s).toISOString(), timeZone: start.timeZone },
        end: {
          dateTime: new Date(Math.max(e, s + 15 * 60_000)).toISOString(),
          timeZone: end.timeZone,
        },
      });
    }
  }
}

/** events.list as the subject: every page, deleted events included; and the calendar's zone. */
async function listAll(
  syncToken?: string,
): Promise<{ items: Record<string, unknown>[]; timeZone: string; syncToken: string }> {
  const items: Record<string, unknown>[] = [];
  let pageToken: string | undefined;
  let timeZone: string | undefined;
  let next = "";
  do {
    const q = new URLSearchParams({ showDeleted: "true", maxResults: "7" });
    if (syncToken !== undefined) q.set("syncToken", syncToken);
    if (pageToken !== undefined) q.set("pageToken", pageToken);
    const page = await api(SUBJECT, "GET", `${cal(SUBJECT)}/events?${q.toString()}`);
    items.push(...((page["items"] ?? []) as Record<string, unknown>[]));
    timeZone = String(page["timeZone"]);
    pageToken = typeof page["nextPageToken"] === "string" ? page["nextPageToken"] : undefined;
    if (typeof page["nextSyncToken"] === "string") next = page["nextSyncToken"];
  } while (pageToken !== undefined);
  return { items, timeZone: timeZone ?? "", syncToken: next };
}

async function freebusy(from: number, to: number): Promise<[number, number][]> {
  const answer = await api(SUBJECT, "POST", "/freeBusy", {
    timeMin: new Date(from).toISOString(),
    timeMax: new Date(to).toISOString(),
    items: [{ id: SUBJECT }],
  });
  const calendars = answer["calendars"] as Record<
    string,
    { busy: { start: string; end: string }[] }
  >;
  return (calendars[SUBJECT]?.busy ?? []).map((b) => [Date.parse(b.start), Date.parse(b.end)]);
}

describe("busyOf() counts as Google's freebusy.query counts (property, against the emulator)", () => {
  it("equals freebusy.query's busy for random calendars and windows", async () => {
    let windows = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        emulator.resetData();
        const d = drawer(seed);
        const calendarZone = d.chance(0.3) ? "UTC" : d.pick(ZONES.slice(1));
        if (calendarZone !== "UTC")
          await api(SUBJECT, "PATCH", cal(SUBJECT), { timeZone: calendarZone });
        const era = d.pick(ERAS);
        const written = await writeCalendar(d, calendarZone, era);
        const full = await listAll();
        expect(full.timeZone).toBe(calendarZone);
        // The mirror as the engine keeps it: by event ID, each item replacing the one before.
        const mirror = new Map<string, MirrorEvent>();
        const apply = (items: Record<string, unknown>[]): void => {
          for (const i of items) {
            const e = mirrorEventOf(i, SUBJECT);
            if (e === undefined) continue;
            mirror.set(e.id, e);
          }
        };
        apply(full.items);
        const compare = async (round: string, count: number): Promise<void> => {
          const kept = [...mirror.values()];
          for (let k = 0; k < count; k++) {
            const start =
              (d.chance(0.85) ? era : d.pick(ERAS)) - 2 * DAY + d.int(0, 50 * 24) * HOUR;
            const length = d.chance(0.5) ? d.int(1, 48) * HOUR : d.int(2, 14) * DAY;
            const from = start + d.int(0, 3) * 15 * 60_000;
            const to = from + length;
            windows++;
            const google = await freebusy(from, to);
            const context = `seed ${seed}, ${round}, calendar zone ${calendarZone}, window ${new Date(from).toISOString()} → ${new Date(to).toISOString()}`;
            expect(busyOf(kept, calendarZone, from, to), context).toStrictEqual(google);
            // What keepsEvent keeps for a horizon holding the window answers the same.
            const horizon = kept.filter((e) =>
              keepsEvent(e, calendarZone, from - DAY, to + 3 * DAY),
            );
            expect(busyOf(horizon, calendarZone, from, to), `${context} (kept)`).toStrictEqual(
              google,
            );
          }
        };
        await compare("full sync", 10);
        // More changes, then an incremental sync with the sync token.
        await writeCalendar(d, calendarZone, era);
        for (const w of written)
          if (w.recurring && w.gone !== true && d.chance(0.3)) await changeInstances(d, w);
        await deleteSome(d, written);
        const delta = await listAll(full.syncToken);
        apply(delta.items);
        await compare("incremental sync", 6);
      }),
      { seed: 20261206, numRuns: 25, endOnFailure: true },
    );
    expect(windows).toBeGreaterThan(300);
  }, 60_000);
});
