// List output over many users streams: each batch's items are written as the batch is released, while
// later batches are still in flight, and what is held stays flat in the number of users. The run here is
// a fake one (users, pages and failures from a model; batches held on promises the test releases), so
// "written before the run ends" is asserted by order of events, never by time.
import fc from "fast-check";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CalendarRun, Lister, Page } from "../src/_internal/calendar-run.ts";
import { listAcrossUsers, listInto, listOutput } from "../src/_internal/calendar-run.ts";
import type { Io } from "../src/_internal/io.ts";
import { jsonArrayStream } from "../src/_internal/json-stream.ts";
import type { Column, OutputMode } from "../src/_internal/output.ts";
import { renderTable } from "../src/_internal/output.ts";
import { tableStream } from "../src/_internal/table-stream.ts";
import type { Terminal } from "../src/_internal/terminal.ts";
import { pipedTerminal } from "../src/_internal/terminal.ts";
import { eventsCreate } from "../src/commands/events.ts";
import { captureIo, startTestEmulator } from "./helpers.ts";

/** A terminal on both streams whose stderr writes go into `log`: "clear" for a cleared line, else "bar". */
const loggingTerminal = (log: string[]): Terminal => ({
  stdoutTty: true,
  stderrTty: true,
  columns: 80,
  writeErr: (text) => void log.push(text === "\r\u001b[2K" ? "clear" : "bar"),
});

/** Whenever stdout was written (an "out" in `log`), the last thing said on stderr cleared the bar's line. */
function expectClearedBeforeEachWrite(log: readonly string[]): void {
  for (const [i, e] of log.entries())
    if (e === "out")
      expect(
        log.slice(0, i).findLast((x) => x !== "out"),
        `write ${i}`,
      ).toBe("clear");
}

interface Item {
  id: string;
  summary: string;
}

