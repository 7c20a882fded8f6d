// The bundled dwd against the emulator on a real port: a bulk write over many users prints each window
// (two rounds of --concurrency batches of 50: rows of `events create`, users of `events patch|delete`) as
// it is done, and keeps only counts and the first failures to the end. A proxy in front of the emulator
// holds every batch request after the first window's until the test has seen that window's last line on
// dwd's stdout: a dwd that printed only at the end would print it only once the held batch failed at its
// --timeout. No waiting on time.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestEmulator } from "./helpers.ts";
import { dwd, dwdUntil, startBatchHolder, startTestEmulator } from "./helpers.ts";

const USERS = 130;
const users = Array.from(
  { length: USERS },
  (_, i) => `user${String(i + 1).padStart(4, "0")}@example.com`,
);

let emu: TestEmulator;
let usersFile: string;
let eventFile: string;
/** `dwd events create primary` of the test's event for the users in `subjectsFile`, then `more`. */
const createArgs = (subjectsFile: string, ...more: string[]): string[] => [
  "events",
  "create",
  "primary",
  "--key",
  emu.bot,
  "--subjects-file",
  subjectsFile,
  "--file",
  eventFile,
  ...more,
];

beforeAll(async () => {
  emu = await startTestEmulator("bulk-stream", { users });
  usersFile = join(emu.dir, "users.txt");
  await writeFile(usersFile, `${users.join("\n")}\n`);
  eventFile = join(emu.dir, "event.json");
  await writeFile(
    eventFile,
    JSON.stringify({
      summary: "Town hall",
      start: { dateTime: "2027-03-01T15:00:00Z" },
      end: { dateTime: "2027-03-01T16:00:00Z" },
    }),
  );
});

afterAll(async () => {
  await emu.close();
});

const subjectsOf = (stdout: string): unknown[] =>
  stdout
    .trimEnd()
    .split("\n")
    .map((line) => (JSON.parse(line) as { subject?: unknown }).subject);

/**
 * Runs dwd with `args` (over every user, --concurrency 1: windows of 100) through a proxy that holds every
 * batch after the first window's `firstWindow`, until the 100th user's line is on stdout. Checks the run
 * ended with `done` of every user's event, that only the first window's batches had been answered when that
 * line was out (a dwd that printed only at the end would print once the held batch timed out), that
 * `batches` went out in all, and that the lines are in the users' order.
 */
async function expectWindowStreams(
  args: string[],
  firstWindow: number,
  batches: number,
  done: string,
): Promise<void> {
  const proxy = await startBatchHolder(emu.server.url, firstWindow);
  try {
    const { result, atMarker } = await dwdUntil(
      [...args, "--concurrency", "1", "--timeout", "10000", "--retries", "0"],
      { ...emu.env, HTTP_PROXY: proxy.url },
      `"subject":"${users[99] ?? ""}"`,
      () => proxy.releaseAnswered(),
    );
    proxy.release();
    expect(result.stderr).toMatch(
      new RegExp(
        `^summary: ${USERS} events of ${USERS} users: ${USERS} ${done}, 0 unchanged, 0 failed; `,
      ),
    );
    expect(result.code).toBe(0);
    expect(atMarker).toBe(firstWindow);
    expect(proxy.batches()).toBe(batches);
    expect(subjectsOf(result.stdout)).toEqual(users);
  } finally {
    proxy.release();
    await proxy.close();
  }
}

describe("bulk writes over many users stream their outcomes (bundled dwd, emulator)", () => {
  it("the first window's outcomes are on stdout while the next window's batch is held", async () => {
    // Windows of 100 rows: two batches of 50; the third batch is the second window's.
    await expectWindowStreams(createArgs(usersFile), 2, 3, "created");
  });

  it("lists the first 50 failures and counts the rest; every failure is still a line on stdout", async () => {
    // Users the domain does not have: the token endpoint refuses each of them.
    const ghosts = Array.from({ length: 60 }, (_, i) => `ghost${i}@example.com`);
    const file = join(emu.dir, "ghosts.txt");
    await writeFile(file, `${[users[0] ?? "", ...ghosts].join("\n")}\n`);
    const r = await dwd(createArgs(file), emu.env);
    expect(r.code).toBe(1);
    const outcomes = r.stdout
      .trimEnd()
      .split("\n")
      .map(
        (line) => JSON.parse(line) as { status: string; subject: string; error?: { code: string } },
      );
    expect(outcomes.map((o) => o.subject)).toEqual([users[0], ...ghosts]);
    // The first user's event exists since the test before; every ghost failed at the token endpoint.
    expect(outcomes[0]?.status).toBe("exists");
    expect(outcomes.slice(1).every((o) => o.status === "failed")).toBe(true);
    expect(outcomes[1]?.error?.code).toBe("unknown_subject");
    const stderr = r.stderr.split("\n");
    expect(stderr[0]).toBe("error: 60 of 61 events failed:");
    const listed = stderr.filter((line) => /^ {2}ghost\d+@example\.com /.test(line));
    expect(listed).toHaveLength(50);
    expect(listed[0]).toMatch(/^ {2}ghost0@example\.com [^:]+: unknown_subject: /);
    expect(stderr).toContain('  … and 10 more (each is a line with "status":"failed" on stdout)');
    expect(r.stderr).toMatch(/summary: 61 events of 61 users: 0 created, 1 unchanged, 60 failed; /);
  });

  it("events delete --q over many users: the first window is found, deleted and printed before the next is listed", async () => {
    // Windows of 100 users: two batches list their events and two more delete them; the fifth batch lists
    // the second window's users.
    await expectWindowStreams(
      [
        "events",
        "delete",
        "primary",
        "--key",
        emu.bot,
        "--subjects-file",
        usersFile,
        "--q",
        "Town hall",
      ],
      4,
      6,
      "deleted",
    );
  });
});
