import { describe, expect, it } from "vitest";
import { createCalendarClient, defaultCalendarScopes } from "../src/index.ts";
import type { CalendarTokenSource } from "../src/index.ts";

describe("CalendarClientOptions.scopes", () => {
  it("createCalendarClient() takes a readonly scope list, such as defaultCalendarScopes itself", async () => {
    const asked: (readonly string[])[] = [];
    const tokenSource: CalendarTokenSource = {
      getToken: (o) => (
        asked.push(o.scopes),
        Promise.resolve({ accessToken: "t", expiresAt: 0, scopes: o.scopes })
      ),
    };
    const scopes: readonly string[] = [
      ...defaultCalendarScopes,
      "https://www.googleapis.com/auth/calendar",
    ];
    const fetch = (): Promise<Response> =>
      Promise.resolve(new Response(JSON.stringify({ id: "info@example.com" })));
    await createCalendarClient({
      tokenSource,
      scopes,
      rootUrl: "http://e/calendar/v3",
      fetch,
    }).calendarList.get("info@example.com");
    await createCalendarClient({
      tokenSource,
      scopes: defaultCalendarScopes,
      rootUrl: "http://e/calendar/v3",
      fetch,
    }).calendarList.get("info@example.com");
    expect(asked).toEqual([scopes, defaultCalendarScopes]);
  });
});
