// Bench section: `dwd events sync` over 200 users, twice. The first run lists every event and keeps a
// sync token per user; the second, after a few events changed, must move only those. Bytes are counted
// by the emulator (`GET /_emulator/stats` → bytesSent: every response body it sent, token endpoint
// included), so the ratio is what crossed the wire, not what dwd printed.
//
//   node bench/events-sync.ts [--json]       (also run by bench/run.ts)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "@dwd/emulator/node";
import { dwd } from "./dwd-process.ts";
import { report } from "./report.ts";
import type { BenchResult } from "./report.ts";

const USERS = 200;
const EVENTS_EACH = 20;
const CHANGED_USERS = 10;

interface Stats {
  bytesSent: number;
  apiRequests: number;
  tokenRequests: number;
}

/** Runs the section and returns its results (first sync vs second sync, bytes and events). */
export async function eventsSyncBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "dwd-bench-sync-"));
  const scenario = {
    domain: "example.com",
    users: { count: USERS, eventsEach: EVENTS_EACH },
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
  };
  const scenarioFile = join(dir, "scenario.json");
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  const server = await startEmulator({
    scenario: scenario as never,
    keysDir: dir,
    port: 0,
    host: "127.0.0.1",
  });
  const stats = async (): Promise<Stats> =>
    (await (await fetch(`${server.url}/_emulator/stats`)).json()) as Stats;
  try {
    const key = server.keyFiles["calendar-bot"]?.json ?? "";
    const env = { DWD_EMULATOR_HOST: new URL(server.url).host };
    const sync = [
      "events",
      "sync",
      "primary",
      "--key",
      key,
      "--all-users",
      "--scenario",
      scenarioFile,
      "--state",
      join(dir, "state.json"),
      "--ndjson",
      "--scopes",
      "calendar.readonly",
    ];

    const s0 = await stats();
    const first = await dwd(sync, env);
    const s1 = await stats();

    // Change one event for each of a few users (a patch each), the way a day's edits trickle in.
    const changed = Array.from(
      { length: CHANGED_USERS },
      (_, i) => `user${String(i * 7 + 1).padStart(4, "0")}@example.com`,
    );
    for (const subject of changed) {
      const list = await dwd(
        [
          "events",
          "list",
          "primary",
          "--key",
          key,
          "--subject",
          subject,
          "--ndjson",
          "--scopes",
          "calendar.readonly",
        ],
        env,
      );
      const id = (JSON.parse(list.stdout.split("\n")[0] ?? "{}") as { id?: string }).id ?? "";
      await dwd(
        [
          "events",
          "patch",
          "primary",
          id,
          "--key",
          key,
          "--subject",
          subject,
          "--body",
          '{"summary":"Moved to Thursday"}',
          "--scopes",
          "calendar",
        ],
        env,
      );
    }

    const s2 = await stats();
    const second = await dwd(sync, env);
    const s3 = await stats();

    const events = (text: string): number => text.split("\n").filter((l) => l !== "").length;
    const bytesFirst = s1.bytesSent - s0.bytesSent;
    const bytesSecond = s3.bytesSent - s2.bytesSent;
    return [
      {
        name: `events sync ×${USERS} users: bytes, second run (dwd) vs first (baseline)`,
        dwd: bytesSecond,
        baseline: bytesFirst,
        ratio: bytesSecond / bytesFirst,
        unit: "bytes",
      },
      {
        name: `events sync ×${USERS} users: events moved, second vs first`,
        dwd: events(second.stdout),
        baseline: events(first.stdout),
        ratio: events(second.stdout) / events(first.stdout),
        unit: "events",
      },
      {
        name: `events sync ×${USERS} users: API requests, second vs first`,
        dwd: s3.apiRequests - s2.apiRequests,
        baseline: s1.apiRequests - s0.apiRequests,
        ratio: (s3.apiRequests - s2.apiRequests) / (s1.apiRequests - s0.apiRequests),
        unit: "requests",
      },
      {
        name: `events sync ×${USERS} users: wall time, second vs first`,
        dwd: second.ms,
        baseline: first.ms,
        ratio: second.ms / first.ms,
        unit: "ms",
      },
    ];
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  report(await eventsSyncBench());
}
