// Google's umbrella `googleapis` package works with `@dwd/auth/google-auth-library` against the
// emulator, and reads the same data as @dwd/calendar, resource by resource.
import { createTokenSource, loadKey } from "@dwd/auth";
import { toAuthClient } from "@dwd/auth/google-auth-library";
import { createEmulator } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import { google } from "googleapis";
import type { calendar_v3 } from "googleapis";
import { beforeAll, describe, expect, it } from "vitest";
import { createCalendarClient } from "../src/index.ts";
import type { CalendarClient } from "../src/index.ts";

const BASE = "http://emulator.test";
const SUBJECT = "info@example.com";
const SCOPES = ["https://www.googleapis.com/auth/calendar"];
let emulator: Emulator;
let api: calendar_v3.Calendar;
let cal: CalendarClient;
const via =
  (e: Emulator): typeof fetch =>
  (input, init) =>
    e.fetch(new Request(input, init));

// Routes of the emulator as of now: a resource of the demo scenario that answers 404 to an authorized
// request is not served yet (the full Calendar v3 emulator lands separately); its case is skipped
// until it is, then it must pass.
const served = new Map<string, boolean>();
async function probe(path: string, token: string): Promise<boolean> {
  const response = await emulator.fetch(
    new Request(`${BASE}/calendar/v3/${path}`, { headers: { authorization: `Bearer ${token}` } }),
  );
  return response.status !== 404;
}

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", baseUrl: BASE });
  const source = createTokenSource(
    await loadKey(await emulator.serviceAccountKeyJson("calendar-bot")),
    { fetch: via(emulator), env: {} },
  );
  api = google.calendar({
    version: "v3",
    auth: toAuthClient(source, { subject: SUBJECT, scopes: SCOPES, fetch: via(emulator) }),
    rootUrl: `${BASE}/`,
  });
  cal = createCalendarClient({
    tokenSource: source,
    subject: SUBJECT,
    scopes: SCOPES,
    rootUrl: `${BASE}/calendar/v3`,
    fetch: via(emulator),
  });
  const { accessToken } = await source.getToken({ subject: SUBJECT, scopes: SCOPES });
  for (const [name, path] of Object.entries(paths))
    served.set(name, await probe(path, accessToken));
});

const paths: Record<string, string> = {
  calendarList: "users/me/calendarList",
  calendars: `calendars/${encodeURIComponent(SUBJECT)}`,
  events: `calendars/${encodeURIComponent(SUBJECT)}/events`,
  acl: `calendars/${encodeURIComponent(SUBJECT)}/acl`,
  colors: "colors",
  settings: "users/me/settings",
};

describe("googleapis + toAuthClient against the emulator", () => {
  it("google.calendar({ version: 'v3', auth }) reads the calendar list like @dwd/calendar", async () => {
    const theirs = await api.calendarList.get({ calendarId: SUBJECT });
    expect(theirs.status).toBe(200);
    expect(theirs.data).toMatchObject({ id: SUBJECT, primary: true });
    const ours = await cal.calendarList.get(SUBJECT);
    expect(ours).toEqual(theirs.data);
    const list = await api.calendarList.list({ maxResults: 250 });
    const all: unknown[] = [];
    for await (const e of cal.calendarList.all()) all.push(e);
    expect(all).toEqual(list.data.items);
  });

  const resources: {
    name: string;
    theirs: () => Promise<unknown>;
    ours: () => Promise<unknown>;
  }[] = [
    {
      name: "calendars",
      theirs: async () => (await api.calendars.get({ calendarId: SUBJECT })).data,
      ours: () => cal.calendars.get(SUBJECT),
    },
    {
      name: "events",
      theirs: async () =>
        (await api.events.list({ calendarId: SUBJECT, maxResults: 2500 })).data.items,
      ours: () => collect(cal.events.all(SUBJECT)),
    },
    {
      name: "acl",
      theirs: async () => (await api.acl.list({ calendarId: SUBJECT, maxResults: 250 })).data.items,
      ours: () => collect(cal.acl.all(SUBJECT)),
    },
    {
      name: "colors",
      theirs: async () => (await api.colors.get()).data,
      ours: () => cal.colors.get(),
    },
    {
      name: "settings",
      theirs: async () => (await api.settings.list({ maxResults: 250 })).data.items,
      ours: () => collect(cal.settings.all()),
    },
  ];
  for (const r of resources) {
    it(`${r.name}: googleapis and @dwd/calendar read the same`, async (ctx) => {
      if (served.get(r.name) !== true) ctx.skip(); // not served by this emulator yet
      expect(await r.ours()).toEqual(await r.theirs());
    });
  }
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
