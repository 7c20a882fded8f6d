/**
 * Run by batch-failures.property.test.ts as a plain Node process (no test runner to catch anything):
 * a property over a real socket — batches of 1–100 calls, each acting as a user who fails somewhere
 * (at the token endpoint: unknown, suspended, scope not granted, endpoint down, connection reset; at
 * the API: 403, 404, 410) or not at all, some batches with their connection reset — must give exactly
 * one result per call, the right one. An unobserved rejection would end this process with a stack
 * trace, and a late-handled one would print a warning: the parent requires exit 0 and no output.
 *
 * Env: DWD_PROPERTY_RUNS (default 25), DWD_PROPERTY_SEED (default: fast-check's own).
 */
import { createTokenSource, DelegationError, loadKey } from "@dwd/auth";
import { startEmulator } from "@dwd/emulator/node";
import fc from "fast-check";
import { CalendarApiError, createCalendarClient } from "../src/index.ts";
import type { PreparedCall } from "../src/index.ts";
import { startFaultProxy } from "./fault-proxy.ts";

const CALENDAR = "https://www.googleapis.com/auth/calendar";
const users = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
const ok = users("ok", 50);
const suspended = users("suspended", 4);
const down = users("down", 4);
const reset = users("reset", 4);
const unknown = users("ghost", 4);

// Every failure kind: how to build its call, and what its result must be.
type Expected =
  | { ok: true }
  | { ok: false; error: typeof CalendarApiError | typeof DelegationError; code: string };
interface Kind {
  users: string[];
  call(b: Builders, subject: string): PreparedCall<unknown>;
  expect: Expected;
  method: string;
}
interface Builders {
  granted: ReturnType<typeof createCalendarClient>["calls"];
  readDefault: ReturnType<typeof createCalendarClient>["calls"];
}
const kinds: Record<string, Kind> = {
  ok: {
    users: ok,
    call: (b, s) => b.granted.as(s).events.list("primary", { maxResults: 1 }),
    expect: { ok: true },
    method: "calendar.events.list",
  },
  unknownUser: {
    users: unknown,
    call: (b, s) => b.granted.as(s).events.list("primary"),
    expect: { ok: false, error: DelegationError, code: "unknown_subject" },
    method: "calendar.events.list",
  },
  suspendedUser: {
    users: suspended,
    call: (b, s) => b.granted.as(s).events.list("primary"),
    expect: { ok: false, error: DelegationError, code: "user_suspended" },
    method: "calendar.events.list",
  },
  scopeNotGranted: {
    // The grant holds only …/auth/calendar; the default read scope is calendar.readonly.
    users: ok,
    call: (b, s) => b.readDefault.as(s).calendarList.get("primary"),
    expect: { ok: false, error: DelegationError, code: "delegation_not_authorized" },
    method: "calendar.calendarList.get",
  },
  endpointDown: {
    users: down,
    call: (b, s) => b.granted.as(s).events.list("primary"),
    expect: { ok: false, error: DelegationError, code: "token_endpoint_unavailable" },
    method: "calendar.events.list",
  },
  tokenConnectionReset: {
    users: reset,
    call: (b, s) => b.granted.as(s).events.list("primary"),
    expect: { ok: false, error: DelegationError, code: "token_endpoint_unreachable" },
    method: "calendar.events.list",
  },
  api403: {
    // A colleague's calendar's ACL needs its owner.
    users: ok,
    call: (b, s) => b.granted.as(s).acl.list(s === ok[0] ? ok[1]! : ok[0]!),
    expect: { ok: false, error: CalendarApiError, code: "required_access_level" },
    method: "calendar.acl.list",
  },
  api404: {
    users: ok,
    call: (b, s) => b.granted.as(s).events.get("primary", "nosuchevent0000"),
    expect: { ok: false, error: CalendarApiError, code: "not_found" },
    method: "calendar.events.get",
  },
  api410: {
    users: ok,
    call: (b, s) => b.granted.as(s).events.list("primary", { syncToken: "bm90LWEtdG9rZW4" }),
    expect: { ok: false, error: CalendarApiError, code: "full_sync_required" },
    method: "calendar.events.list",
  },
};

