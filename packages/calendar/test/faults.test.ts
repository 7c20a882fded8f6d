import { describe, expect, it } from "vitest";
import { createCalendarClient } from "../src/index.ts";
import { createFakeCalendar, fakeTokenSource, googleError } from "./fake-calendar.ts";

// A seeded PRNG (mulberry32) so the fault pattern is the same on every run: counts, not timing.
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("under 20 % injected faults", () => {
  it("1,000 mixed reads all succeed and 200 inserts each exist exactly once", async () => {
    const fake = createFakeCalendar();
    const random = seeded(42);
    let injected = 0;
    fake.fault = () => {
      if (random() >= 0.2) return undefined;
      injected++;
      const kind = Math.floor(random() * 4);
      if (kind === 0)
        return new Response(
          JSON.stringify({
            error: {
              code: 429,
              message: "Rate Limit Exceeded",
              errors: [
                {
                  domain: "usageLimits",
                  reason: "rateLimitExceeded",
                  message: "Rate Limit Exceeded",
                },
              ],
            },
          }),
          { status: 429, headers: { "retry-after": "1" } },
        );
      if (kind === 1)
        return googleError(503, "backendError", "The service is currently unavailable.");
      if (kind === 2) return "reset";
      // Otherwise a reset after the call was served: the client cannot know whether it happened.
      return "reset-after";
    };
    const sleeps: number[] = [];
    const users = Array.from({ length: 20 }, (_, i) => `u${i}@example.com`);
    const cal = createCalendarClient({
      tokenSource: fakeTokenSource(),
      rootUrl: "http://fake/calendar/v3",
      fetch: fake.fetch,
      retry: {
        retries: 10,
        random: seeded(7),
        sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
      },
    });
    const inserted = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        cal.as(users[i % users.length]).events.insert("primary", { summary: `insert ${i}` }),
      ),
    );
    const reads = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) => {
        const u = cal.as(users[i % users.length]);
        return i % 2 === 0
          ? u.events.list("primary", { maxResults: 5 })
          : u.events.get("primary", inserted[i % 200]!.id!);
      }),
    );
    expect(reads.filter((r) => r.status === "rejected")).toEqual([]);
    const stored = users.flatMap((u) => fake.events(u));
    expect(stored).toHaveLength(200);
    expect(new Set(stored.map((e) => e.summary)).size).toBe(200);
    expect(injected).toBeGreaterThan(200);
    expect(sleeps.length).toBe(injected);
  });
});
