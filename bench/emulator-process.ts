// The emulator in its own process (`dwd emulator start` of the bundled CLI), as a user runs it: Google is
// remote, so the API's work must not share an event loop with the clients being compared.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScenario } from "@dwd/emulator";

const cli = join(
  fileURLToPath(new URL(".", import.meta.url)),
  "..",
  "apps",
  "cli",
  "dist",
  "dwd.js",
);

/** A running emulator process. */
export interface EmulatorProcess {
  url: string;
  /** The key files it wrote, by service-account name. */
  keyFile: (account: string) => string;
  /** The active users of the scenario, in its order. */
  users: string[];
  /** `/_emulator/…` of this emulator. */
  control: (path: string, init?: RequestInit) => Promise<Response>;
  close: () => Promise<void>;
}

/** Starts `dwd emulator start --scenario FILE` (plus `args`) on a free port and waits for its URL. */
export async function startEmulatorProcess(
  scenario: object,
  args: readonly string[] = [],
): Promise<EmulatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), "dwd-bench-emu-"));
  const file = join(dir, "scenario.json");
  writeFileSync(file, JSON.stringify(scenario));
  const users = loadScenario(scenario as never)
    .users.filter((u) => u.suspended !== true)
    .map((u) => u.email);
  const child = spawn(
    process.execPath,
    [
      cli,
      "emulator",
      "start",
      "--scenario",
      file,
      "--keys-dir",
      join(dir, "keys"),
      "--port",
      "0",
      ...args,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const line = out.split("\n")[0]!;
      if (out.includes("\n")) resolve(line.trim());
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`dwd emulator start exited ${code}: ${stderr}`)));
  });
  child.stdout.resume();
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return {
    url,
    users,
    keyFile: (account) => join(dir, "keys", `${account}.json`),
    control: (path, init) => fetch(`${url}/_emulator${path}`, init),
    close: async () => {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** dwd-server's `delegation` section over an emulator process: calendar-bot's key, the demo check subject. */
export const delegationOver = (emulator: EmulatorProcess): Record<string, string> => ({
  keyFile: emulator.keyFile("calendar-bot"),
  checkSubject: "info@example.com",
  tokenUri: `${emulator.url}/token`,
  calendarRoot: `${emulator.url}/calendar/v3`,
});
