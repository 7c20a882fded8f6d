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
});
