// Bulk writes across users, exactly once: the bundled dwd against the emulator on a real port. Events are
// counted at the emulator through the library (not through dwd), writes through /_emulator/stats.
import { createTokenSource, loadKey } from "@dwd/auth";
import { createCalendarClient } from "@dwd/calendar";
import type { Event } from "@dwd/calendar";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv, dwd } from "./helpers.ts";

const auth = "https://www.googleapis.com/auth/";
const userCount = 500;
const users = Array.from(
  { length: userCount },
  (_, i) => `user${String(i + 1).padStart(4, "0")}@example.com`,
);
const scenario = {
  domain: "example.com",
  users: { count: userCount },
  serviceAccounts: [{ name: "calendar-bot" }],
  grants: [{ serviceAccount: "calendar-bot", scopes: [`${auth}calendar`] }],
};

let server: RunningEmulator;
let dir: string;
let key: string;
let usersFile: string;
let eventFile: string;
let listAll: (subjects: readonly string[], q: string) => Promise<Map<string, Event[]>>;

const writes = ["calendar.events.insert", "calendar.events.patch", "calendar.events.delete"];

async function stats(): Promise<{ byEndpoint: Record<string, number>; batchParts: number }> {
  return (await (await fetch(`${server.url}/_emulator/stats`)).json()) as {
    byEndpoint: Record<string, number>;
    batchParts: number;
  };
}
const writesSent = async (): Promise<number> => {
  const s = await stats();
  return writes.reduce((n, w) => n + (s.byEndpoint[w] ?? 0), 0);
};
async function setFaults(faults: Record<string, unknown>): Promise<void> {
  const r = await fetch(`${server.url}/_emulator/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(faults),
  });
  expect(r.status).toBe(200);
}
const env = (): Record<string, string> => cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host });
const run = (args: string[]): ReturnType<typeof dwd> => dwd(args, env(), 120_000);
const lines = (stdout: string): Record<string, unknown>[] =>
  stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const countBy = (rows: Record<string, unknown>[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rows) out[String(r["status"])] = (out[String(r["status"])] ?? 0) + 1;
  return out;
};
const total = (m: Map<string, Event[]>): number =>
  [...m.values()].reduce((n, l) => n + l.length, 0);

const event = {
  summary: "Offsite kick-off",
  start: { dateTime: "2027-03-01T09:00:00Z" },
  end: { dateTime: "2027-03-01T10:00:00Z" },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-bulk-"));
  server = await startEmulator({
    scenario: scenario as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: join(dir, "keys"),
  });
  key = server.keyFiles["calendar-bot"]?.json ?? "";
  usersFile = join(dir, "users.txt");
  await writeFile(usersFile, `${users.join("\n")}\n`);
  eventFile = join(dir, "event.json");
  await writeFile(eventFile, JSON.stringify(event));
  const tokenSource = createTokenSource(await loadKey(key), { tokenUri: `${server.url}/token` });
  const client = createCalendarClient({
    tokenSource,
    rootUrl: `${server.url}/calendar/v3`,
    scopes: [`${auth}calendar`],
  });
  listAll = async (subjects, q) => {
    const results = await client.batch(
      subjects.map((s) => client.calls.as(s).events.list("primary", { q, maxResults: 2500 })),
    );
    const out = new Map<string, Event[]>();
    for (const [i, r] of results.entries()) {
      if (!r.ok) throw r.error;
      out.set(subjects[i] ?? "", r.value.items ?? []);
    }
    return out;
  };
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await setFaults({});
});

describe("events create for many users", () => {
  it("one event for 500 users under 20 % injected faults: exactly 500 events; a rerun creates 0", async () => {
    const args = ["events", "create", "primary", "--key", key, "--subjects-file", usersFile];
    // A dry run first: every (user, event) would be created, and no write is sent.
    const writesBefore = await writesSent();
    const dry = await run([...args, "--file", eventFile, "--dry-run"]);
    expect(dry.stderr).toMatch(
      /summary: 500 events of 500 users: 0 created, 500 would create, 0 unchanged, 0 failed;/,
    );
    expect(dry.code).toBe(0);
    expect(countBy(lines(dry.stdout))).toEqual({ "would-create": 500 });
    expect(await writesSent()).toBe(writesBefore);

    // 20 % of calls and batch parts fail (a fifth of them a reset: the insert runs, its answer is lost).
    const faults = {
      errorRates: { "429": 0.04, "403": 0.04, "500": 0.04, "503": 0.04, reset: 0.04 },
      seed: 16,
      retryAfterSeconds: 0,
    };
    await setFaults(faults);
    // Without retries the first run fails some; with them, the rerun completes.
    const first = await run([...args, "--file", eventFile, "--retries", "0"]);
    const firstCounts = countBy(lines(first.stdout));

    expect(first.code).toBe(1);
    expect(firstCounts["failed"]).toBeGreaterThan(0);
    expect((firstCounts["created"] ?? 0) + (firstCounts["failed"] ?? 0)).toBe(500);
    expect(first.stderr).toContain(`error: ${firstCounts["failed"]} of 500 events failed:`);
    expect(first.stderr).toContain(
      "hint: Run the same command again: what was created is recognised and left as it is, only the rest is sent",
    );
    // Each user has the event at most once (a reset insert ran although it reported a failure).
    await setFaults({});
    const afterFirst = await listAll(users, "Offsite");
    expect(total(afterFirst)).toBeGreaterThanOrEqual(firstCounts["created"] ?? 0);
    expect(Math.max(...[...afterFirst.values()].map((l) => l.length))).toBe(1);
    await setFaults(faults);
    // With retries, a rerun completes (a part that fails all seven attempts is rare: 0.2^7 a part; then
    // the rerun is repeated as an admin would, at most three times).
    const retrying = ["--retries", "6", "--timeout", "2m"];
    let rerun: Awaited<ReturnType<typeof run>>;
    let created = 0;
    let reruns = 0;
    do {
      rerun = await run([...args, "--file", eventFile, ...retrying]);
      reruns++;
      const counts = countBy(lines(rerun.stdout));
      created += counts["created"] ?? 0;
      // Every run accounts for every (user, event): created now, there already, or failed.
      expect((counts["created"] ?? 0) + (counts["exists"] ?? 0) + (counts["failed"] ?? 0)).toBe(
        500,
      );
    } while (rerun.code !== 0 && reruns < 3);
    expect(rerun.stderr).toMatch(/ 0 failed;/);
    expect(rerun.code).toBe(0);
    // Counted at the emulator: created by the reruns is exactly what the first run left to do.
    expect(created).toBe(500 - total(afterFirst));

    await setFaults({});
    const found = await listAll(users, "Offsite");
    expect(total(found)).toBe(500);
    for (const u of users) expect(found.get(u)?.length).toBe(1);

    // A further run, faults still on: nothing is created (an insert that a retry finds there is "exists").
    await setFaults(faults);
    const third = await run([...args, "--file", eventFile, ...retrying]);
    await setFaults({});
    const thirdCounts = countBy(lines(third.stdout));
    expect(thirdCounts["created"]).toBeUndefined();
    expect((thirdCounts["exists"] ?? 0) + (thirdCounts["failed"] ?? 0)).toBe(500);
    expect(third.stderr).toMatch(
      /summary: 500 events of 500 users: 0 created, \d+ unchanged, \d+ failed;/,
    );
    const fourth = await run([...args, "--file", eventFile]);
    expect(fourth.code).toBe(0);
    expect(countBy(lines(fourth.stdout))).toEqual({ exists: 500 });
    expect(fourth.stderr).toMatch(
      /summary: 500 events of 500 users: 0 created, 500 unchanged, 0 failed;/,
    );
    expect(total(await listAll(users, "Offsite"))).toBe(500);
    // Every user of the domain (--all-users: the emulator's scenario here), dry: all there, nothing sent.
    const writesBeforeAll = await writesSent();
    const all = await run([
      ...["events", "create", "primary", "--key", key, "--all-users", "--file", eventFile],
      "--dry-run",
    ]);
    expect(all.code).toBe(0);
    expect(countBy(lines(all.stdout))).toEqual({ unchanged: 500 });
    expect(await writesSent()).toBe(writesBeforeAll);
    // The IDs are the ones a single-user run derives: the same event is never made twice either way.
    const one = await run([
      "events",
      "create",
      "primary",
      "--key",
      key,
      "--subject",
      users[0] ?? "",
      "--file",
      eventFile,
    ]);
    expect(one.code).toBe(0);
    expect(lines(one.stdout)[0]?.["status"]).toBe("exists");
  }, 240_000);
});

describe("CSV rows, patch and delete across users", () => {
  const three = users.slice(0, 3);
  const base = ["--key", "KEY"];
  const withKey = (args: string[]): string[] => args.map((a) => (a === "KEY" ? key : a));

  it("creates each CSV row for its own user, once; a rerun creates nothing", async () => {
    const csv = join(dir, "rows.csv");
    await writeFile(
      csv,
      [
        "subject,summary,start.dateTime,end.dateTime,attendees.email",
        `${three[0]},Retro,2027-04-01T09:00:00Z,2027-04-01T10:00:00Z,`,
        `${three[1]},"Retro, with ""guests""",2027-04-01T09:00:00Z,2027-04-01T10:00:00Z,a@example.com b@example.com`,
        `${three[2]},Retro,2027-04-02T09:00:00Z,2027-04-02T10:00:00Z,`,
        "",
      ].join("\r\n"),
    );
    const args = withKey(["events", "create", "primary", ...base, "--csv-file", csv]);
    const first = await run(args);
    expect(first.code).toBe(0);
    expect(lines(first.stdout).map((l) => [l["subject"], l["line"], l["status"]])).toEqual([
      [three[0], 2, "created"],
      [three[1], 3, "created"],
      [three[2], 4, "created"],
    ]);
    expect(first.stderr).toMatch(/summary: 3 events of 3 users: 3 created, 0 unchanged, 0 failed;/);
    const again = await run(args);
    expect(again.code).toBe(0);
    expect(countBy(lines(again.stdout))).toEqual({ exists: 3 });
    const found = await listAll(three, "Retro");
    expect(total(found)).toBe(3);
    const guests = found.get(three[1] ?? "")?.[0];
    expect(guests?.summary).toBe('Retro, with "guests"');
    expect(guests?.attendees?.map((a) => a.email)).toEqual(["a@example.com", "b@example.com"]);
    expect(found.get(three[2] ?? "")?.[0]?.start?.dateTime).toBe("2027-04-02T09:00:00Z");
  });

  it("refuses an unknown column or a short row (exit 2, naming the line), sending nothing", async () => {
    const bad = join(dir, "bad.csv");
    await writeFile(bad, "subject,summary,start.dateTim\nuser0001@example.com,A,B\n");
    const before = await writesSent();
    const r = await run(withKey(["events", "create", "primary", ...base, "--file", bad]));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Invalid CSV in "${bad}" line 1: unknown column "start.dateTim"`);
    expect(r.stderr).toContain("hint: Columns: subject, summary,");
    await writeFile(
      bad,
      'subject,summary\nuser0001@example.com,A\nuser0002@example.com,"B\nb",extra\n',
    );
    const short = await run(withKey(["events", "create", "primary", ...base, "--csv-file", bad]));
    expect(short.code).toBe(2);
    expect(short.stderr).toContain(`Invalid CSV in "${bad}" line 3: 3 fields, the header has 2`);
    expect(await writesSent()).toBe(before);
  });

  it("patches and deletes the events a filter selects for each user, exactly once", async () => {
    const who = ["--subjects", three.join(",")];
    const patchArgs = withKey([
      "events",
      "patch",
      "primary",
      ...base,
      ...who,
      "--q",
      "Retro",
      "--from",
      "2027-03-31T00:00:00Z",
      "--to",
      "2027-04-03T00:00:00Z",
      "--body",
      '{"location":"Room 4"}',
    ]);
    let before = await writesSent();
    const dry = await run([...patchArgs, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(countBy(lines(dry.stdout))).toEqual({ "would-patch": 3 });
    expect(dry.stderr).toMatch(
      /summary: 3 events of 3 users: 0 patched, 3 would patch, 0 unchanged, 0 failed;/,
    );
    expect(await writesSent()).toBe(before);
    const patched = await run(patchArgs);
    expect(patched.code).toBe(0);
    expect(countBy(lines(patched.stdout))).toEqual({ patched: 3 });
    expect((await stats()).byEndpoint["calendar.events.patch"]).toBe(3);
    before = await writesSent();
    const repatch = await run(patchArgs);
    expect(countBy(lines(repatch.stdout))).toEqual({ unchanged: 3 });
    expect(await writesSent()).toBe(before);
    for (const events of (await listAll(three, "Retro")).values())
      expect(events.map((e) => e.location)).toEqual(["Room 4"]);

    const deleteArgs = withKey(["events", "delete", "primary", ...base, ...who, "--q", "Retro"]);
    const dryDelete = await run([...deleteArgs, "--dry-run"]);
    expect(countBy(lines(dryDelete.stdout))).toEqual({ "would-delete": 3 });
    expect(await writesSent()).toBe(before);
    const ids = lines(dryDelete.stdout).map((l) => String(l["id"]));
    const deleted = await run(deleteArgs);
    expect(deleted.code).toBe(0);
    expect(countBy(lines(deleted.stdout))).toEqual({ deleted: 3 });
    expect(deleted.stderr).toMatch(
      /summary: 3 events of 3 users: 3 deleted, 0 unchanged, 0 failed;/,
    );
    expect(total(await listAll(three, "Retro"))).toBe(0);
    // Again by ID: each user's event is gone already, so nothing is deleted.
    before = await writesSent();
    const again = await run(
      withKey([
        "events",
        "delete",
        "primary",
        ...base,
        "--subjects",
        three[0] ?? "",
        "--id",
        ids[0] ?? "",
      ]),
    );
    expect(again.code).toBe(0);
    expect(lines(again.stdout)).toEqual([
      { status: "unchanged", id: ids[0], subject: three[0], calendarId: "primary" },
    ]);
    expect(await writesSent()).toBe(before);
  });

  it("refuses a patch or delete across users without an event ID or a filter (exit 2)", async () => {
    const r = await run(
      withKey(["events", "delete", "primary", ...base, "--subjects", three.join(",")]),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Missing the events to delete: no event ID and no filter");
    expect(r.stderr).toContain("hint: Give an event ID (or --id), or select events with --q");
  });
});
