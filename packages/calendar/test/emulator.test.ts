import { createTokenSource, DelegationError, loadKey } from "@dwd/auth";
import { createEmulator } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import { beforeAll, describe, expect, it } from "vitest";
import { CalendarApiError, createCalendarClient } from "../src/index.ts";

// The emulator's pure handler stands in for Google: no socket, same status codes and bodies.
let emulator: Emulator;
let doFetch: typeof fetch;
const root = "http://emulator.test/calendar/v3";

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", baseUrl: "http://emulator.test" });
  doFetch = (input, init) => emulator.fetch(new Request(input, init));
});

async function clientAs(
  account: string,
  subject?: string,
): Promise<ReturnType<typeof createCalendarClient>> {
  const key = await loadKey(await emulator.serviceAccountKeyJson(account));
  const tokenSource = createTokenSource(key, { fetch: doFetch });
  return createCalendarClient({ tokenSource, subject, rootUrl: root, fetch: doFetch });
}

describe("against the emulator", () => {
  it("calendarList.get() as info@example.com returns the primary calendar", async () => {
    const client = await clientAs("calendar-bot", "info@example.com");
    const entry = await client.calendarList.get("info@example.com");
    expect(entry).toMatchObject({
      id: "info@example.com",
      summary: "info@example.com",
      primary: true,
    });
  });

  it("createTokenSource() and createCalendarClient() take emulator.fetch itself as their fetch", async () => {
    const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
    const client = createCalendarClient({
      tokenSource: createTokenSource(key, { fetch: emulator.fetch }),
      subject: "info@example.com",
      rootUrl: root,
      fetch: emulator.fetch,
    });
    expect(await client.calendarList.get("primary")).toMatchObject({ id: "info@example.com" });
  });

  it("fields: a partial response from the emulator, and a bad selection is a 400 naming it", async () => {
    const client = await clientAs("calendar-bot", "info@example.com");
    const page = await client.events.list("primary", { fields: "items(id,summary),nextSyncToken" });
    expect(Object.keys(page).sort()).toEqual(["items", "nextSyncToken"]);
    expect(page.items?.every((e) => Object.keys(e).sort().join() === "id,summary")).toBe(true);
    const error = await client.colors.get({ fields: "calendar,bogus" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CalendarApiError);
    expect(error).toMatchObject({ status: 400, reason: "invalidParameter" });
    expect((error as Error).message).toContain("Invalid field selection bogus");
  });

  it("calendarList.listAll() walks every page of the user's list", async () => {
    const client = await clientAs("calendar-bot", "info@example.com");
    const summaries: (string | undefined)[] = [];
    for await (const entry of client.calendarList.listAll({ maxResults: 1 }))
      summaries.push(entry.summary ?? undefined);
    expect(summaries.sort()).toEqual(["Support rota", "info@example.com"]);
  });

  it("calendarList.get() without a subject says to set the subject", async () => {
    const client = await clientAs("calendar-bot");
    const error = (await client.calendarList
      .get("info@example.com")
      .catch((e: unknown) => e)) as CalendarApiError;
    expect(error).toBeInstanceOf(CalendarApiError);
    expect(error.code).toBe("not_in_service_account_list");
    expect(error.status).toBe(404);
    expect(error.message).toMatch(
      /^Cannot get calendar "info@example\.com" from the calendar list of service account "calendar-bot@/,
    );
    expect(error.hint).toContain("--subject info@example.com");
  });

  it("passes the token endpoint's refusal through as a DelegationError", async () => {
    const client = await clientAs("ungranted-bot", "info@example.com");
    const error = await client.calendarList.get("info@example.com").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DelegationError);
    expect((error as DelegationError).code).toBe("delegation_not_authorized");
  });

  // Issue 13, item 6. dwd absorbs only the ambiguity it makes itself: a delete it retried (the first
  // attempt deleted the event, its answer was lost) that then finds the event gone has succeeded. A
  // second delete the caller sends is told the truth, as Google tells it: 410 "deleted".
  it("a retried delete that finds the event gone succeeds; an explicit second delete fails with deleted (410)", async () => {
    const key = await loadKey(await emulator.serviceAccountKeyJson("calendar-bot"));
    let lose = 0; // DELETEs whose answer the network loses after the emulator acted
    const losing: typeof fetch = async (input, init) => {
      const response = await doFetch(input, init);
      if (init?.method === "DELETE" && lose-- > 0)
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
        });
      return response;
    };
    const cal = createCalendarClient({
      tokenSource: createTokenSource(key, { fetch: doFetch }),
      subject: "info@example.com",
      rootUrl: root,
      fetch: losing,
      retry: { sleep: () => Promise.resolve() },
    });
    const event = await cal.events.insert("primary", {
      summary: "Deleted twice",
      start: { date: "2026-04-02" },
      end: { date: "2026-04-03" },
    });
    lose = 1;
    await expect(cal.events.delete("primary", event.id!)).resolves.toBeUndefined();
    expect(lose).toBe(-1); // the lost answer, then the retry that found it gone

    const again = (await cal.events
      .delete("primary", event.id!)
      .catch((e: unknown) => e)) as CalendarApiError;
    expect(again).toBeInstanceOf(CalendarApiError);
    expect({
      code: again.code,
      status: again.status,
      message: again.message,
      hint: again.hint,
    }).toEqual({
      code: "deleted",
      status: 410,
      message:
        'Cannot call calendar "primary" with calendar.events.delete as "info@example.com": the resource has already been deleted',
      hint: 'Nothing to do: it is already gone (code "deleted"; a delete that only needs it gone may treat this as done)',
    });
    const [inBatch] = await cal.batch((b) => [b.events.delete("primary", event.id!)]);
    expect(inBatch).toMatchObject({
      ok: false,
      method: "calendar.events.delete",
      subject: "info@example.com",
      error: { code: "deleted", status: 410 },
    });
  });
});
