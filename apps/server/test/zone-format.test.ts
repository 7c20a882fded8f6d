import { afterEach, describe, expect, it, vi } from "vitest";
import { zoneFormat, zoneOffset } from "../src/_internal/zone-format.ts";
import { isTimeZone } from "../src/availability.ts";

const wallClock = (format: Intl.DateTimeFormat, t: number): string =>
  format
    .formatToParts(t)
    .filter((p) => p.type !== "literal")
    .map((p) => p.value)
    .join(" ");

describe("zoneFormat()", () => {
  it("formats wall-clock time in the zone, 24-hour, and makes one formatter per name", () => {
    const berlin = zoneFormat("Europe/Berlin")!;
    // 2026-03-29 01:30 UTC is 03:30 CEST (the clocks went forward at 01:00 UTC); midnight is 00, not 24.
    expect(wallClock(berlin, Date.UTC(2026, 2, 29, 1, 30))).toBe("03 29 2026 03 30 00");
    expect(wallClock(berlin, Date.UTC(2026, 0, 1, 23))).toBe("01 02 2026 00 00 00");
    expect(zoneFormat("Europe/Berlin")).toBe(berlin);
    expect(zoneFormat("America/New_York")).not.toBe(berlin);
    expect(berlin.resolvedOptions().timeZone).toBe("Europe/Berlin");
  });

  it("is undefined for a name the runtime does not know, asked again and again", () => {
    for (let i = 0; i < 3; i++) expect(zoneFormat("Mars/Olympus_Mons")).toBeUndefined();
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isTimeZone("Asia/Kolkata")).toBe(true);
  });

  it("stays right when more names than it remembers are asked (the memo starts over)", () => {
    const zones = Intl.supportedValuesOf("timeZone");
    // Case variants are distinct names to the memo and valid to the runtime: 1,200 of them overflow it.
    const names = Array.from({ length: 1200 }, (_, i) => {
      const zone = zones[i % zones.length]!;
      return i < zones.length ? zone : zone.toUpperCase();
    });
    for (const name of names) expect(zoneFormat(name)?.resolvedOptions().timeZone).toBeDefined();
    const tokyo = zoneFormat("ASIA/TOKYO")!;
    expect(wallClock(tokyo, Date.UTC(2026, 5, 1, 15))).toBe("06 02 2026 00 00 00");
  });
});

describe("zoneOffset()", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is the wall clock minus the instant: across a DST change, half and quarter hours", () => {
    const h = 3_600_000;
    expect(zoneOffset("Europe/Berlin", Date.UTC(2026, 2, 29, 0, 59, 59))).toBe(h);
    expect(zoneOffset("Europe/Berlin", Date.UTC(2026, 2, 29, 1))).toBe(2 * h);
    expect(zoneOffset("Asia/Kolkata", Date.UTC(2026, 11, 7, 12, 0, 0, 999))).toBe(5.5 * h);
    expect(zoneOffset("America/New_York", Date.UTC(2026, 11, 7))).toBe(-5 * h);
    expect(zoneOffset("Asia/Kathmandu", Date.UTC(2026, 11, 7))).toBe(5.75 * h);
    expect(zoneOffset("America/St_Johns", Date.UTC(2026, 11, 7))).toBe(-3.5 * h);
    expect(() => zoneOffset("Mars/Olympus_Mons", 0)).toThrow(
      new RangeError("Invalid time zone specified: Mars/Olympus_Mons"),
    );
  });

  it("looks an instant up once: asked again, it answers from memory", () => {
    const t = Date.UTC(2031, 6, 14, 9, 30);
    const lookups = vi.spyOn(Intl.DateTimeFormat.prototype, "formatToParts");
    expect(zoneOffset("Australia/Adelaide", t)).toBe(9.5 * 3_600_000);
    expect(zoneOffset("Australia/Adelaide", t)).toBe(9.5 * 3_600_000);
    expect(zoneOffset("Australia/Adelaide", t + 1000)).toBe(9.5 * 3_600_000);
    expect(zoneOffset("Australia/Darwin", t)).toBe(9.5 * 3_600_000);
    expect(lookups).toHaveBeenCalledTimes(3);
  });
});
