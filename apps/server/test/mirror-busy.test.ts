// busy.ts rule by rule: what Google's freebusy.query counts as busy, written as kept events.
import { describe, expect, it } from "vitest";
import { busyOf, keepsEvent, mirrorEventOf } from "../src/mirror/busy.ts";
import type { BusySpan, MirrorEvent } from "../src/mirror/types.ts";

const t = (iso: string): number => Date.parse(iso);
const span = (a: string, b: string): BusySpan => [t(a), t(b)];
const at = (dateTime: string, timeZone?: string): MirrorEvent["start"] =>
  timeZone === undefined ? { dateTime } : { dateTime, timeZone };
const one = (
  id: string,
  start: string,
  end: string,
  extra: Partial<MirrorEvent> = {},
): MirrorEvent => ({
  id,
  status: "confirmed",
  start: at(start),
  end: at(end),
  ...extra,
});

interface Case {
  name: string;
  events: MirrorEvent[];
  zone?: string;
  from: string;
  to: string;
  busy: BusySpan[];
}

const cases: Case[] = [
  {
    name: "a cancelled one-off event is free",
    events: [one("a", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", { status: "cancelled" })],
    from: "2026-03-02T00:00:00Z",
    to: "2026-03-03T00:00:00Z",
    busy: [],
  },
  {
    name: "a transparent event (Show as: Available) is free",
    events: [
      one("a", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", { transparency: "transparent" }),
    ],
    from: "2026-03-02T00:00:00Z",
    to: "2026-03-03T00:00:00Z",
    busy: [],
  },
  {
    name: "an invitation the user declined is free",
    events: [
      one("a", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", { selfResponse: "declined" }),
    ],
    from: "2026-03-02T00:00:00Z",
    to: "2026-03-03T00:00:00Z",
    busy: [],
  },
  {
    name: "a tentative event, a tentative answer and an unanswered invitation are busy",
    events: [
      one("a", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", { status: "tentative" }),
      one("b", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z", { selfResponse: "tentative" }),
      one("c", "2026-03-02T13:00:00Z", "2026-03-02T14:00:00Z", { selfResponse: "needsAction" }),
    ],
    from: "2026-03-02T00:00:00Z",
    to: "2026-03-03T00:00:00Z",
    busy: [
      span("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"),
      span("2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z"),
      span("2026-03-02T13:00:00Z", "2026-03-02T14:00:00Z"),
    ],
  },
  {
    name: "out-of-office and focus time (opaque, as Google writes them) are busy; a working location (transparent) is free",
    events: [
      one("o", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z", {
        eventType: "outOfOffice",
        transparency: "opaque",
      }),
      one("f", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z", {
        eventType: "focusTime",
        transparency: "opaque",
      }),
      one("w", "2026-03-02T08:00:00Z", "2026-03-02T17:00:00Z", {
        eventType: "workingLocation",
        transparency: "transparent",
      }),
    ],
    from: "2026-03-02T00:00:00Z",
    to: "2026-03-03T00:00:00Z",
    busy: [
      span("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"),
      span("2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z"),
    ],
  },
  {
    name: "an all-day event is busy from midnight to midnight in the calendar's zone (23 hours on a DST day)",
    zone: "Europe/Berlin",
    events: [{ id: "a", start: { date: "2026-03-29" }, end: { date: "2026-03-30" } }],
    from: "2026-03-28T00:00:00Z",
    to: "2026-04-01T00:00:00Z",
    busy: [span("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z")],
  },
  {
    name: "a multi-day all-day event spans its days in the calendar's zone",
    zone: "America/New_York",
    events: [{ id: "a", start: { date: "2026-03-07" }, end: { date: "2026-03-09" } }],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-31T00:00:00Z",
    busy: [span("2026-03-07T05:00:00Z", "2026-03-09T04:00:00Z")],
  },
  {
    name: "a date-time without an offset is read in its own zone",
    events: [
      {
        id: "a",
        start: at("2026-03-02T09:00:00", "Asia/Kolkata"),
        end: at("2026-03-02T10:00:00", "Asia/Kolkata"),
      },
    ],
    from: "2026-03-02T00:00:00Z",
    to: "2026-03-03T00:00:00Z",
    busy: [span("2026-03-02T03:30:00Z", "2026-03-02T04:30:00Z")],
  },
  {
    name: "a weekly series keeps its wall-clock time in its own zone across a DST change",
    events: [
      {
        id: "w",
        start: at("2026-03-23T10:00:00+01:00", "Europe/Berlin"),
        end: at("2026-03-23T11:00:00+01:00", "Europe/Berlin"),
        recurrence: ["RRULE:FREQ=WEEKLY;COUNT=3"],
      },
    ],
    from: "2026-03-20T00:00:00Z",
    to: "2026-04-20T00:00:00Z",
    busy: [
      span("2026-03-23T09:00:00Z", "2026-03-23T10:00:00Z"),
      span("2026-03-30T08:00:00Z", "2026-03-30T09:00:00Z"),
      span("2026-04-06T08:00:00Z", "2026-04-06T09:00:00Z"),
    ],
  },
  {
    name: "a series without start.timeZone runs in the calendar's zone",
    zone: "America/New_York",
    events: [
      {
        id: "d",
        start: at("2026-03-06T09:00:00-05:00"),
        end: at("2026-03-06T09:30:00-05:00"),
        recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-31T00:00:00Z",
    busy: [
      span("2026-03-06T14:00:00Z", "2026-03-06T14:30:00Z"),
      span("2026-03-07T14:00:00Z", "2026-03-07T14:30:00Z"),
      span("2026-03-08T13:00:00Z", "2026-03-08T13:30:00Z"),
    ],
  },
  {
    name: "EXDATE removes instances, written with TZID, in UTC or as a date",
    events: [
      {
        id: "d",
        start: at("2026-03-02T09:00:00", "Europe/Berlin"),
        end: at("2026-03-02T10:00:00", "Europe/Berlin"),
        recurrence: [
          "RRULE:FREQ=DAILY;COUNT=5",
          "EXDATE;TZID=Europe/Berlin:20260303T090000",
          "EXDATE:20260304T080000Z",
          "EXDATE;VALUE=DATE:20260305",
        ],
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-10T00:00:00Z",
    busy: [
      span("2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z"),
      span("2026-03-06T08:00:00Z", "2026-03-06T09:00:00Z"),
    ],
  },
  {
    name: "RDATE adds instances and EXRULE removes the ones it matches, the first and RDATEs included",
    events: [
      {
        id: "d",
        start: at("2026-03-02T09:00:00Z", "UTC"),
        end: at("2026-03-02T10:00:00Z", "UTC"),
        recurrence: [
          "RRULE:FREQ=DAILY;COUNT=4",
          "EXRULE:FREQ=DAILY;INTERVAL=2",
          "RDATE:20260309T090000Z,20260308T090000Z",
        ],
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-10T00:00:00Z",
    busy: [
      span("2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z"),
      span("2026-03-05T09:00:00Z", "2026-03-05T10:00:00Z"),
      span("2026-03-09T09:00:00Z", "2026-03-09T10:00:00Z"),
    ],
  },
  {
    name: "UNTIL in UTC is an instant, compared with each instance's instant (not its wall clock)",
    events: [
      {
        id: "d",
        // 20:00 in Los Angeles is 03:00 UTC the next day: the 03-03 instance is after UNTIL.
        start: at("2026-03-02T20:00:00", "America/Los_Angeles"),
        end: at("2026-03-02T21:00:00", "America/Los_Angeles"),
        recurrence: ["RRULE:FREQ=DAILY;UNTIL=20260303T235959Z"],
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-10T00:00:00Z",
    busy: [span("2026-03-03T04:00:00Z", "2026-03-03T05:00:00Z")],
  },
  {
    name: "a wall time skipped by DST reads with the offset before the gap; a repeated one means the first",
    events: [
      {
        id: "d",
        start: at("2026-03-28T02:30:00", "Europe/Berlin"),
        end: at("2026-03-28T02:45:00", "Europe/Berlin"),
        recurrence: ["RRULE:FREQ=DAILY;COUNT=2", "RDATE;TZID=Europe/Berlin:20261025T023000"],
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-11-01T00:00:00Z",
    busy: [
      span("2026-03-28T01:30:00Z", "2026-03-28T01:45:00Z"),
      span("2026-03-29T01:30:00Z", "2026-03-29T01:45:00Z"),
      span("2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z"),
    ],
  },
  {
    name: "an all-day series is busy midnight to midnight in the calendar's zone",
    zone: "Europe/Berlin",
    events: [
      {
        id: "a",
        start: { date: "2026-03-28" },
        end: { date: "2026-03-29" },
        recurrence: ["RRULE:FREQ=DAILY;UNTIL=20260329"],
      },
    ],
    from: "2026-03-20T00:00:00Z",
    to: "2026-04-20T00:00:00Z",
    busy: [span("2026-03-27T23:00:00Z", "2026-03-29T22:00:00Z")],
  },
  {
    name: "an exception moves its instance (matched by originalStartTime), into and out of the range",
    events: [
      {
        id: "s",
        start: at("2026-03-02T09:00:00Z", "UTC"),
        end: at("2026-03-02T10:00:00Z", "UTC"),
        recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
      },
      {
        id: "s_20260302T090000Z",
        recurringEventId: "s",
        originalStartTime: at("2026-03-02T10:00:00+01:00", "Europe/Berlin"),
        start: at("2026-03-05T12:00:00Z"),
        end: at("2026-03-05T13:00:00Z"),
      },
      {
        id: "s_20260304T090000Z",
        recurringEventId: "s",
        originalStartTime: at("2026-03-04T09:00:00Z", "UTC"),
        start: at("2026-02-20T12:00:00Z"),
        end: at("2026-02-20T13:00:00Z"),
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-10T00:00:00Z",
    busy: [
      span("2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z"),
      span("2026-03-05T12:00:00Z", "2026-03-05T13:00:00Z"),
    ],
  },
  {
    name: "a cancelled exception removes its instance",
    events: [
      {
        id: "s",
        start: { date: "2026-03-02" },
        end: { date: "2026-03-03" },
        recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
      },
      {
        id: "s_20260303",
        recurringEventId: "s",
        status: "cancelled",
        originalStartTime: { date: "2026-03-03" },
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-10T00:00:00Z",
    busy: [
      span("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"),
      span("2026-03-04T00:00:00Z", "2026-03-05T00:00:00Z"),
    ],
  },
  {
    name: "a series the user declined is free except an instance it accepted",
    events: [
      {
        id: "s",
        selfResponse: "declined",
        start: at("2026-03-02T09:00:00Z", "UTC"),
        end: at("2026-03-02T10:00:00Z", "UTC"),
        recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
      },
      {
        id: "s_20260303T090000Z",
        recurringEventId: "s",
        selfResponse: "accepted",
        originalStartTime: at("2026-03-03T09:00:00Z", "UTC"),
        start: at("2026-03-03T09:00:00Z", "UTC"),
        end: at("2026-03-03T10:00:00Z", "UTC"),
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-10T00:00:00Z",
    busy: [span("2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z")],
  },
  {
    name: "a cancelled master takes its exceptions with it",
    events: [
      {
        id: "s",
        status: "cancelled",
        start: at("2026-03-02T09:00:00Z", "UTC"),
        end: at("2026-03-02T10:00:00Z", "UTC"),
        recurrence: ["RRULE:FREQ=DAILY;COUNT=3"],
      },
      {
        id: "s_20260303T090000Z",
        recurringEventId: "s",
        originalStartTime: at("2026-03-03T09:00:00Z", "UTC"),
        start: at("2026-03-03T11:00:00Z", "UTC"),
        end: at("2026-03-03T12:00:00Z", "UTC"),
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-10T00:00:00Z",
    busy: [],
  },
  {
    name: "an instance the user alone is invited to (no master on its calendar) counts by itself",
    events: [
      {
        id: "x_20260303T090000Z",
        recurringEventId: "x",
        originalStartTime: at("2026-03-03T09:00:00Z", "UTC"),
        start: at("2026-03-03T09:00:00Z", "UTC"),
        end: at("2026-03-03T10:00:00Z", "UTC"),
      },
    ],
    from: "2026-03-01T00:00:00Z",
    to: "2026-03-10T00:00:00Z",
    busy: [span("2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z")],
  },
  {
    name: "intervals are merged (touching ones too) and clipped to the range; zero-length events are not busy",
    events: [
      one("a", "2026-03-02T08:00:00Z", "2026-03-02T10:00:00Z"),
      one("b", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"),
      one("c", "2026-03-02T10:30:00Z", "2026-03-02T10:45:00Z"),
      one("d", "2026-03-02T13:00:00Z", "2026-03-02T13:00:00Z"),
      one("e", "2026-03-02T15:00:00Z", "2026-03-02T18:00:00Z"),
    ],
    from: "2026-03-02T09:00:00Z",
    to: "2026-03-02T16:00:00Z",
    busy: [
      span("2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z"),
      span("2026-03-02T15:00:00Z", "2026-03-02T16:00:00Z"),
    ],
  },
];

describe("busyOf() counts as Google's freebusy.query does", () => {
  for (const c of cases)
    it(c.name, () => {
      expect(busyOf(c.events, c.zone ?? "UTC", t(c.from), t(c.to))).toStrictEqual(c.busy);
    });

  it("answers a calendar again from its index, and reads it anew when an event is replaced or added", () => {
    const events = [one("a", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z")];
    const from = t("2026-03-02T00:00:00Z");
    const to = t("2026-03-03T00:00:00Z");
    expect(busyOf(events, "UTC", from, to)).toStrictEqual([
      span("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"),
    ]);
    events[0] = one("a", "2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z");
    expect(busyOf(events, "UTC", from, to)).toStrictEqual([
      span("2026-03-02T11:00:00Z", "2026-03-02T12:00:00Z"),
    ]);
    events.push(one("b", "2026-03-02T13:00:00Z", "2026-03-02T14:00:00Z"));
    expect(busyOf(events, "UTC", from, to)).toHaveLength(2);
    // Another zone reads all-day events anew.
    const allDay = [{ id: "d", start: { date: "2026-03-02" }, end: { date: "2026-03-03" } }];
    expect(busyOf(allDay, "UTC", from, to)).toStrictEqual([[from, to]]);
    expect(busyOf(allDay, "Asia/Tokyo", from - 86_400_000, to)).toStrictEqual([
      span("2026-03-01T15:00:00Z", "2026-03-02T15:00:00Z"),
    ]);
  });
});

describe("busyOf() answers later ranges from the stretch it merged first", () => {
  it("cuts each range out of the stretch exactly as merging that range alone does", () => {
    const events: MirrorEvent[] = [
      one("a", "2026-03-02T08:00:00Z", "2026-03-02T10:00:00Z"),
      one("b", "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"),
      one("c", "2026-03-04T00:00:00Z", "2026-03-07T00:00:00Z"),
      {
        id: "s",
        start: at("2026-03-01T09:30:00", "Europe/Berlin"),
        end: at("2026-03-01T10:15:00", "Europe/Berlin"),
        recurrence: ["RRULE:FREQ=DAILY;BYDAY=MO,WE,FR,SU"],
      },
      { id: "d", start: { date: "2026-03-10" }, end: { date: "2026-03-12" } },
    ];
    const base = t("2026-03-01T00:00:00Z");
    let seed = 42;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 200; k++) {
      const from = base + next(20 * 96) * 15 * 60_000;
      const to = from + (1 + next(14 * 96)) * 15 * 60_000;
      // A new array is a new calendar to busyOf: merged for this range alone.
      expect(busyOf(events, "UTC", from, to), `${from}→${to}`).toStrictEqual(
        busyOf([...events], "UTC", from, to),
      );
    }
    // Ranges that start where a busy interval ends, and end where one starts.
    for (const [from, to] of [
      ["2026-03-02T11:00:00Z", "2026-03-04T00:00:00Z"],
      ["2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"],
      ["2026-03-02T08:30:00Z", "2026-03-02T08:30:00.001Z"],
    ] as const)
      expect(busyOf(events, "UTC", t(from), t(to)), `${from}→${to}`).toStrictEqual(
        busyOf([...events], "UTC", t(from), t(to)),
      );
    expect(
      busyOf(events, "UTC", t("2026-03-02T11:00:00Z"), t("2026-03-03T00:00:00Z")),
    ).toStrictEqual([]);
    expect(busyOf(events, "UTC", base + 1000, base)).toStrictEqual([]);
  });
});

describe("mirrorEventOf()", () => {
  it("keeps the fields free/busy reads and the subject's own answer", () => {
    const kept = mirrorEventOf(
      {
        id: "e1",
        status: "confirmed",
        summary: "secret plans",
        description: "not kept",
        start: { dateTime: "2026-03-02T09:00:00+01:00", timeZone: "Europe/Berlin" },
        end: { dateTime: "2026-03-02T10:00:00+01:00", timeZone: "Europe/Berlin" },
        transparency: "opaque",
        eventType: "default",
        attendees: [
          { email: "bob@example.com", organizer: true, responseStatus: "accepted" },
          { email: "Ana@Example.com", responseStatus: "declined" },
        ],
      },
      "ana@example.com",
    );
    expect(kept).toStrictEqual({
      id: "e1",
      status: "confirmed",
      start: { dateTime: "2026-03-02T09:00:00+01:00", timeZone: "Europe/Berlin" },
      end: { dateTime: "2026-03-02T10:00:00+01:00", timeZone: "Europe/Berlin" },
      transparency: "opaque",
      selfResponse: "declined",
      eventType: "default",
    });
  });

  it("finds the subject by the attendee's self flag, and keeps a series' lines and an exception's links", () => {
    expect(
      mirrorEventOf(
        {
          id: "s_20260302",
          recurringEventId: "s",
          originalStartTime: { date: "2026-03-02" },
          start: { date: "2026-03-02" },
          end: { date: "2026-03-03" },
          recurrence: ["RRULE:FREQ=DAILY", 7],
          attendees: [{ email: "alias@example.com", self: true, responseStatus: "tentative" }],
        },
        "ana@example.com",
      ),
    ).toStrictEqual({
      id: "s_20260302",
      recurringEventId: "s",
      originalStartTime: { date: "2026-03-02" },
      start: { date: "2026-03-02" },
      end: { date: "2026-03-03" },
      recurrence: ["RRULE:FREQ=DAILY"],
      selfResponse: "tentative",
    });
  });

  it("keeps nothing of an item without an id", () => {
    expect(mirrorEventOf({ status: "confirmed" }, "ana@example.com")).toBeUndefined();
  });
});

describe("keepsEvent() keeps what may count inside the horizon", () => {
  const from = t("2026-03-10T00:00:00Z");
  const to = t("2026-04-10T00:00:00Z");
  const series = (rule: string, status = "confirmed"): MirrorEvent => ({
    id: "s",
    status,
    start: at("2026-03-02T09:00:00Z", "UTC"),
    end: at("2026-03-02T10:00:00Z", "UTC"),
    recurrence: [rule],
  });
  const kept: [string, MirrorEvent, boolean][] = [
    ["a one-off inside", one("a", "2026-03-12T09:00:00Z", "2026-03-12T10:00:00Z"), true],
    [
      "a one-off ending as the horizon starts",
      one("a", "2026-03-09T09:00:00Z", "2026-03-10T00:00:00Z"),
      false,
    ],
    ["a one-off after it", one("a", "2026-04-12T09:00:00Z", "2026-04-12T10:00:00Z"), false],
    [
      "a cancelled one-off",
      one("a", "2026-03-12T09:00:00Z", "2026-03-12T10:00:00Z", { status: "cancelled" }),
      false,
    ],
    ["a series with instances inside", series("RRULE:FREQ=WEEKLY"), true],
    ["a series that ended before it", series("RRULE:FREQ=DAILY;COUNT=3"), false],
    [
      "a cancelled series reaching into it (it hides its exceptions)",
      series("RRULE:FREQ=DAILY", "cancelled"),
      true,
    ],
    [
      "a cancelled series that ended long before it (an instance of it may have moved inside)",
      series("RRULE:FREQ=DAILY;COUNT=3", "cancelled"),
      true,
    ],
    [
      "an instance moved out whose original start is inside (it still removes that instance)",
      {
        id: "s_1",
        recurringEventId: "s",
        originalStartTime: at("2026-03-12T09:00:00Z"),
        start: at("2026-05-12T09:00:00Z"),
        end: at("2026-05-12T10:00:00Z"),
      },
      true,
    ],
    [
      "a cancelled instance long before it",
      {
        id: "s_1",
        recurringEventId: "s",
        status: "cancelled",
        originalStartTime: at("2026-01-12T09:00:00Z"),
      },
      false,
    ],
  ];
  for (const [name, event, expected] of kept)
    it(`${expected ? "keeps" : "drops"} ${name}`, () => {
      expect(keepsEvent(event, "UTC", from, to)).toBe(expected);
    });
});

describe("a series whose EXRULE removes every date of an endless RRULE", () => {
  const event: MirrorEvent = {
    id: "gone",
    status: "confirmed",
    start: { date: "2026-10-24" },
    end: { date: "2026-10-25" },
    recurrence: [
      "RRULE:FREQ=DAILY;INTERVAL=2",
      "EXDATE;VALUE=DATE:20261028",
      "EXRULE:FREQ=DAILY;INTERVAL=2",
    ],
  };
  const from = t("2026-11-06T11:00:00Z");
  const to = t("2026-11-11T11:00:00Z");
  // rrule's RRuleSet never returns here (it stops only on a date it keeps): each rule is expanded
  // on its own, bounded, and the EXRULE's dates taken away.
  it("has no instance, and keepsEvent() returns (false)", () => {
    expect(busyOf([event], "America/Los_Angeles", from, to)).toStrictEqual([]);
    expect(keepsEvent(event, "America/Los_Angeles", from, to)).toBe(false);
  });
  it("still removes the first instance and RDATEs, as RFC 5545 says an EXRULE does", () => {
    const withRdate: MirrorEvent = {
      ...event,
      start: { date: "2026-11-06" },
      end: { date: "2026-11-07" },
      recurrence: ["RDATE;VALUE=DATE:20261108", "EXRULE:FREQ=DAILY;INTERVAL=2"],
    };
    expect(busyOf([withRdate], "UTC", t("2026-11-01T00:00:00Z"), to)).toStrictEqual([]);
  });
});

describe("date and date-time reading", () => {
  const cases: [string, MirrorEvent["start"], number][] = [
    ["an offset", { dateTime: "2026-03-02T09:00:00+01:00" }, t("2026-03-02T08:00:00Z")],
    [
      "a negative offset without a colon",
      { dateTime: "2026-03-02T09:00:00-0530" },
      t("2026-03-02T14:30:00Z"),
    ],
    ["Z and a fraction", { dateTime: "2026-03-02T09:00:00.250Z" }, t("2026-03-02T09:00:00.250Z")],
    ["no seconds", { dateTime: "2026-03-02T09:00Z" }, t("2026-03-02T09:00:00Z")],
    ["a leap day", { dateTime: "2028-02-29T00:00:00Z" }, t("2028-02-29T00:00:00Z")],
    [
      "no offset, in its zone",
      { dateTime: "2026-07-02T09:00:00", timeZone: "America/Sao_Paulo" },
      t("2026-07-02T12:00:00Z"),
    ],
  ];
  for (const [name, start, instant] of cases)
    it(`reads a date-time with ${name}`, () => {
      const e: MirrorEvent = { id: "a", start, end: { ...start } };
      e.end = { dateTime: new Date(instant + 3_600_000).toISOString() };
      expect(busyOf([e], "UTC", instant - 86_400_000, instant + 86_400_000)).toStrictEqual([
        [instant, instant + 3_600_000],
      ]);
    });
  for (const bad of [
    "2026-02-30T09:00:00Z",
    "2026-03-02T24:00:00Z",
    "2026-03-02 9:00",
    "2026-03-02T09:00:00+1",
    "x",
  ])
    it(`counts nothing for the unreadable ${JSON.stringify(bad)}`, () => {
      const e: MirrorEvent = {
        id: "a",
        start: { dateTime: bad },
        end: { dateTime: "2026-03-09T00:00:00Z" },
      };
      expect(busyOf([e], "UTC", 0, t("2027-01-01T00:00:00Z"))).toStrictEqual([]);
    });
  it("counts nothing for an impossible date", () => {
    const e: MirrorEvent = { id: "a", start: { date: "2026-02-29" }, end: { date: "2026-03-02" } };
    expect(busyOf([e], "UTC", 0, t("2027-01-01T00:00:00Z"))).toStrictEqual([]);
  });
});
