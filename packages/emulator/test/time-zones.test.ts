import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatInZone, fromWallClock, offsetAt, wallClock } from "../src/_internal/time-zones.ts";
import { utf8Length } from "../src/_internal/utf8.ts";

/** The zone's offset at `ms`, asked of Intl directly (no cache): the reference. */
function intlOffset(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(whole));
  const n = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second")) - whole;
}

// Zones with DST both ways, half- and quarter-hour offsets, a 30-minute DST shift, and none at all.
const zones = [
  "Europe/Berlin",
  "America/New_York",
  "America/Sao_Paulo",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "America/St_Johns",
  "Pacific/Chatham",
  "UTC",
];

describe("offsets kept per zone and hour", () => {
  it("equal Intl's at every instant, across DST switches (fast-check, 2,000 instants)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }),
        (zone, ms) => {
          expect(offsetAt(ms, zone)).toBe(intlOffset(ms, zone));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("are exact in the hour of a switch, second by second around it", () => {
    // Europe/Berlin springs forward at 01:00Z on 2026-03-29; Lord Howe moves 30 minutes at 15:00Z
    // on 2026-04-04 (02:00 local, +11 → +10:30).
    const cases: [string, number][] = [
      ["Europe/Berlin", Date.UTC(2026, 2, 29, 1, 0, 0)],
      ["Australia/Lord_Howe", Date.UTC(2026, 3, 4, 15, 0, 0)],
      ["America/New_York", Date.UTC(2026, 10, 1, 6, 0, 0)],
    ];
    for (const [zone, at] of cases) {
      for (let d = -3 * 60_000; d <= 3 * 60_000; d += 1000)
        expect(offsetAt(at + d, zone)).toBe(intlOffset(at + d, zone));
    }
    expect(formatInZone(Date.UTC(2026, 2, 29, 0, 59, 59), "Europe/Berlin")).toBe(
      "2026-03-29T01:59:59+01:00",
    );
    expect(formatInZone(Date.UTC(2026, 2, 29, 1, 0, 0), "Europe/Berlin")).toBe(
      "2026-03-29T03:00:00+02:00",
    );
  });

  it("round-trip a wall clock that exists", () => {
    const floating = Date.UTC(2026, 6, 1, 10, 0, 0);
    const instant = fromWallClock(floating, "Europe/Berlin");
    expect(instant).toBe(Date.UTC(2026, 6, 1, 8, 0, 0));
    expect(wallClock(instant, "Europe/Berlin")).toBe(floating);
  });
});

describe("utf8Length", () => {
  it("is TextEncoder's byte length for any string, lone surrogates included (fast-check)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).byteLength);
      }),
      { numRuns: 2000 },
    );
    expect(utf8Length("\ud800x")).toBe(4);
    expect(utf8Length("a\udc00")).toBe(4);
    expect(utf8Length("𝄞")).toBe(4);
  });
});
