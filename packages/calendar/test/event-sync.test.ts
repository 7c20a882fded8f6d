import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCalendarClient, createEventSync, createMemorySyncStore } from "../src/index.ts";
import { createFileSyncStore } from "../src/node.ts";
import { createFakeCalendar, fakeTokenSource } from "./fake-calendar.ts";

function setup() {
  const fake = createFakeCalendar();
  const cal = createCalendarClient({
    tokenSource: fakeTokenSource(),
    rootUrl: "http://fake/calendar/v3",
    fetch: fake.fetch,
    retry: false,
  });
  return { fake, cal };
}

describe("createEventSync()", () => {
  it("lists everything first, then only changes (cancelled events included), keeping the token per (subject, calendar)", async () => {
    const { fake, cal } = setup();
    const ana = cal.as("ana@example.com");
    const a = await ana.events.insert("primary", { summary: "a" });
    const b = await ana.events.insert("primary", { summary: "b" });
    const store = createMemorySyncStore();
    const sync = createEventSync({
      client: cal,
      store,
      calendarId: "primary",
      subject: "ana@example.com",
      params: { maxResults: 1 },
    });
    expect(sync.key).toBe("ana@example.com|primary");

    const first = await sync.run();
    expect(first).toMatchObject({ fullSync: true, fullSyncRequired: false, pages: 2 });
    expect(first.events.map((e) => e.summary)).toEqual(["a", "b"]);
    expect(store.entries()).toEqual({ "ana@example.com|primary": first.syncToken });

    await ana.events.patch("primary", a.id!, { summary: "a2" });
    await ana.events.delete("primary", b.id!);
    await ana.events.insert("primary", { summary: "c" });
    fake.log.length = 0;
    const second = await sync.run();
    expect(second).toMatchObject({ fullSync: false, fullSyncRequired: false });
    expect(second.events.map((e) => [e.summary, e.status])).toEqual([
      ["a2", "confirmed"],
      ["b", "cancelled"],
      ["c", "confirmed"],
    ]);
    expect(fake.log[0]).toBe(
      `GET /calendar/v3/calendars/primary/events?maxResults=1&syncToken=${first.syncToken}`,
    );

    const third = await sync.run();
    expect(third.events).toEqual([]);
    expect(store.entries()["ana@example.com|primary"]).toBe(third.syncToken);
  });

  it("on 410 fullSyncRequired says so and runs the full resync", async () => {
    const { fake, cal } = setup();
    await cal.as("bob@example.com").events.insert("primary", { summary: "x" });
    const store = createMemorySyncStore();
    const sync = createEventSync({
      client: cal.as("bob@example.com"),
      store,
      calendarId: "primary",
    });
    const first = await sync.run();
    fake.expireSyncTokensBefore = Number.MAX_SAFE_INTEGER;
    fake.log.length = 0;
    const again = await sync.run();
    expect(again).toMatchObject({ fullSync: true, fullSyncRequired: true });
    expect(again.events.map((e) => e.summary)).toEqual(["x"]);
    expect(fake.log).toEqual([
      `GET /calendar/v3/calendars/primary/events?maxResults=2500&syncToken=${first.syncToken}`,
      "GET /calendar/v3/calendars/primary/events?maxResults=2500",
    ]);
    expect(store.entries()["bob@example.com|primary"]).toBe(again.syncToken);
  });

  it("reads an explicit undefined in its options and params as absent (exactOptionalPropertyTypes callers)", async () => {
    const { fake, cal } = setup();
    await cal.as("dee@example.com").events.insert("primary", { summary: "d" });
    fake.log.length = 0;
    const sync = createEventSync({
      client: cal,
      store: createMemorySyncStore(),
      calendarId: "primary",
      subject: "dee@example.com",
      params: { maxResults: undefined, showDeleted: undefined },
    });
    const first = await sync.run();
    expect(first.events.map((e) => e.summary)).toEqual(["d"]);
    expect(fake.log).toEqual(["GET /calendar/v3/calendars/primary/events?maxResults=2500"]);
  });

  it("reset() makes the next run a full sync", async () => {
    const { cal } = setup();
    const sync = createEventSync({
      client: cal,
      store: createMemorySyncStore(),
      calendarId: "primary",
      subject: "c@example.com",
    });
    await sync.run();
    await sync.reset();
    expect((await sync.run()).fullSync).toBe(true);
  });
});

describe("createFileSyncStore()", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("keeps tokens in one JSON file across store instances; a missing file is empty", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-sync-"));
    dirs.push(dir);
    const path = join(dir, "state", "tokens.json");
    const store = createFileSyncStore(path);
    expect(await store.get("a|primary")).toBeUndefined();
    await store.set("a|primary", "s1");
    await store.set("b|primary", "s2");
    await store.delete("b|primary");
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ "a|primary": "s1" });
    expect(await createFileSyncStore(path).get("a|primary")).toBe("s1");
  });

  it("fails only the write that failed: once the cause is gone, the next write lands", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-sync-"));
    dirs.push(dir);
    const path = join(dir, "tokens.json");
    const store = createFileSyncStore(path);
    await store.set("a|primary", "s1");
    // A folder takes the file's place: the rename onto it fails, so this write does.
    await rm(path);
    await mkdir(path);
    await expect(store.set("b|primary", "s2")).rejects.toMatchObject({ code: "EISDIR" });
    await rm(path, { recursive: true });
    await store.set("c|primary", "s3");
    // The failed value stayed in memory and landed with the next write.
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({
      "a|primary": "s1",
      "b|primary": "s2",
      "c|primary": "s3",
    });
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("reads a corrupt file again after it is fixed, and refuses one that is not an object", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-sync-"));
    dirs.push(dir);
    const path = join(dir, "tokens.json");
    await writeFile(path, "{ not json");
    const store = createFileSyncStore(path);
    await expect(store.get("a|primary")).rejects.toThrow(SyntaxError);
    await writeFile(path, "[1]");
    await expect(store.get("a|primary")).rejects.toThrow(
      `${path} does not hold a JSON object of sync tokens`,
    );
    await writeFile(path, '{"a|primary":"s1"}');
    expect(await store.get("a|primary")).toBe("s1");
  });

  it("drives a sync across runs of separate processes (fresh store objects)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-sync-"));
    dirs.push(dir);
    const path = join(dir, "tokens.json");
    const { cal } = setup();
    await cal.as("d@example.com").events.insert("primary", { summary: "one" });
    const run = () =>
      createEventSync({
        client: cal,
        store: createFileSyncStore(path),
        calendarId: "primary",
        subject: "d@example.com",
      }).run();
    expect((await run()).fullSync).toBe(true);
    await cal.as("d@example.com").events.insert("primary", { summary: "two" });
    const next = await run();
    expect(next.fullSync).toBe(false);
    expect(next.events.map((e) => e.summary)).toEqual(["two"]);
  });
});