const running = await startEmulator({
  port: 0,
  scenario: {
    domain: "example.com",
    users: [
      ...[...ok, ...down, ...reset].map((email) => ({ email })),
      ...suspended.map((email) => ({ email, suspended: true })),
    ],
    serviceAccounts: [{ name: "calendar-bot" }],
    grants: [{ serviceAccount: "calendar-bot", scopes: [CALENDAR] }],
  },
});
let resetBatches = 0;
const proxy = await startFaultProxy(running.url, {
  token(subject) {
    if (subject !== undefined && down.includes(subject))
      return {
        status: 503,
        body: {
          error: "temporarily_unavailable",
          error_description: "The service is currently unavailable.",
        },
      };
    if (subject !== undefined && reset.includes(subject)) return "reset";
    return "pass";
  },
  batch: () => (resetBatches-- > 0 ? "reset" : "pass"),
});
// Assertions are addressed to the proxy's token URI: the emulator's public origin is the proxy's.
running.emulator.baseUrl = proxy.url;
const key = await loadKey(await running.emulator.serviceAccountKeyJson("calendar-bot"));
const noWait = { sleep: () => Promise.resolve() };

try {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom(...Object.keys(kinds)), fc.nat()), {
        minLength: 1,
        maxLength: 100,
      }),
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 0, max: 2 }),
      async (picks, chunkSize, resets) => {
        // A fresh token cache per run: every token failure happens again, concurrently.
        const tokenSource = createTokenSource(key, {
          tokenUri: `${proxy.url}/token`,
          env: {},
          retry: { retries: 2, ...noWait },
        });
        const common = { tokenSource, env: {}, rootUrl: `${proxy.url}/calendar/v3`, retry: noWait };
        const b: Builders = {
          granted: createCalendarClient({ ...common, scopes: [CALENDAR] }).calls,
          readDefault: createCalendarClient(common).calls,
        };
        const parts = picks.map(([name, n]) => {
          const kind = kinds[name]!;
          return { kind, subject: kind.users[n % kind.users.length]! };
        });
        resetBatches = resets;
        const cal = createCalendarClient({ ...common, scopes: [CALENDAR] });
        const results = await cal.batch(
          parts.map((p) => p.kind.call(b, p.subject)),
          { chunkSize },
        );
        if (results.length !== parts.length)
          throw new Error(`${results.length} results for ${parts.length} calls`);
        results.forEach((r, i) => {
          const { kind, subject } = parts[i]!;
          const where = `part ${i} (${subject}, ${kind.method})`;
          if (r.subject !== subject || r.method !== kind.method)
            throw new Error(`${where}: result names ${r.subject}, ${r.method}`);
          if (kind.expect.ok) {
            if (!r.ok) throw new Error(`${where}: failed with ${r.error.code}: ${r.error.message}`);
            return;
          }
          if (r.ok) throw new Error(`${where}: succeeded, expected ${kind.expect.code}`);
          if (!(r.error instanceof kind.expect.error) || r.error.code !== kind.expect.code)
            throw new Error(
              `${where}: ${r.error.name} ${r.error.code}, expected ${kind.expect.code}`,
            );
          if (!r.error.message.includes(subject) || r.error.hint === undefined)
            throw new Error(`${where}: message or hint does not name the user: ${r.error.message}`);
        });
      },
    ),
    {
      // First the two batches that killed the process before (issue 13): 50 users whose grant lacks
      // the default read scope; 4 users of whom one is unknown and one suspended.
      examples: [
        [Array.from({ length: 50 }, (_, i): [string, number] => ["scopeNotGranted", i]), 50, 0],
        [
          [
            ["ok", 0],
            ["unknownUser", 0],
            ["suspendedUser", 0],
            ["ok", 1],
          ],
          50,
          0,
        ],
      ],
      numRuns: Number(process.env["DWD_PROPERTY_RUNS"] ?? 25),
      ...(process.env["DWD_PROPERTY_SEED"]
        ? { seed: Number(process.env["DWD_PROPERTY_SEED"]) }
        : {}),
    },
  );
} finally {
  await proxy.close();
  await running.close();
}
