// Bench section: one event for 500 users under 20 % injected faults (`dwd events create primary
// --subjects-file users.txt --file event.json`), counted at the emulator. The target: exactly 500 events
// after the runs it takes to finish (a run that reports failures is run again, as an admin would), and a
// further run creates 0.
//
//   node bench/bulk-create.ts [--json]       (also run by bench/run.ts)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTokenSource, loadKey } from "@dwd/auth";
import { createCalendarClient } from "@dwd/calendar";
import { startEmulator } from "@dwd/emulator/node";
import { report, result, say } from "./report.ts";
import { runDwd } from "./dwd-process.ts";
import type { BenchResult } from "./report.ts";

const USERS = 500;
const auth = "https://www.googleapis.com/auth/";
const faults = {
  errorRates: { "429": 0.04, "403": 0.04, "500": 0.04, "503": 0.04, reset: 0.04 },
  seed: 16,
  retryAfterSeconds: 0,
};

interface Run {
  code: number | null;
  ms: number;
  statuses: Record<string, number>;
}

async function dwd(args: string[], env: Record<string, string>): Promise<Run> {
  const run = await runDwd(args, env);
  const statuses: Record<string, number> = {};
  for (const line of run.stdout.split("\n").filter((l) => l !== "")) {
    const status = String((JSON.parse(line) as { status?: unknown }).status);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return { code: run.code, ms: run.ms, statuses };
}

/** Runs the section: events at the emulator after one event for 500 users under faults, and a rerun. */
export async function bulkCreateBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "dwd-bench-bulk-"));
  const server = await startEmulator({
    scenario: {
      domain: "example.com",
      users: { count: USERS },
      serviceAccounts: [{ name: "calendar-bot" }],
      grants: [{ serviceAccount: "calendar-bot", scopes: [`${auth}calendar`] }],
    } as never,
    keysDir: dir,
    port: 0,
    host: "127.0.0.1",
  });
  const setFaults = async (body: object): Promise<void> => {
    await fetch(`${server.url}/_emulator/faults`, { method: "PUT", body: JSON.stringify(body) });
  };
  try {
    const key = server.keyFiles["calendar-bot"]?.json ?? "";
    const users = Array.from(
      { length: USERS },
      (_, i) => `user${String(i + 1).padStart(4, "0")}@example.com`,
    );
    writeFileSync(join(dir, "users.txt"), `${users.join("\n")}\n`);
    writeFileSync(
      join(dir, "event.json"),
      JSON.stringify({
        summary: "Offsite kick-off",
        start: { dateTime: "2027-03-01T09:00:00Z" },
        end: { dateTime: "2027-03-01T10:00:00Z" },
      }),
    );
    const args = [
      ...["events", "create", "primary", "--key", key],
      ...["--subjects-file", join(dir, "users.txt"), "--file", join(dir, "event.json")],
    ];
    const env = { DWD_EMULATOR_HOST: new URL(server.url).host };
    await setFaults(faults);
    let runs = 0;
    let run: Run;
    do {
      run = await dwd(args, env);
      runs++;
      say(
        `  (run ${runs}: ${JSON.stringify(run.statuses)}, exit ${run.code}, ${Math.round(run.ms)} ms)`,
      );
    } while (run.code !== 0 && runs < 5);
    const again = await dwd(args, env);
    say(
      `  (rerun: ${JSON.stringify(again.statuses)}, exit ${again.code}, ${Math.round(again.ms)} ms)`,
    );
    await setFaults({});
    const client = createCalendarClient({
      tokenSource: createTokenSource(await loadKey(key), { tokenUri: `${server.url}/token` }),
      rootUrl: `${server.url}/calendar/v3`,
      scopes: [`${auth}calendar`],
    });
    const pages = await client.batch(
      users.map((u) => client.calls.as(u).events.list("primary", { q: "Offsite" })),
    );
    let events = 0;
    for (const page of pages) {
      if (!page.ok) throw page.error;
      events += page.value.items?.length ?? 0;
    }
    return [
      result(
        `one event for ${USERS} users, 20 % faults, ${runs} run(s): events at the emulator vs ${USERS}`,
        events,
        USERS,
        "events",
        "= 1",
      ),
      result(
        "a further run under the same faults: events created vs 0",
        again.statuses["created"] ?? 0,
        0,
        "events",
        "= 1 (none created)",
      ),
    ];
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  report(await bulkCreateBench());
}