/** One user of the model: pages of items; a token the endpoint refuses; a page Calendar refuses. */
interface UserModel {
  subject: string;
  pages: Item[][];
  tokenFails?: boolean;
  /** The page (0-based) whose request fails. */
  failsAt?: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const refused = (subject: string): Error =>
  Object.assign(new Error(`Cannot get a token for "${subject}"`), { code: "unknown_subject" });
const apiError = (subject: string): Error =>
  Object.assign(new Error(`Not Found (${subject})`), { code: "not_found" });

type PageCall = { subject: string; pageToken: string | undefined };

/**
 * A CalendarRun over `users` whose batch requests answer from the model. `hold(calls)` may return a
 * promise the batch waits on before it answers (the test decides when a batch "arrives").
 */
function fakeRun(
  users: readonly UserModel[],
  io: Io,
  options: {
    hold?: (calls: readonly PageCall[]) => Promise<void> | undefined;
    terminal?: Terminal;
    onBatch?: (calls: readonly PageCall[]) => void;
  } = {},
): CalendarRun {
  const bySubject = new Map(users.map((u) => [u.subject, u]));
  const client = {
    calls: { as: (subject: string) => ({ subject }) },
    batch: async (calls: PageCall[]) => {
      options.onBatch?.(calls);
      await options.hold?.(calls);
      return calls.map(({ subject, pageToken }) => {
        const user = bySubject.get(subject);
        const index = pageToken === undefined ? 0 : Number(pageToken);
        if (user === undefined || user.failsAt === index)
          return { ok: false, error: apiError(subject), method: "m", subject };
        const value: Page<Item> = {
          items: user.pages[index] ?? [],
          ...(index + 1 < user.pages.length ? { nextPageToken: String(index + 1) } : {}),
        };
        return { ok: true, value, method: "m", subject };
      });
    },
  };
  const tokenSource = {
    getToken: ({ subject }: { subject: string }) =>
      bySubject.get(subject)?.tokenFails === true
        ? Promise.reject(refused(subject))
        : Promise.resolve({ accessToken: "t", expiresAt: 0 }),
  };
  return {
    startedAt: Date.now(),
    session: { tokenSource, stats: { requests: 0, tokenExchanges: 0, retries: 0 } },
    client,
    clientWithScopes: () => client,
    scopes: { method: "calendar.events.list", scopesFor: () => Promise.resolve(["s"]) },
    subjects: users.map((u) => u.subject),
    many: true,
    concurrency: 10,
    io,
    terminal: options.terminal ?? pipedTerminal,
  } as unknown as CalendarRun;
}

const lister: Lister<Item> = {
  method: "events.list",
  all: () => {
    throw new Error("the batched path does not list one user at a time");
  },
  page: (calls, _scopes, pageToken) =>
    ({ ...(calls as unknown as { subject: string }), pageToken }) as never,
};

const columns: Column<Item>[] = [
  { header: "ID", value: (i) => i.id },
  { header: "SUMMARY", value: (i) => i.summary, shrink: true },
];

/** What the lister should emit: first pages in user order, then each further round, users in order. */
function expectedRows(users: readonly UserModel[]): { subject: string; item: Item }[] {
  const rows: { subject: string; item: Item }[] = [];
  const rounds = Math.max(0, ...users.map((u) => u.pages.length));
  for (let round = 0; round < rounds; round++)
    for (const u of users) {
      if (u.tokenFails === true || round >= u.pages.length) continue;
      if (u.failsAt !== undefined && round >= u.failsAt) continue;
      for (const item of u.pages[round] ?? []) rows.push({ subject: u.subject, item });
    }
  return rows;
}

const failing = (users: readonly UserModel[]): string[] =>
  users
    .filter((u) => u.tokenFails === true || (u.failsAt !== undefined && u.failsAt < u.pages.length))
    .map((u) => u.subject);

/** `count` users of one page of `each` items (ids u<user>-<item>). */
function onePageUsers(count: number, each: number): UserModel[] {
  return Array.from({ length: count }, (_, u) => ({
    subject: `user${String(u).padStart(3, "0")}@example.com`,
    pages: [
      Array.from({ length: each }, (_, i) => ({ id: `u${u}-${i}`, summary: `Event ${i} of ${u}` })),
    ],
  }));
}

async function run(
  users: readonly UserModel[],
  mode: OutputMode,
  io = captureIo({}),
  terminal: Terminal = pipedTerminal,
): Promise<{ text: string; failures: string[] }> {
  const r = fakeRun(users, io, { terminal });
  const failures = await listInto(r, lister, listOutput(mode, columns, r), { batch: true });
  return { text: io.stdout.join("\n"), failures: failures.map((f) => f.subject ?? "") };
}

describe("--json over many users", () => {
  it("prints, byte for byte, the document it printed whole (one page per user)", async () => {
    const users = onePageUsers(120, 3);
    const { text, failures } = await run(users, "json");
    expect(failures).toEqual([]);
    const rows = users.flatMap((u) =>
      (u.pages[0] ?? []).map((item) => ({ subject: u.subject, ...item })),
    );
    expect(text).toBe(JSON.stringify(rows, null, 2));
  });

  /**
   * 2 to `most` users of 1 to 3 pages of up to `items` items each; some refused at the token endpoint,
   * some failing at a page.
   */
  const randomUsers = (items: number, most: number): fc.Arbitrary<UserModel[]> =>
    fc
      .array(
        fc.record({
          pages: fc.array(fc.nat(items), { minLength: 1, maxLength: 3 }),
          tokenFails: fc.boolean(),
          failsAt: fc.option(fc.nat(3), { nil: undefined }),
        }),
        { minLength: 2, maxLength: most },
      )
      .map((model) =>
        model.map((m, u) => ({
          subject: `user${u}@example.com`,
          pages: m.pages.map((n, p) =>
            Array.from({ length: n }, (_, i) => ({ id: `u${u}-p${p}-${i}`, summary: "s" })),
          ),
          ...(m.tokenFails ? { tokenFails: true } : {}),
          ...(m.failsAt !== undefined ? { failsAt: m.failsAt } : {}),
        })),
      );

  it("prints [] for no items, as JSON.stringify([]) does", async () => {
    expect((await run(onePageUsers(3, 0), "json")).text).toBe("[]");
  });

  it("is valid JSON, items in the documented order, with random users failing", async () => {
    await fc.assert(
      fc.asyncProperty(randomUsers(3, 130), async (users) => {
        const { text, failures } = await run(users, "json");
        const expected = expectedRows(users).map((r) => ({ subject: r.subject, ...r.item }));
        expect(JSON.parse(text)).toEqual(expected);
        expect(text).toBe(JSON.stringify(expected, null, 2));
        expect(failures).toEqual(failing(users));
      }),
      { numRuns: 60 },
    );
  });

  it("says each user done once, after that user's last item, and never a user that failed", async () => {
    await fc.assert(
      fc.asyncProperty(randomUsers(2, 120), async (users) => {
        const events: string[] = [];
        const failures = await listAcrossUsers(
          fakeRun(users, captureIo({})),
          lister,
          (subject) => events.push(`item ${subject ?? ""}`),
          { batch: true, done: (subject) => events.push(`done ${subject ?? ""}`) },
        );
        const failed = new Set(failures.map((f) => f.subject));
        expect([...failed]).toEqual(failing(users));
        const doneOf = events.filter((e) => e.startsWith("done ")).map((e) => e.slice(5));
        expect(new Set(doneOf).size).toBe(doneOf.length);
        expect(new Set(doneOf)).toEqual(
          new Set(users.map((u) => u.subject).filter((s) => !failed.has(s))),
        );
        for (const subject of doneOf)
          expect(events.lastIndexOf(`item ${subject}`)).toBeLessThan(
            events.indexOf(`done ${subject}`),
          );
      }),
      { numRuns: 60 },
    );
  });

  it("a write that fails mid-run fails the run, leaving whole elements only", async () => {
    const users = onePageUsers(120, 3);
    const written: string[] = [];
    let writes = 0;
    let closed = false;
    const io: Io = {
      ...captureIo({}),
      // As processIo's writer: the failing write throws once, then stdout is closed and writes are dropped.
      outJson: (text) => {
        if (closed) return;
        if (++writes === 2) {
          closed = true;
          throw Object.assign(new Error("Cannot write to standard output: ENOSPC"), {
            code: "usage",
          });
        }
        written.push(text);
      },
    };
    const r = fakeRun(users, io);
    await expect(
      listInto(r, lister, listOutput("json", columns, r), { batch: true }),
    ).rejects.toThrow("Cannot write to standard output: ENOSPC");
    expect(written).toHaveLength(1);
    const text = written.join("\n");
    // Whole elements, each closed by its comma: removing the last comma and closing the array parses.
    expect(text.endsWith("  },")).toBe(true);
    const rows = JSON.parse(`${text.slice(0, -1)}\n]`) as { id: string }[];
    expect(rows.map((r) => r.id)).toEqual(
      expectedRows(users)
        .slice(0, rows.length)
        .map((r) => r.item.id),
    );
  });
});

describe("output is written while later users are still pending", () => {
  for (const mode of ["json", "table", "ndjson", "csv"] as const) {
    it(`--${mode === "table" ? "(table, piped)" : mode}: the first batch's users before the others arrive`, async () => {
      const users = onePageUsers(120, 2);
      const io = captureIo({});
      const later = deferred();
      const held = deferred();
      const sent: string[] = [];
      const r = fakeRun(users, io, {
        onBatch: (calls) => sent.push(calls[0]?.subject ?? ""),
        // Every batch but the first waits for the test.
        hold: (calls) => {
          if (calls[0]?.subject === users[0]?.subject) return undefined;
          held.resolve();
          return later.promise;
        },
      });
      let done = false;
      const output = listOutput(mode, columns, r, ["id", "summary"]);
      const running = listInto(r, lister, output, { batch: true }).then((failures) => {
        done = true;
        return failures;
      });
      // A batch is held; everything else the fake does settles within one turn of the event loop.
      await held.promise;
      await new Promise((resolve) => setImmediate(resolve));
      expect(done).toBe(false);
      expect(sent.slice(0, 2)).toEqual([users[0]?.subject, users[50]?.subject]);
      const text = io.stdout.join("\n");
      // Every item of users 0–48 is written (the last item may wait for its comma, in --json).
      for (let u = 0; u < 49; u++) expect(text).toContain(`u${u}-1`);
      expect(text).not.toContain("user050@example.com");
      expect(text).not.toContain("u50-0");
      later.resolve();
      expect(await running).toEqual([]);
      expect(io.stdout.join("\n")).toContain("u119-1");
    });
  }
});

describe("a progress bar on the terminal stdout streams to", () => {
  for (const mode of ["json", "ndjson", "table"] as const) {
    it(`--${mode}: is cleared before each write to stdout, and drawn again after`, async () => {
      const log: string[] = [];
      const io = captureIo({});
      const { out, outLines, outText, outJson } = io;
      io.out = (line) => (log.push("out"), out(line));
      io.outLines = (lines) => (log.push("out"), outLines(lines));
      io.outText = (text) => (log.push("out"), outText(text));
      io.outJson = (text) => (log.push("out"), outJson(text));
      const terminal = loggingTerminal(log);
      const users = onePageUsers(120, 2);
      const r = fakeRun(users, io, { terminal });
      const output = listOutput(mode, columns, r, ["id"]);
      expect(await listInto(r, lister, output, { batch: true })).toEqual([]);
      expect(log.filter((e) => e === "out").length).toBeGreaterThan(0);
      expectClearedBeforeEachWrite(log);
      // The bar was drawn again between releases, and the run ends with it cleared.
      expect(
        log.filter((e, i) => e === "bar" && log.slice(0, i).includes("out")).length,
      ).toBeGreaterThan(0);
      expect(log.filter((e) => e !== "out").at(-1)).toBe("clear");
    });
  }
});

describe("the table", () => {
  const rows = Array.from({ length: 150 }, (_, i) => ({
    id: `e${i}`,
    summary:
      i === 120 ? "A much longer summary than any of the first hundred rows" : `Meeting ${i}`,
  }));

  it("on a terminal: widths fixed by the first 100 rows, a later longer cell cut with …", () => {
    const io = captureIo({});
    const terminal: Terminal = { ...pipedTerminal, stdoutTty: true, columns: 40 };
    const output = listOutput("table", columns, { io, terminal, many: false });
    for (const row of rows.slice(0, 99)) output.add(undefined, row);
    output.flush();
    // 99 rows cannot fix the widths: nothing is written yet.
    expect(io.stdout).toEqual([]);
    output.add(undefined, rows[99] as Item);
    output.flush();
    expect(io.stdout).toEqual(renderTable(columns, rows.slice(0, 100), { tty: true, width: 40 }));
    expect(io.stdout.slice(0, 2)).toEqual(["ID   SUMMARY", "e0   Meeting 0"]);
    for (const row of rows.slice(100)) output.add(undefined, row);
    output.finish();
    expect(io.stdout).toHaveLength(151);
    // The ID column is 3 wide (e99); a longer ID is never cut: it pushes its row right.
    expect(io.stdout[100]).toBe("e99  Meeting 99");
    expect(io.stdout[101]).toBe("e100  Meeting 100");
    // The summary (shrinkable, the last column) is cut at the terminal's edge, 40 characters.
    expect(io.stdout[121]).toBe(`e120  ${(rows[120]?.summary ?? "").slice(0, 33)}…`);
    expect([...(io.stdout[121] ?? "")]).toHaveLength(40);
    // A shrinkable column that is not the last is cut to the width the first rows fixed.
    const narrow = captureIo({});
    const swapped = [columns[1], columns[0]] as Column<Item>[];
    const table = tableStream(swapped, { tty: true, width: 30 }, narrow, { sample: 2 });
    for (const row of [rows[0], rows[1], rows[120]]) table.add(row as Item);
    table.finish();
    expect(narrow.stdout).toEqual([
      "SUMMARY    ID",
      "Meeting 0  e0",
      "Meeting 1  e1",
      "A much l…  e120",
    ]);
  });

  it("on a terminal, fewer rows than the sample: what renderTable prints, header included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.string(), summary: fc.string() }), { maxLength: 30 }),
        fc.option(fc.integer({ min: 10, max: 120 }), { nil: undefined }),
        (items, width) => {
          const io = captureIo({});
          const target = { tty: true, ...(width !== undefined ? { width } : {}) };
          const table = tableStream(columns, target, io, { sample: 30 });
          for (const item of items) table.add(item);
          table.finish();
          expect(io.stdout).toEqual(renderTable(columns, items, target));
        },
      ),
    );
  });

  it("piped: each row as it comes, tab-separated, nothing cut, no header", () => {
    const io = captureIo({});
    const output = listOutput("table", columns, { io, terminal: pipedTerminal, many: true });
    output.add("ana@example.com", rows[120] as Item);
    output.flush();
    expect(io.stdout).toEqual([`ana@example.com\te120\t${rows[120]?.summary ?? ""}`]);
    output.finish();
    expect(io.stdout).toHaveLength(1);
  });
});

