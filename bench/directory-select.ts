// Bench section: selecting the 1,000 users of an org unit from Directory (`dwd freebusy --ou /Sales
// --admin …`), counted at the emulator (`GET /_emulator/stats` → byEndpoint["directory.users.list"]).
// The target is ⌈1000 / page size⌉ users.list requests with Directory's largest page (500): 2. Only the
// active emails of each page are kept; the users' calendars are then read as usual.
//
//   node bench/directory-select.ts [--json]       (also run by bench/run.ts)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator } from "@dwd/emulator/node";
import { report, result, say } from "./report.ts";
import { dwd } from "./dwd-process.ts";
import type { BenchResult } from "./report.ts";

const USERS = 1000;
const PAGE_SIZE = 500;
const auth = "https://www.googleapis.com/auth/";

/** Runs the section: Directory requests to select 1,000 users of an org unit, vs ⌈1000 / 500⌉. */
export async function directorySelectBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "dwd-bench-directory-"));
  const scenario = {
    domain: "example.com",
    users: [
      { email: "admin@example.com", isAdmin: true },
      ...Array.from({ length: 50 }, (_, i) => ({
        email: `eng${i}@example.com`,
        orgUnitPath: "/Engineering",
      })),
      ...Array.from({ length: USERS }, (_, i) => ({
        email: `s${String(i + 1).padStart(4, "0")}@example.com`,
        orgUnitPath: "/Sales",
      })),
    ],
    serviceAccounts: [{ name: "calendar-bot" }],
    grants: [
      {
        serviceAccount: "calendar-bot",
        scopes: [
          `${auth}calendar.freebusy`,
          `${auth}admin.directory.user.readonly`,
          `${auth}admin.directory.group.member.readonly`,
        ],
      },
    ],
  };
  const server = await startEmulator({
    scenario: scenario as never,
    keysDir: dir,
    port: 0,
    host: "127.0.0.1",
  });
  const directoryCalls = async (): Promise<number> =>
    (
      (await (await fetch(`${server.url}/_emulator/stats`)).json()) as {
        byEndpoint: Record<string, number>;
      }
    ).byEndpoint["directory.users.list"] ?? 0;
  try {
    const before = await directoryCalls();
    const run = await dwd(
      [
        "freebusy",
        "--key",
        server.keyFiles["calendar-bot"]?.json ?? "",
        "--ou",
        "/Sales",
        "--admin",
        "admin@example.com",
        "--from",
        "2026-12-01T09:00:00Z",
        "--to",
        "2026-12-01T17:00:00Z",
        "--json",
        "--scopes",
        "calendar.freebusy",
      ],
      { DWD_EMULATOR_HOST: new URL(server.url).host },
    );
    const requests = (await directoryCalls()) - before;
    say(
      `  (dwd freebusy --ou /Sales for ${USERS} users, selection and free/busy: ${Math.round(run.ms)} ms wall)`,
    );
    const selected = (JSON.parse(run.stdout) as { users: { subject: string }[] }).users.length;
    if (selected !== USERS) throw new Error(`selected ${selected} users, not ${USERS}`);
    return [
      result(
        `select ${USERS} users of an org unit (--ou): Directory users.list requests vs ⌈${USERS} / ${PAGE_SIZE}⌉`,
        requests,
        Math.ceil(USERS / PAGE_SIZE),
        "requests",
        "= 1",
      ),
    ];
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  report(await directorySelectBench());
}
