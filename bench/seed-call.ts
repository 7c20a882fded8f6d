// Sections 2, 2b and 3 of `pnpm bench`: the seed call and start-up, whole processes spawned as a user runs
// them, against an emulator on a real port.
//   2.  `dwd calendars get` vs google-auth-library + @googleapis/calendar (median of runs each), and vs the
//       floor: the same job written by hand on node:crypto and node:http, median of alternating pairs —
//       with ES imports as a hand-written script has them (baseline/calendars-get-node.mjs: the target's
//       floor), and with its built-ins from process.getBuiltinModule (calendars-get-node-lean.mjs: the
//       leanest program, reported beside it).
//   2b. `dwd calendars get --signer iam` vs the same with the key file, alternating pairs.
//   3.  `dwd --help` vs `node -e 0`, alternating pairs.
// dwd runs as installed: its compile cache in the user's cache directory is warm after the warm-up run.
// Alone (after `pnpm build`): node bench/seed-call.ts [--json]   (BENCH_RUNS pairs, default 15)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startEmulator } from "@dwd/emulator/node";
import { dwdBundle } from "./dwd-process.ts";
import { paired } from "./paired.ts";
import { report, result, say, table } from "./report.ts";
import { median } from "./stats.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** What the sections need of the emulator the bench runs. */
export interface SeedCallSetup {
  /** The emulator's base URL. */
  url: string;
  /** calendar-bot's JSON key file. */
  jsonKey: string;
  /** deployer's JSON key file (the caller of keyless signing). */
  deployerKey: string;
  /** calendar-bot's email. */
  bot: string;
  /** Runs (or pairs) per comparison. */
  runs: number;
}

/** Runs `node …args` to its end; the wall time in ms. A run that does not exit 0 rejects. */
function node(args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      // Tokens are minted on every run, as the baselines do (a kept token would skip the exchange).
      env: { ...process.env, DWD_TOKEN_CACHE: "off", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const dt = performance.now() - t0;
      if (code !== 0) reject(new Error(`node ${args.join(" ")} exited ${code}: ${out.trim()}`));
      else resolve(dt);
    });
  });
}

/** Median wall of each side over `runs` runs of A then B (after one warm-up each). */
async function medians(
  runA: () => Promise<number>,
  runB: () => Promise<number>,
  runs: number,
): Promise<[number, number]> {
  await runA();
  await runB();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await runA());
    b.push(await runB());
  }
  return [median(a), median(b)];
}

/** Sections 2, 2b and 3; prints their tables and results. */
export async function seedCallBench(setup: SeedCallSetup): Promise<void> {
  const { url, jsonKey, runs } = setup;
  const env = { DWD_EMULATOR_HOST: new URL(url).host, EMULATOR_URL: url, NO_COLOR: "1" };
  const subject = "info@example.com";
  const dwdGet = (): Promise<number> =>
    node([dwdBundle, "calendars", "get", subject, "--key", jsonKey, "--subject", subject], env);

  // 2. End to end: one process that loads a key, gets a delegated token and calls calendarList.get.
  const [dwdE2e, googleE2e] = await medians(
    dwdGet,
    () => node([join(here, "baseline", "calendars-get.mjs"), jsonKey, subject, subject], env),
    runs,
  );
  const floorOf = (script: string) => () =>
    node([join(here, "baseline", script), jsonKey, subject, subject], env);
  const floor = await paired(dwdGet, floorOf("calendars-get-node.mjs"), runs);
  const lean = await paired(dwdGet, floorOf("calendars-get-node-lean.mjs"), runs);
  say(
    `\n2. End to end: calendarList.get as ${subject} (vs Google's stack: median of ${runs} runs each; vs each hand-written floor: ${floor.pairs} alternating pairs)`,
  );
  table([
    { command: "dwd calendars get", wall: ms(dwdE2e) },
    { command: "google-auth-library + @googleapis/calendar", wall: ms(googleE2e) },
    { command: "dwd calendars get (paired with the floor)", wall: ms(floor.a) },
    { command: "hand-written: node:crypto + node:http, ES imports", wall: ms(floor.b) },
    { command: "dwd calendars get (paired with the leanest floor)", wall: ms(lean.a) },
    { command: "hand-written, built-ins from getBuiltinModule", wall: ms(lean.b) },
  ]);
  report([
    result(
      "end to end: one process loads a key, gets a delegated token, calls calendarList.get (dwd calendars get vs google-auth-library + @googleapis/calendar)",
      dwdE2e,
      googleE2e,
      "ms",
      "<= 0.5",
    ),
    {
      ...result(
        "end to end: dwd calendars get vs the same job hand-written on node:crypto and node:http with ES imports (baseline/calendars-get-node.mjs)",
        floor.a,
        floor.b,
        "ms",
        "<= 1.05",
      ),
      ratio: floor.ratio, // the median of per-pair ratios
    },
    {
      ...result(
        "end to end: dwd calendars get vs the same job with its built-ins from process.getBuiltinModule, the leanest (baseline/calendars-get-node-lean.mjs)",
        lean.a,
        lean.b,
        "ms",
      ),
      ratio: lean.ratio,
    },
  ]);

  // 2b. Keyless: the IAM Credentials API signs (the caller: deployer's key through ADC) against the key file
  // signing locally; the extra cost is the caller's own token and the signJwt round trip.
  const home = mkdtempSync(join(tmpdir(), "dwd-bench-home-"));
  try {
    const keyless = await paired(
      () =>
        node(
          [
            dwdBundle,
            "calendars",
            "get",
            subject,
            "--signer",
            "iam",
            "--service-account",
            setup.bot,
            "--subject",
            subject,
          ],
          { ...env, HOME: home, GOOGLE_APPLICATION_CREDENTIALS: setup.deployerKey },
        ),
      dwdGet,
      runs,
    );
    say(
      `\n2b. Keyless end to end, ${keyless.pairs} alternating pairs: dwd calendars get --signer iam vs --key`,
    );
    table([
      { command: "dwd calendars get --signer iam (ADC: deployer's key)", wall: ms(keyless.a) },
      { command: "dwd calendars get --key calendar-bot.json", wall: ms(keyless.b) },
    ]);
    report([
      {
        ...result(
          "keyless end to end: dwd calendars get --signer iam (dwd column) vs the same with the key file (baseline column)",
          keyless.a,
          keyless.b,
          "ms",
        ),
        ratio: keyless.ratio,
      },
    ]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }

  // 3. Start-up.
  const help = await paired(
    () => node([dwdBundle, "--help"]),
    () => node(["-e", "0"]),
    runs,
  );
  say(`\n3. Start-up, ${help.pairs} alternating pairs`);
  table([
    { command: "dwd --help", wall: ms(help.a) },
    { command: "node -e 0", wall: ms(help.b) },
  ]);
  report([
    {
      ...result(
        "start-up: dwd --help (dwd column) vs node -e 0 (baseline column)",
        help.a,
        help.b,
        "ms",
        "<= 1.3",
      ),
      ratio: help.ratio,
    },
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const keysDir = mkdtempSync(join(tmpdir(), "dwd-bench-"));
  const server = await startEmulator({ keysDir });
  try {
    await seedCallBench({
      url: server.url,
      jsonKey: server.keyFiles["calendar-bot"]!.json,
      deployerKey: server.keyFiles["deployer"]!.json,
      bot: server.emulator.serviceAccount("calendar-bot").email,
      runs: Number(process.env["BENCH_RUNS"] ?? 15),
    });
  } finally {
    await server.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}
