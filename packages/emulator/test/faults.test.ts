/**
 * The fault contract in counts (no timing): with 20 % of calls failing (429, 503, connection
 * resets), a simple retrying client gets every read, and client-chosen IDs make every insert land
 * exactly once even when a reset lost the answer of a write that happened.
 */
import { describe, expect, it } from "vitest";
import { harness } from "./calendar-helpers.ts";

const retryable = new Set([429, 500, 502, 503, 504]);

/** A deliberately small client: retries 429/5xx, 403 rateLimitExceeded and resets, no sleeping. */
async function withRetry(attempt: () => Promise<Response>, onRetry: () => void): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      const res = await attempt();
      const rateLimited =
        res.status === 403 && (await res.clone().text()).includes('"rateLimitExceeded"');
      if (!(retryable.has(res.status) || rateLimited) || i >= 20) return res;
    } catch (err) {
      if (!(err instanceof TypeError) || i >= 20) throw err;
    }
    onRetry();
  }
}

describe("20 % injected 429/503/reset over 1,000 reads and 200 inserts", () => {
  it("every read succeeds and every insert exists exactly once", async () => {
    const h = await harness({
      faults: {
        errorRates: { "429": 0.08, "503": 0.06, reset: 0.06 },
        seed: 2026,
        retryAfterSeconds: 0,
      },
    });
    const token = await h.token("bob@example.com");
    const base = `${h.emulator.baseUrl}/calendar/v3`;
    const auth = { authorization: `Bearer ${token}` };
    let retries = 0;
    const send = (url: string, init: RequestInit = {}) =>
      withRetry(
        () =>
          h.emulator.fetch(
            new Request(url, {
              ...init,
              headers: { ...auth, ...(init.headers as Record<string, string>) },
            }),
          ),
        () => retries++,
      );

    const reads = [
      `${base}/calendars/primary/events?maxResults=50`,
      `${base}/users/me/calendarList/primary`,
      `${base}/calendars/info%40example.com/events/qbr00001`,
      `${base}/colors`,
      `${base}/users/me/settings/timezone`,
    ];
    let readOk = 0;
    for (let i = 0; i < 1000; i++) {
      const res = await send(reads[i % reads.length] ?? "");
      if (res.status === 200) readOk++;
      await res.body?.cancel();
    }

    let insertOk = 0;
    let resolvedDuplicates = 0;
    for (let i = 0; i < 200; i++) {
      const id = `fault${i.toString(32).padStart(4, "0")}`;
      let tried = 0;
      const res = await withRetry(
        () => {
          tried++;
          return h.emulator.fetch(
            new Request(`${base}/calendars/primary/events`, {
              method: "POST",
              headers: { ...auth, "content-type": "application/json" },
              body: JSON.stringify({
                id,
                summary: `Fault ${i}`,
                start: { date: "2026-04-02" },
                end: { date: "2026-04-03" },
              }),
            }),
          );
        },
        () => retries++,
      );
      if (res.status === 200) insertOk++;
      else if (res.status === 409 && tried > 1) {
        // The first attempt landed but its answer was lost: the event is ours.
        const got = await send(`${base}/calendars/primary/events/${id}`);
        if (got.status === 200) {
          insertOk++;
          resolvedDuplicates++;
        }
      }
      await res.body?.cancel();
    }

    const injected = Object.values(h.emulator.stats.faultsInjected).reduce((a, b) => a + b, 0);
    expect(readOk).toBe(1000);
    expect(insertOk).toBe(200);
    expect(injected).toBe(retries);
    expect(injected).toBeGreaterThan(200);
    expect(h.emulator.stats.faultsInjected["reset"]).toBeGreaterThan(10);
    expect(resolvedDuplicates).toBeGreaterThan(0);

    h.emulator.faults.errorRates = {};
    const ids: string[] = [];
    let pageToken: string | undefined;
    do {
      const q = pageToken === undefined ? "" : `&pageToken=${encodeURIComponent(pageToken)}`;
      const page = (await (
        await send(`${base}/calendars/primary/events?maxResults=2500&q=Fault${q}`)
      ).json()) as { items: { id: string }[]; nextPageToken?: string };
      ids.push(...page.items.map((e) => e.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
  }, 120_000);
});
