// The bundled dwd against the emulator on a real port: a bulk create over many users prints each window
// of rows (two rounds of --concurrency batches of 50) as it is done, and keeps only counts and the first
// failures to the end. A proxy in front of the emulator holds every batch request after the first window's
// until the test has seen that window's last line on dwd's stdout: a dwd that printed only at the end
// would print it only once the held batch failed at its --timeout. No waiting on time.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd, dwdUntil, startBatchHolder } from "./helpers.ts";

const auth = "https://www.googleapis.com/auth/";
const USERS = 130;

let server: RunningEmulator;
let dir: string;
let key: string;
let users: string[];
let usersFile: string;
let eventFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-bulk-stream-"));
  server = await startEmulator({
    scenario: {
      domain: "example.com",
      users: { count: USERS },
      serviceAccounts: [{ name: "calendar-bot" }],
      grants: [{ serviceAccount: "calendar-bot", scopes: [`${auth}calendar`] }],
    } as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: join(dir, "keys"),
  });
  key = server.keyFiles["calendar-bot"]?.json ?? "";
  users = server.emulator.scenario.users.map((u) => u.email);
  usersFile = join(dir, "users.txt");
  await writeFile(usersFile, `${users.join("\n")}\n`);
  eventFile = join(dir, "event.json");
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
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const subjectsOf = (stdout: string): unknown[] =>
  stdout
    .trimEnd()
    .split("\n")
    .map((line) => (JSON.parse(line) as { subject?: unknown }).subject);

describe("events create over many users streams its outcomes (bundled dwd, emulator)", () => {
  it("the first window's outcomes are on stdout while the next window's batch is held", async () => {
    // --concurrency 1: windows of 100 rows (two batches of 50); the third batch is the second window's.
    const proxy = await startBatchHolder(server.url, 2);
    try {
      const { result, atMarker } = await dwdUntil(
        [
          "events",
          "create",
          "primary",
          "--key",
          key,
          "--subjects-file",
          usersFile,
          "--file",
          eventFile,
          "--concurrency",
          "1",
          // A dwd that printed only at the end would print once the held batch times out.
          "--timeout",
          "10000",
          "--retries",
          "0",
        ],
        cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host, HTTP_PROXY: proxy.url }),
        `"subject":"${users[99] ?? ""}"`,
        () => {
          const answered = proxy.answered();
          proxy.release();
          return answered;
        },
      );
      proxy.release();
      expect(result.stderr).toMatch(
        new RegExp(
          `^summary: ${USERS} events of ${USERS} users: ${USERS} created, 0 unchanged, 0 failed; `,
        ),
      );
      expect(result.code).toBe(0);
      // The 100th user's line was out when only the first window's two batches had been answered.
      expect(atMarker).toBe(2);
      expect(proxy.batches()).toBe(3);
      expect(subjectsOf(result.stdout)).toEqual(users);
    } finally {
      proxy.release();
      await proxy.close();
    }
  });

  it("lists the first 50 failures and counts the rest; every failure is still a line on stdout", async () => {
    // Users the domain does not have: the token endpoint refuses each of them.
    const ghosts = Array.from({ length: 60 }, (_, i) => `ghost${i}@example.com`);
    const file = join(dir, "ghosts.txt");
    await writeFile(file, `${[users[0] ?? "", ...ghosts].join("\n")}\n`);
    const r = await dwd(
      ["events", "create", "primary", "--key", key, "--subjects-file", file, "--file", eventFile],
      cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host }),
    );
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
});
