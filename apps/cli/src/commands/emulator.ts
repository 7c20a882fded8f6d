import type { EmulatorOptions, Scenario } from "@dwd/emulator";
import { defineCommand } from "citty";
import { stringArg } from "../_internal/args.ts";
import type { Io } from "../_internal/io.ts";
import { ioOf } from "../_internal/io.ts";
import { UsageError } from "../_internal/usage-error.ts";

/** Options of {@link emulatorStart}. */
export interface EmulatorStartOptions {
  scenario: string;
  port: number;
  host: string;
  keysDir: string;
  /** `--public-url`: the origin clients reach the emulator at through a proxy (key files name it). */
  publicUrl?: string;
  /** `--push-allow`: loopback origins (or `loopback`) watch channels may deliver to (default none). */
  pushAllowedOrigins?: string[];
  /** Injected faults (`--latency`, `--fault-rate`, `--fault`, `--fault-seed`, `--push-drop`, `--push-delay-ms`). */
  faults?: EmulatorOptions["faults"];
  /** Resolves when the emulator should stop; default: on SIGINT or SIGTERM. */
  until?: Promise<unknown>;
}

async function readScenario(name: string): Promise<Scenario | "demo"> {
  if (name === "demo") return "demo";
  const { readFile } = await import("node:fs/promises");
  let text: string;
  try {
    text = await readFile(name, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(
      `Cannot read scenario "${name}": ${code === "ENOENT" ? "no such file" : (code ?? "unreadable")}`,
      'Give "demo" or the path of a scenario JSON file',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(
      `Cannot read scenario "${name}": the file is not JSON`,
      "A scenario is a JSON object with domain, users, serviceAccounts and grants",
    );
  }
  const { loadScenario } = await import("@dwd/emulator");
  return loadScenario(json);
}

function signalled(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

const keysDirHint = "Give a directory dwd may create or write to, e.g. --keys-dir .dwd-keys";

/** Refuses a --keys-dir that cannot hold the key files, before the emulator starts. */
async function checkKeysDir(dir: string): Promise<void> {
  const { stat } = await import("node:fs/promises");
  try {
    if (!(await stat(dir)).isDirectory())
      throw new UsageError(
        `Cannot write keys to "${dir}": it exists and is not a directory`,
        keysDirHint,
      );
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === "ENOTDIR")
      throw new UsageError(
        `Cannot write keys to "${dir}": a part of the path is a file, not a directory`,
        keysDirHint,
      );
    // ENOENT: created by the emulator; anything else surfaces when it writes.
  }
}

/** A file-system failure while writing the keys (EACCES, EROFS, ENOSPC…) is bad local input, not a bug. */
function keysDirError(dir: string, error: unknown): unknown {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  if (typeof code !== "string" || typeof syscall !== "string") return error;
  return new UsageError(`Cannot write keys to "${dir}": ${syscall} failed (${code})`, keysDirHint);
}

/** `dwd emulator start`: the base URL on the first line of stdout, guidance on stderr, serves until stopped. */
export async function emulatorStart(options: EmulatorStartOptions, io: Io): Promise<number> {
  const scenario: EmulatorOptions["scenario"] = await readScenario(options.scenario);
  await checkKeysDir(options.keysDir);
  const { startEmulator } = await import("@dwd/emulator/node");
  const server = await startEmulator({
    scenario,
    port: options.port,
    host: options.host,
    keysDir: options.keysDir,
    faults: options.faults,
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    ...(options.pushAllowedOrigins === undefined
      ? {}
      : { pushAllowedOrigins: options.pushAllowedOrigins }),
  }).catch((error: unknown) => {
    if (error instanceof RangeError && /^publicUrl /.test(error.message))
      throw new UsageError(
        `Invalid --public-url "${options.publicUrl ?? ""}": not an http(s) origin`,
        "Give the scheme, host and port clients reach the emulator at, e.g. --public-url https://google.test:8443",
      );
    if (error instanceof RangeError && /^pushAllowedOrigins /.test(error.message))
      throw new UsageError(
        `Invalid --push-allow "${/got "(.*)"$/.exec(error.message)?.[1] ?? ""}": not an http(s) origin`,
        pushAllowHint,
      );
    throw keysDirError(options.keysDir, error);
  });
  io.out(server.url);
  const publicUrl = new URL(server.publicUrl);
  // DWD_EMULATOR_HOST takes host:port for http, or the whole origin (https behind a proxy).
  const host = publicUrl.protocol === "https:" ? publicUrl.origin : publicUrl.host;
  io.err(
    `${io.styleErr("green", "emulator listening")} on ${server.url} (scenario ${options.scenario})`,
  );
  if (server.publicUrl !== server.url)
    io.err(`public URL ${server.publicUrl}: key files name it, tokens are issued for it`);
  for (const [account, files] of Object.entries(server.keyFiles))
    io.err(`key ${account}: ${files.json}  ${files.p12}`);
  io.err(`point dwd at it: export DWD_EMULATOR_HOST=${host}`);
  if (options.pushAllowedOrigins !== undefined && options.pushAllowedOrigins.length > 0)
    io.err(`push notifications allowed to ${options.pushAllowedOrigins.join(", ")}`);
  if (options.faults !== undefined)
    io.err(
      `faults: ${JSON.stringify(options.faults)} (change them with PUT ${server.url}/_emulator/faults)`,
    );
  io.err("stop with Ctrl-C");
  await (options.until ?? signalled());
  await server.close();
  return 0;
}

function port(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new UsageError(
      `Invalid --port "${value}": not a port number`,
      "Give 0 to 65535 (0 picks a free port)",
    );
  return n;
}

const faultKinds = ["429", "403", "500", "503", "reset"] as const;

const pushAllowHint =
  "Give loopback origins without a path, comma-separated, or loopback for any: e.g. --push-allow loopback or --push-allow http://127.0.0.1:8090";

/**
 * The `--push-allow` list: `loopback`, or http(s) origins on 127.0.0.1, localhost or [::1] (the
 * emulator never posts outside the machine). A usage error names the first entry that is neither.
 * Undefined without the flag.
 */
export function pushAllowFromFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const entries = value
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  for (const entry of entries) {
    if (entry === "loopback") continue;
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      (url.protocol !== "http:" && url.protocol !== "https:") ||
      url.pathname !== "/" ||
      url.search !== "" ||
      url.hash !== "" ||
      url.username !== "" ||
      url.password !== ""
    )
      throw new UsageError(`Invalid --push-allow "${entry}": not an http(s) origin`, pushAllowHint);
    if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
      throw new UsageError(
        `Invalid --push-allow "${entry}": not a loopback origin (the emulator never posts outside the machine)`,
        pushAllowHint,
      );
  }
  return entries;
}

