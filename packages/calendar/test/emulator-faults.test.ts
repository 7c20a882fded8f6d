/**
 * The fault contract of issue 6, with dwd's own client against the emulator (counts, not timing): 20 %
 * of Calendar calls fail with 429 (Retry-After), 503 or a connection reset, seeded. Every one of 1,000
 * mixed reads succeeds, and each of 200 inserts exists exactly once afterwards — a reset that lost the
 * answer of a write that happened ends in 409 on the retry, which resolves to the stored event.
 * Retries sleep through an injected no-op, so the test never waits on a clock.
 */
import { createTokenSource, loadKey } from "@dwd/auth";
import { createEmulator } from "@dwd/emulator";
import { describe, expect, it } from "vitest";
import { createCalendarClient } from "../src/index.ts";
import type { RetryEvent } from "../src/index.ts";

const BASE = "http://emulator.test";

describe("dwd's client against the emulator under 20 % injected 429/503/reset", () => {
  it("1,000 mixed reads all succeed; 200 inserts (single and batched) each exist exactly once", async () => {
    const emulator = await createEmulator({ scenario: "demo", baseUrl: BASE });
    const via = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
      emulator.fetch(new Request(input, init));
    const tokenSource = createTokenSource(
      await loadKey(await emulator.serviceAccountKeyJson("calendar-bot")),
      { fetch: via, env: {} },
    );
    const retries: RetryEvent[] = [];
    const cal = createCalendarClient({
      tokenSource,
      subject: "bob@example.com",
      scopes: ["https://www.googleapis.com/auth/calendar"],
      rootUrl: `${BASE}/calendar/v3`,
      fetch: via,
      retry: { retries: 12, sleep: () => Promise.resolve() },
      onRetry: (e) => retries.push(e),
    });
    // Tokens first, so that the faults below fall on Calendar calls only.
    await cal.calendarList.get("primary");
    Object.assign(emulator.faults, {
      errorRates: { "429": 0.08, "503": 0.06, reset: 0.06 },
      seed: 2026,
      retryAfterSeconds: 1,
    });

    const reads: (() => Promise<unknown>)[] = [
      () => cal.events.list("primary", { maxResults: 50 }),
      () => cal.calendarList.get("primary"),
      () => cal.colors.get(),
      () => cal.settings.get("timezone"),
      () =>
        cal.freebusy.query({
          timeMin: "2026-04-01T00:00:00Z",
          timeMax: "2026-04-08T00:00:00Z",
          items: [{ id: "bob@example.com" }],
        }),
    ];
    let readOk = 0;
    for (let i = 0; i < 1000; i++) {
      await reads[i % reads.length]!();
      readOk++;
    }
    expect(readOk).toBe(1000);

    // 100 inserts one by one, 100 in batches of 25; the client picks every event ID itself.
    const event = (i: number) => ({
      summary: `Fault ${i}`,
      start: { date: "2026-04-02" },
      end: { date: "2026-04-03" },
    });
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) ids.add((await cal.events.insert("primary", event(i))).id!);
    const batched = await cal.batch(
      (b) => Array.from({ length: 100 }, (_, j) => b.events.insert("primary", event(100 + j))),
      { chunkSize: 25 },
    );
    for (const r of batched) {
      if (!r.ok) throw r.error;
      ids.add(r.value.id!);
    }
    expect(ids.size).toBe(200);

    const stats = emulator.stats;
    const injected = Object.values(stats.faultsInjected).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThan(150); // ~20 % of well over 1,200 calls
    expect(stats.faultsInjected["reset"]).toBeGreaterThan(10);
    expect(retries.length).toBe(injected);
    expect(retries.some((r) => r.inBatch === true)).toBe(true);
    // An insert whose answer a reset lost was stored: its retry met 409 duplicate, and the client read
    // the stored event instead (the reads above never call events.get).
    expect(stats.byEndpoint["calendar.events.get"]).toBeGreaterThan(0);

    emulator.faults.errorRates = {};
    const stored: string[] = [];
    for await (const e of cal.events.all("primary", { q: "Fault" })) stored.push(e.summary!);
    const counts = new Map<string, number>();
    for (const s of stored) counts.set(s, (counts.get(s) ?? 0) + 1);
    expect(counts.size).toBe(200);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  }, 120_000);
});