describe("jsonArrayStream()", () => {
  it("writes JSON.stringify(values, null, 2) in chunks of whole elements, flushed or not", () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), { maxLength: 20 }),
        fc.integer({ min: 1, max: 6 }),
        (values, chunk) => {
          const writes: string[] = [];
          const json = jsonArrayStream({ outJson: (t) => void writes.push(t) }, chunk);
          for (const [i, value] of values.entries()) {
            json.add(value);
            if (i % 3 === 0) json.flush();
            // What is written is always whole lines: `[`, then whole elements, each with its comma.
            if (writes.length > 0) expect(writes.join("\n")).toMatch(/^\[$|,$/);
          }
          json.finish();
          json.finish();
          expect(writes.join("\n")).toBe(JSON.stringify(values, null, 2));
        },
      ),
    );
  });
});

describe("events create (one user, many events) with a bar on the terminal stdout is written to", () => {
  it("clears the bar's line before each outcome line", async () => {
    const emu = await startTestEmulator("create-bar");
    try {
      const file = join(emu.dir, "events.ndjson");
      await writeFile(
        file,
        [1, 2, 3]
          .map((i) =>
            JSON.stringify({
              summary: `E${i}`,
              start: { dateTime: "2026-03-02T10:00:00Z" },
              end: { dateTime: "2026-03-02T11:00:00Z" },
            }),
          )
          .join("\n"),
      );
      const log: string[] = [];
      const io = captureIo(emu.env);
      const { out } = io;
      io.out = (line) => (log.push("out"), out(line));
      const terminal = loggingTerminal(log);
      const code = await eventsCreate(
        "insert",
        "primary",
        { key: emu.bot, subject: "ana@example.com", file },
        io,
        terminal,
      );
      expect(io.stderr).toEqual([]);
      expect(code).toBe(0);
      expect(io.stdout.map((l) => (JSON.parse(l) as { status: string }).status)).toEqual([
        "created",
        "created",
        "created",
      ]);
      expect(log.filter((e) => e === "out")).toHaveLength(3);
      expectClearedBeforeEachWrite(log);
      expect(log.at(-1)).toBe("clear");
    } finally {
      await emu.close();
    }
  });
});