/** `--push-delay-ms`: whole milliseconds, or a range `MIN-MAX` drawn per notification. */
function pushDelay(value: string): number | [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  const min = Number(match?.[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (match === null || min > max || max > 600_000)
    throw new UsageError(
      `Invalid --push-delay-ms "${value}": not milliseconds or a range MIN-MAX`,
      "Give whole milliseconds from 0 to 600000, or a range, e.g. --push-delay-ms 200 or --push-delay-ms 50-500",
    );
  return match[2] === undefined ? min : [min, max];
}

function rate(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(
      `Invalid ${flag} "${value}": not a rate from 0 to 1`,
      flag === "--push-drop"
        ? "Give a fraction of notifications, e.g. --push-drop 0.3"
        : `Give a fraction of calls, e.g. ${flag === "--fault-rate" ? "--fault-rate 0.2" : "--fault 429=0.1,503=0.05"}`,
    );
  }
  return n;
}

/**
 * Faults from the command line: `--latency MS`, `--fault-rate R` (spread evenly over 429, 403,
 * 500, 503 and connection resets), `--fault 429=0.1,503=0.05,reset=0.02` (per kind, overriding the
 * spread), `--fault-seed N`, `--push-drop R` (share of change notifications dropped),
 * `--push-delay-ms MS` or `MIN-MAX`. Undefined when no fault flag is given.
 */
export function faultsFromFlags(flags: {
  latency?: string | undefined;
  faultRate?: string | undefined;
  fault?: string | undefined;
  faultSeed?: string | undefined;
  pushDrop?: string | undefined;
  pushDelayMs?: string | undefined;
}): EmulatorOptions["faults"] {
  if (Object.values(flags).every((v) => v === undefined)) return undefined;
  const faults: NonNullable<EmulatorOptions["faults"]> = {};
  if (flags.pushDrop !== undefined) faults.pushDropRate = rate("--push-drop", flags.pushDrop);
  if (flags.pushDelayMs !== undefined) faults.pushDelayMs = pushDelay(flags.pushDelayMs);
  if (flags.latency !== undefined) {
    const ms = Number(flags.latency);
    if (!/^\d+$/.test(flags.latency) || ms > 600_000)
      throw new UsageError(
        `Invalid --latency "${flags.latency}": not a number of milliseconds`,
        "Give whole milliseconds from 0 to 600000, e.g. --latency 50",
      );
    faults.latencyMs = ms;
  }
  const rates: Partial<Record<(typeof faultKinds)[number], number>> = {};
  if (flags.faultRate !== undefined) {
    const total = rate("--fault-rate", flags.faultRate);
    for (const kind of faultKinds) rates[kind] = total / faultKinds.length;
  }
  if (flags.fault !== undefined) {
    for (const pair of flags.fault.split(",")) {
      const [kind = "", value = ""] = pair.split("=").map((x) => x.trim());
      if (!faultKinds.includes(kind as (typeof faultKinds)[number])) {
        throw new UsageError(
          `Invalid --fault "${pair}": unknown kind "${kind}"`,
          `Use kinds ${faultKinds.join(", ")} as KIND=RATE, e.g. --fault 429=0.1,reset=0.05`,
        );
      }
      rates[kind as (typeof faultKinds)[number]] = rate("--fault", value);
    }
  }
  const sum = Object.values(rates).reduce((a, b) => a + b, 0);
  if (sum > 1 + 1e-9)
    throw new UsageError(
      `Invalid fault rates: they add up to ${sum}, more than 1`,
      "Lower the rates so that together they are at most 1",
    );
  if (Object.keys(rates).length > 0) faults.errorRates = rates;
  if (flags.faultSeed !== undefined) {
    if (!/^-?\d+$/.test(flags.faultSeed))
      throw new UsageError(
        `Invalid --fault-seed "${flags.faultSeed}": not an integer`,
        "Give an integer, e.g. --fault-seed 42",
      );
    faults.seed = Number(flags.faultSeed);
  }
  return faults;
}

/** The `emulator` command group. */
export const emulatorCommand = defineCommand({
  meta: { name: "dwd emulator", description: "Run the local Google emulator" },
  subCommands: {
    start: defineCommand({
      meta: {
        name: "dwd emulator start",
        description:
          "Start the emulator, write its key files, print its base URL first, serve until SIGINT/SIGTERM",
      },
      args: {
        scenario: {
          type: "string",
          valueHint: "demo|file",
          description: 'Scenario: "demo" or a scenario JSON file (default: demo)',
        },
        port: {
          type: "string",
          valueHint: "port",
          description: "Port to listen on (default: 0, any free port)",
        },
        host: {
          type: "string",
          valueHint: "host",
          description: "Interface to listen on (default: 127.0.0.1)",
        },
        "keys-dir": {
          type: "string",
          valueHint: "dir",
          description: "Where to write <account>.json and <account>.p12 (default: .dwd-keys)",
        },
        "push-allow": {
          type: "string",
          valueHint: "origins",
          description:
            "Loopback origins watch channels may deliver to, comma-separated, or loopback for any (default: none; never the emulator itself)",
        },
        "public-url": {
          type: "string",
          valueHint: "url",
          description:
            "Origin clients reach the emulator at through a proxy or container network (key files name it as token_uri)",
        },
        latency: {
          type: "string",
          valueHint: "ms",
          description: "Delay every answer by this many milliseconds",
        },
        "fault-rate": {
          type: "string",
          valueHint: "0-1",
          description:
            "Fail this fraction of API calls, spread over 429, 403, 500, 503 and connection resets",
        },
        fault: {
          type: "string",
          valueHint: "kind=rate,...",
          description:
            "Per-kind failure rates, e.g. 429=0.1,503=0.05,reset=0.02 (kinds: 429, 403, 500, 503, reset)",
        },
        "fault-seed": {
          type: "string",
          valueHint: "n",
          description: "Seed of the failure draws (same seed, same failures)",
        },
        "push-drop": {
          type: "string",
          valueHint: "0-1",
          description:
            "Drop this fraction of push notifications (each still uses its message number)",
        },
        "push-delay-ms": {
          type: "string",
          valueHint: "ms|min-max",
          description: "Delay every push notification (a range draws per notification; order kept)",
        },
      },
      run: (ctx) =>
        emulatorStart(
          {
            scenario: stringArg(ctx.args, "scenario") ?? "demo",
            port: port(stringArg(ctx.args, "port")),
            host: stringArg(ctx.args, "host") ?? "127.0.0.1",
            keysDir: stringArg(ctx.args, "keys-dir") ?? ".dwd-keys",
            publicUrl: stringArg(ctx.args, "public-url"),
            pushAllowedOrigins: pushAllowFromFlag(stringArg(ctx.args, "push-allow")),
            faults: faultsFromFlags({
              latency: stringArg(ctx.args, "latency"),
              faultRate: stringArg(ctx.args, "fault-rate"),
              fault: stringArg(ctx.args, "fault"),
              faultSeed: stringArg(ctx.args, "fault-seed"),
              pushDrop: stringArg(ctx.args, "push-drop"),
              pushDelayMs: stringArg(ctx.args, "push-delay-ms"),
            }),
          },
          ioOf(ctx),
        ),
    }),
  },
});
