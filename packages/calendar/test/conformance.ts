/**
 * The calendar's cross-runtime suite, written once: run by vitest on Node (conformance.test.ts) and by
 * Deno.test (conformance.deno.ts). It covers pages, incremental sync and batch — over the in-test fake
 * Calendar, and again against @dwd/emulator with real delegated tokens (RS256 assertions, per-user
 * grants, the emulator's own batch endpoint and sync tokens) — then gzip and deadlines.
 *
 * @module
 */

import { createTokenSource, loadKey } from "@dwd/auth";
import { createEmulator } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import { createCalendarClient, createEventSync, createMemorySyncStore } from "../src/index.ts";
import type { CalendarApiError } from "../src/index.ts";
import { createFakeCalendar, fakeTokenSource } from "./fake-calendar.ts";

/** One conformance case. */
export interface ConformanceCase {
  name: string;
  run(): Promise<void>;
}

function equal(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

function fakeClient() {
  const fake = createFakeCalendar();
  const cal = createCalendarClient({
    tokenSource: fakeTokenSource(),
    rootUrl: "http://fake/calendar/v3",
    fetch: fake.fetch,
    retry: { random: () => 0, sleep: () => Promise.resolve() },
  });
  return { fake, cal };
}

/** A client acting for users of a generated emulator scenario, with real delegated tokens. */
/** A client over the emulator's handler, with calendar-bot's key and delegated tokens from @dwd/auth. */
async function clientOver(emulator: Emulator, subject?: string) {
  const via = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    emulator.fetch(new Request(input, init));
  const tokenSource = createTokenSource(
    await loadKey(await emulator.serviceAccountKeyJson("calendar-bot")),
    { fetch: via, env: {} },
  );
  const cal = createCalendarClient({
    tokenSource,
    ...(subject !== undefined ? { subject } : {}),
    rootUrl: "http://emulator.test/calendar/v3",
    fetch: via,
  });
  return { cal, via };
}

async function emulatorClient(users: number, eventsEach: number) {
  const emulator = await createEmulator({
    baseUrl: "http://emulator.test",
    scenario: {
      domain: "example.com",
      users: { count: users, eventsEach },
      serviceAccounts: [{ name: "calendar-bot" }],
      grants: [
        {
          serviceAccount: "calendar-bot",
          scopes: [
            "https://www.googleapis.com/auth/calendar",
            "https://www.googleapis.com/auth/calendar.readonly",
          ],
        },
      ],
    },
  });
  const { cal, via } = await clientOver(emulator);
  const emails = emulator.scenario.users.map((u) => u.email);
  return { emulator, cal, emails, via };
}

/** The cases. */
export const conformanceCases: ConformanceCase[] = [
  {
    name: "pages: events.all() follows nextPageToken over every page",
    async run() {
      const { fake, cal } = fakeClient();
      const ana = cal.as("ana@example.com");
      for (let i = 0; i < 5; i++) await ana.events.insert("primary", { summary: `e${i}` });
      fake.log.length = 0;
      const seen: unknown[] = [];
      for await (const e of ana.events.all("primary", { maxResults: 2 })) seen.push(e.summary);
      equal(seen, ["e0", "e1", "e2", "e3", "e4"], "events");
      equal(fake.log.length, 3, "pages fetched");
    },
  },
  {
    name: "sync: full first, then only changes with cancelled events, then 410 → full resync",
    async run() {
      const { fake, cal } = fakeClient();
      const ana = cal.as("ana@example.com");
      const a = await ana.events.insert("primary", { summary: "a" });
      const store = createMemorySyncStore();
      const sync = createEventSync({ client: ana, store, calendarId: "primary" });
      const first = await sync.run();
      equal([first.fullSync, first.events.length], [true, 1], "first run");
      await ana.events.delete("primary", a.id!);
      const second = await sync.run();
      equal(
        second.events.map((e) => [e.id, e.status]),
        [[a.id, "cancelled"]],
        "second run",
      );
      fake.expireSyncTokensBefore = Number.MAX_SAFE_INTEGER;
      const third = await sync.run();
      equal(
        [third.fullSync, third.fullSyncRequired, third.events.length],
        [true, true, 0],
        "after 410",
      );
      equal(store.entries(), { "ana@example.com|primary": third.syncToken }, "store");
    },
  },
  {
    name: "batch: 120 users' events.list in 3 multipart requests, per-part Authorization, results in order",
    async run() {
      const { fake, cal } = fakeClient();
      const users = Array.from({ length: 120 }, (_, i) => `u${i}@example.com`);
      await cal.as("u7@example.com").events.insert("primary", { summary: "seven" });
      fake.httpRequests = 0;
      const results = await cal.batch((b) => users.map((u) => b.as(u).events.list("primary")));
      equal(fake.batchRequests, 3, "batch requests");
      equal(fake.httpRequests, 3, "HTTP requests");
      equal(
        results.every((r) => r.ok),
        true,
        "all ok",
      );
      const seventh = results[7]!;
      equal(
        seventh.ok ? seventh.value.items?.map((e) => e.summary) : seventh.error.message,
        ["seven"],
        "u7's events",
      );
    },
  },
  {
    name: "emulator: calendarList.all() with a delegated token from @dwd/auth",
    async run() {
      const emulator = await createEmulator({ scenario: "demo", baseUrl: "http://emulator.test" });
      const { cal } = await clientOver(emulator, "info@example.com");
      const summaries: unknown[] = [];
      for await (const e of cal.calendarList.all({ maxResults: 1 })) summaries.push(e.summary);
      equal([...summaries].sort(), ["Support rota", "info@example.com"], "calendar list");
    },
  },
  {
    name: "emulator pages: events.all() reads every event of a user, a page of 7 at a time",
    async run() {
      const { emulator, cal, emails } = await emulatorClient(2, 20);
      const before = emulator.stats.apiRequests;
      const seen = new Set<string>();
      for await (const e of cal.as(emails[0]).events.all("primary", { maxResults: 7 }))
        seen.add(e.id!);
      equal(seen.size, 20, "distinct events");
      equal(emulator.stats.apiRequests - before, 3, "pages fetched (7 + 7 + 6)");
    },
  },
  {
    name: "emulator sync: full, then only a change and a cancellation, then 410 → full resync",
    async run() {
      const { cal, emails, via } = await emulatorClient(1, 5);
      const user = cal.as(emails[0]);
      const store = createMemorySyncStore();
      const sync = createEventSync({ client: user, store, calendarId: "primary" });
      const first = await sync.run();
      equal([first.fullSync, first.events.length], [true, 5], "first run");
      const [a, b] = first.events;
      await user.events.patch("primary", a!.id!, { summary: "moved" });
      await user.events.delete("primary", b!.id!);
      const second = await sync.run();
      const byId = (x: unknown[], y: unknown[]): number => String(x[0]).localeCompare(String(y[0]));
      equal(
        second.events
          .map((e) => [e.id, e.status, e.status === "cancelled" ? "" : e.summary])
          .sort(byId),
        [
          [a!.id, "confirmed", "moved"],
          [b!.id, "cancelled", ""],
        ].sort(byId),
        "second run",
      );
      equal((await sync.run()).events.length, 0, "nothing changed");
      const expired = await via("http://emulator.test/_emulator/expire-sync-tokens", {
        method: "POST",
      });
      equal(expired.status, 200, "expire-sync-tokens");
      const third = await sync.run();
      equal(
        [third.fullSync, third.fullSyncRequired, third.events.length],
        [true, true, 4],
        "after 410",
      );
    },
  },
  {
    name: "emulator batch: 120 users' events.list in 3 multipart requests, one token per user, in order",
    async run() {
      const { emulator, cal, emails } = await emulatorClient(120, 3);
      const results = await cal.batch((b) => emails.map((u) => b.as(u).events.list("primary")));
      equal(emulator.stats.batchRequests, 3, "batch requests");
      equal(emulator.stats.batchParts, 120, "batch parts");
      equal(emulator.stats.tokensIssued, 120, "token exchanges");
      equal(
        results.map((r) => (r.ok ? r.value.summary : r.error.message)),
        emails,
        "each part answered for its own user",
      );
      equal(
        results.every((r) => r.ok && r.value.items?.length === 3),
        true,
        "three events each",
      );
    },
  },
  {
    name: "gzip: a gzipped body is inflated with the runtime's DecompressionStream",
    async run() {
      const gz = new Uint8Array(
        await new Response(
          new Blob(['{"kind":"calendar#colors"}'])
            .stream()
            .pipeThrough(new CompressionStream("gzip")),
        ).arrayBuffer(),
      );
      const cal = createCalendarClient({
        tokenSource: fakeTokenSource(),
        rootUrl: "http://x/calendar/v3",
        gzip: true,
        fetch: () => Promise.resolve(new Response(gz)),
      });
      equal(await cal.colors.get(), { kind: "calendar#colors" }, "colors");
    },
  },
  {
    name: "deadline: a hung endpoint ends in a timeout error",
    async run() {
      const cal = createCalendarClient({
        tokenSource: fakeTokenSource(),
        rootUrl: "http://x/calendar/v3",
        timeoutMs: 30,
        fetch: () => new Promise(() => undefined),
      });
      const error = (await cal.colors.get().then(
        () => undefined,
        (e: unknown) => e,
      )) as CalendarApiError | undefined;
      equal([error?.code, error?.retryable], ["timeout", true], "error");
    },
  },
];
