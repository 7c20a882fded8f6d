// The bundled dwd against the emulator on a real port: a list over many users writes each batch's users
// as the batch comes back. A proxy in front of the emulator holds every batch request after the first
// until the test has seen the first user's events on dwd's stdout: a dwd that printed only at the end
// would print them only once its held batches failed at their --timeout (and the run with them). No
// waiting on time.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd, dwdUntil, startBatchHolder } from "./helpers.ts";

const auth = "https://www.googleapis.com/auth/";
const USERS = 120;

let server: RunningEmulator;
let dir: string;
let key: string;
let users: string[];
let usersFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-list-stream-"));
  server = await startEmulator({
    scenario: {
      domain: "example.com",
      users: { count: USERS, eventsEach: 2 },
      serviceAccounts: [{ name: "calendar-bot" }],
      grants: [
        { serviceAccount: "calendar-bot", scopes: [`${auth}calendar`, `${auth}calendar.readonly`] },
      ],
    } as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: join(dir, "keys"),
  });
  key = server.keyFiles["calendar-bot"]?.json ?? "";
  users = server.emulator.scenario.users.map((u) => u.email);
  usersFile = join(dir, "users.txt");
  await writeFile(usersFile, `${users.join("\n")}\n`);
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("a list over many users streams (bundled dwd, emulator)", () => {
  for (const format of ["--json", "table", "agenda"] as const) {
    it(`${format}: the first batch's users are on stdout while the other batches are held`, async () => {
      const proxy = await startBatchHolder(server.url);
      try {
        const first = users[0] ?? "";
        // --json writes an element once the next one is there: user 0's first event shows with its comma.
        const marker = {
          "--json": `"subject": "${first}"`,
          table: `${first}\t`,
          // The agenda prints each user's days once that user's last page is in, under their address.
          agenda: `${first}\n`,
        }[format];
        const { result, atMarker } = await dwdUntil(
          [
            ...(format === "agenda" ? ["agenda"] : ["events", "list"]),
            "--key",
            key,
            "--subjects-file",
            usersFile,
            ...(format === "--json" ? ["--json"] : []),
            // A dwd that printed only at the end would print once its held batches time out.
            "--timeout",
            "10000",
            "--retries",
            "0",
          ],
          cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host, HTTP_PROXY: proxy.url }),
          marker,
          () => proxy.releaseAnswered(),
        );
        proxy.release();
        expect(result.stderr).toMatch(
          new RegExp(`^summary: ${USERS} users: ${USERS} ok, 0 failed; 3 requests, `),
        );
        expect(result.code).toBe(0);
        // User 0's events were on stdout when only the first batch had been answered: the other two
        // (sent already or not yet) were held until then, and the run could not end without them.
        expect(atMarker).toBe(1);
        expect(proxy.batches()).toBe(3);
        const lines = result.stdout.trimEnd().split("\n");
        if (format === "agenda")
          expect(lines.filter((line) => /^user\d+@example\.com$/.test(line))).toEqual(users);
        else
          expect(
            format === "--json"
              ? (JSON.parse(result.stdout) as { subject: string }[]).map((r) => r.subject)
              : lines.map((line) => line.split("\t")[0]),
          ).toEqual(users.flatMap((u) => [u, u]));
      } finally {
        proxy.release();
        await proxy.close();
      }
    });
  }

  it("--json is one valid document with failing users mixed in; the same items as --ndjson", async () => {
    // Users the domain does not have, among the others: the token endpoint refuses them.
    const ghostAt = new Set([3, 50, 51, 99, 119]);
    const subjects = users.flatMap((u, i) => (ghostAt.has(i) ? [`ghost${i}@example.com`, u] : [u]));
    const file = join(dir, "with-ghosts.txt");
    await writeFile(file, `${subjects.join("\n")}\n`);
    const env = cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host });
    const args = ["events", "list", "--key", key, "--subjects-file", file];
    const json = await dwd([...args, "--json"], env);
    const nd = await dwd([...args, "--ndjson"], env);
    for (const r of [json, nd]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^error: 5 of ${USERS + 5} users failed:\n {2}ghost3@example\\.com: unknown_subject: `,
        ),
      );
    }
    const rows = JSON.parse(json.stdout) as { subject: string }[];
    expect(rows.map((r) => r.subject)).toEqual(users.flatMap((u) => [u, u]));
    expect(rows).toEqual(
      nd.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown),
    );
    expect(json.stdout).toBe(`${JSON.stringify(rows, null, 2)}\n`);
  });
});
