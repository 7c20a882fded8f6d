import { describe, expect, it } from "vitest";
import { isoWriter } from "../src/_internal/iso-writer.ts";

describe("isoWriter()", () => {
  it("writes what toISOString writes: days in a row, back and forth, before 1970, far years", () => {
    const iso = isoWriter();
    const t = Date.UTC(2026, 11, 7);
    const instants = [
      t,
      t + 9 * 3_600_000 + 30 * 60_000,
      t + 86_399_999,
      t + 86_400_000,
      t - 1,
      t + 7_654_321,
      0,
      -1,
      -86_400_001,
      Date.UTC(1900, 1, 28, 23, 59, 59, 9),
      Date.UTC(-5, 0, 1, 12),
      Date.UTC(12_345, 5, 6, 7, 8, 9, 10),
      8.64e15,
      -8.64e15,
      t + 0.5,
      t - 0.25,
    ];
    for (let k = 0; k < 2000; k++) instants.push(Math.round((k * 7919 - 1000) * 104_729.3) * 7);
    for (const ms of instants) expect(iso(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it("refuses what toISOString refuses: an instant out of a Date's range, NaN", () => {
    const iso = isoWriter();
    for (const ms of [8.64e15 + 1, -8.64e15 - 1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => iso(ms)).toThrow(RangeError);
    expect(() => iso(8.64e15 + 1)).toThrow("Invalid time value");
  });
});
