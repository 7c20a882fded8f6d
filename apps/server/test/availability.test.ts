import { afterEach, describe, expect, it, vi } from "vitest";
import { findSlots } from "../src/availability.ts";
import type { Interval, SlotQuery } from "../src/availability.ts";

/** Intervals whose `start` and `end` count every read: the work any search does on them. */
function counted(intervals: Interval[], reads: { n: number }): Interval[] {
  return intervals.map((i) => ({
    get start() {
      reads.n++;
      return i.start;
    },
    get end() {
      reads.n++;
      return i.end;
    },
  }));
}

const day = 86_400_000;
const t0 = Date.parse("2026-12-07T00:00:00Z"); // a Monday

function query(busy: Record<string, Interval[]>, over: Partial<SlotQuery> = {}): SlotQuery {
  return {
    busy,
    timeMin: t0,
    timeMax: t0 + 62 * day,
    durationMinutes: 30,
    stepMinutes: 5,
    timeZone: "Europe/Berlin",
    workStart: "00:00",
    workEnd: "24:00",
    days: [1, 2, 3, 4, 5, 6, 7],
    minAttendees: 1,
    maxSlots: 1000,
    ...over,
  };
}

afterEach(() => vi.restoreAllMocks());

describe("findSlots()", () => {
  it("reads each busy interval a bounded number of times (sorting aside), with two time-zone lookups a day", async () => {
    // The worst case the schema allows: 62 days at a 5-minute step, 50 subjects, each with 2,000 busy
    // intervals that leave one 30-minute gap a day (so the search runs to the end of the range).
    const reads = { n: 0 };
    const busy: Record<string, Interval[]> = {};
    for (let s = 0; s < 50; s++) {
      const mine: Interval[] = [];
      for (let k = 0; k < 2000; k++) {
        const start = t0 + k * 45 * 60_000;
        mine.push({ start, end: start + 10 * 60_000 + (s % 3) * 60_000 });
      }
      busy[`u${s}@example.com`] = counted(mine, reads);
    }
    const lookups = vi.spyOn(Intl.DateTimeFormat.prototype, "formatToParts");
    const slots = await findSlots(query(busy, { minAttendees: 50, maxSlots: 1000 }));
    const intervals = 50 * 2000;
    const candidates = 62 * 288;
    expect(slots.length).toBeGreaterThan(0);
    // Each interval's start and end are read a few times (filter, sort, merge, cursor), never once
    // per candidate: the quadratic search read them about candidates × intervals / 2 times.
    expect(reads.n).toBeLessThan(intervals * 2 * Math.log2(2000) * 2);
    expect(reads.n).toBeLessThan(candidates * 50);
    expect(lookups.mock.calls.length).toBeLessThanOrEqual(2 * 63 + 2);
  });

  it("skips a busy stretch instead of trying each candidate in it, and counts the work", async () => {
    const work = { candidates: 0, intervalSteps: 0, zoneLookups: 0 };
    const busy = {
      "a@example.com": [
        { start: t0 + 9 * 3_600_000, end: t0 + 10 * 3_600_000 },
        { start: t0 + 9.5 * 3_600_000, end: t0 + 11 * 3_600_000 },
      ],
    };
    const slots = await findSlots(
      query(busy, {
        timeMax: t0 + day,
        timeZone: "UTC",
        workStart: "08:00",
        workEnd: "12:00",
        stepMinutes: 30,
        work,
      }),
    );
    // 08:00–12:00 at 30 minutes: 8 candidates; 09:00–11:00 busy (the two intervals merged).
    expect(slots.map((s) => s.start.slice(11, 16))).toStrictEqual([
      "08:00",
      "08:30",
      "11:00",
      "11:30",
    ]);
    // 08:00 and 08:30 are slots; at 09:00 the merged 09:00–11:00 blocks, and the search jumps to its
    // end instead of trying 09:30, 10:00 and 10:30. Two lookups find the days, two a working day.
    expect(work).toStrictEqual({ candidates: 5, intervalSteps: 2, zoneLookups: 6 });
  });

  it("with nobody free, looks at one candidate a day, not at each of the 62 days' 17,856", async () => {
    const work = { candidates: 0, intervalSteps: 0, zoneLookups: 0 };
    const busy: Record<string, Interval[]> = {};
    for (let s = 0; s < 50; s++)
      busy[`u${s}@example.com`] = [{ start: t0 - day, end: t0 + 63 * day }];
    expect(await findSlots(query(busy, { work }))).toStrictEqual([]);
    expect(work.candidates).toBe(63);
    expect(work.intervalSteps).toBe(50);
  });

  it("keeps slots inside the working hours of the time zone across a DST change", async () => {
    // Berlin leaves summer time on 2026-10-25: 09:00 local is 07:00Z on the 23rd and 08:00Z on the 26th.
    const start = Date.parse("2026-10-23T00:00:00Z");
    const slots = await findSlots(
      query(
        { "a@example.com": [] },
        {
          timeMin: start,
          timeMax: start + 4 * day,
          workStart: "09:00",
          workEnd: "10:00",
          stepMinutes: 60,
          durationMinutes: 60,
          days: [1, 5],
        },
      ),
    );
    expect(slots.map((s) => s.start)).toStrictEqual([
      "2026-10-23T07:00:00.000Z",
      "2026-10-26T08:00:00.000Z",
    ]);
  });

  it("names the free subjects of each slot; slots in a row with the same ones share one array", async () => {
    // Three subjects, some busy: who is free changes at the busy edges, and only there.
    const h = 3_600_000;
    const busy: Record<string, Interval[]> = {
      "a@example.com": [{ start: t0 + 9 * h, end: t0 + 10 * h }],
      "b@example.com": [
        { start: t0 + 9.5 * h, end: t0 + 11 * h },
        { start: t0 + 10.5 * h, end: t0 + 11.25 * h }, // overlaps the one before
      ],
      "c@example.com": [{ start: t0 + 13 * h + 60_000, end: t0 + 13.5 * h }],
      // Never free, but its edges pass at 11:00 (blocked twice over, then once): nobody's freedom changes.
      "d@example.com": [
        { start: t0 + 8 * h, end: t0 + 11 * h },
        { start: t0 + 11 * h + 5 * 60_000, end: t0 + 15 * h },
      ],
    };
    const slots = await findSlots(
      query(busy, {
        timeMax: t0 + day,
        timeZone: "UTC",
        workStart: "08:00",
        workEnd: "15:00",
        stepMinutes: 30,
        minAttendees: 1,
      }),
    );
    // Each slot's free subjects, worked out the slow way: nobody busy in [start, end).
    for (const slot of slots) {
      const from = Date.parse(slot.start);
      const to = Date.parse(slot.end);
      const free = Object.keys(busy).filter((s) =>
        busy[s]!.every((i) => i.end <= from || i.start >= to),
      );
      expect(slot.available, slot.start).toStrictEqual(free);
    }
    expect(slots.map((s) => `${s.start.slice(11, 16)} ${s.available.length}`)).toStrictEqual([
      "08:00 3",
      "08:30 3",
      "09:00 2",
      "09:30 1",
      "10:00 2",
      "10:30 2",
      "11:00 2",
      "11:30 3",
      "12:00 3",
      "12:30 3",
      "13:00 2",
      "13:30 3",
      "14:00 3",
      "14:30 3",
    ]);
    // 08:00 and 08:30 share one array; 10:00, 10:30 and 11:00 share one (d's edges passed at 11:00
    // change nobody's freedom); 09:00 does not share 08:30's, nor 13:30 13:00's (they differ).
    expect(slots[1]!.available).toBe(slots[0]!.available);
    expect(slots[5]!.available).toBe(slots[4]!.available);
    expect(slots[6]!.available).toBe(slots[4]!.available);
    expect(slots[2]!.available).not.toBe(slots[1]!.available);
    expect(slots[9]!.available).toBe(slots[7]!.available);
    expect(slots[11]!.available).not.toBe(slots[10]!.available);
  });

  it("finds what trying every candidate finds, whatever the busy intervals (far outside the range too)", async () => {
    // A seeded generator: the same cases on every run.
    let seed = 20_261_206;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const m = 60_000;
    for (let round = 0; round < 40; round++) {
      const stepMinutes = [5, 15, 30, 45, 60][Math.floor(random() * 5)]!;
      const durationMinutes = [15, 30, 60, 90][Math.floor(random() * 4)]!;
      const timeMin = t0 + Math.floor(random() * 600) * m + Math.floor(random() * 1000);
      const timeMax =
        timeMin + (1 + Math.floor(random() * 3)) * day + Math.floor(random() * 900) * m;
      const busy: Record<string, Interval[]> = {};
      for (let k = 0; k < 1 + Math.floor(random() * 6); k++) {
        const mine: Interval[] = [];
        for (let j = 0; j < Math.floor(random() * 12); j++) {
          // Anywhere from two days before the range to two days after it, to the ms.
          const start = timeMin - 2 * day + Math.floor(random() * (timeMax - timeMin + 4 * day));
          mine.push({ start, end: start + Math.floor(random() * 300 * m) });
        }
        busy[`u${k}@example.com`] = mine;
      }
      const subjects = Object.keys(busy);
      const minAttendees = 1 + Math.floor(random() * subjects.length);
      const q = query(busy, {
        timeMin,
        timeMax,
        stepMinutes,
        durationMinutes,
        timeZone: "UTC",
        minAttendees,
      });
      const step = stepMinutes * m;
      const duration = durationMinutes * m;
      const expected: { start: string; available: string[] }[] = [];
      for (let s = Math.ceil(timeMin / step) * step; s + duration <= timeMax; s += step) {
        if (s + duration > Math.floor(s / day) * day + day) continue; // past midnight: two days
        const free = subjects.filter((u) =>
          busy[u]!.every((i) => i.end <= i.start || i.end <= s || i.start >= s + duration),
        );
        if (free.length >= minAttendees)
          expected.push({ start: new Date(s).toISOString(), available: free });
      }
      const slots = await findSlots(q);
      expect(
        slots.map((x) => ({ start: x.start, available: x.available })),
        `round ${round}`,
      ).toStrictEqual(expected.slice(0, q.maxSlots));
    }
  });
});
