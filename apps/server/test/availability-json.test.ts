import { describe, expect, it } from "vitest";
import { availabilityJson } from "../src/_internal/availability-json.ts";
import type { Slot } from "../src/availability.ts";

const slot = (start: string, available: string[]): Slot => ({
  start,
  end: start.replace("T09", "T10"),
  available,
});

describe("availabilityJson()", () => {
  it("writes what JSON.stringify writes, with shared, distinct and empty lists of free subjects", () => {
    const everyone = ["ana@example.com", "bob@example.com"];
    const some = ["bob@example.com"];
    const answer = {
      timeZone: "Europe/Berlin",
      durationMinutes: 60,
      minAttendees: 1,
      slots: [
        slot("2026-12-07T09:00:00.000Z", everyone),
        slot("2026-12-08T09:00:00.000Z", everyone),
        slot("2026-12-09T09:00:00.000Z", some),
        slot("2026-12-10T09:00:00.000Z", ["bob@example.com"]), // equal to `some`, another array
        slot("2026-12-11T09:00:00.000Z", []),
      ],
      sources: {
        "ana@example.com": { source: "mirror", asOf: "2026-12-06T10:00:00.000Z" },
        "bob@example.com": { source: "google", asOf: "2026-12-06T10:00:01.000Z" },
      },
      unknown: { "eve@example.com": { code: "not_found", status: 404, detail: 'No "eve"' } },
    };
    const text = availabilityJson(answer);
    expect(text).toBe(JSON.stringify(answer));
    expect(JSON.parse(text)).toStrictEqual(answer);
  });

  it("escapes what JSON must escape, keeps the members' order, and leaves out undefined ones", () => {
    const odd = ['quote"d@example.com', "back\\slash@example.com", "ünï\u2028cøde@example.com"];
    const answer = {
      slots: [slot("2026-12-07T09:00:00.000Z", odd), slot("2026-12-07T09:30:00.000Z", odd)],
      timeZone: "UTC",
      nothing: undefined,
      minAttendees: 3,
    };
    expect(availabilityJson(answer)).toBe(JSON.stringify(answer));
    expect(availabilityJson({ slots: [] })).toBe('{"slots":[]}');
  });
});
