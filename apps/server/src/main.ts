/**
 * The `dwd-server` command. Parses arguments, answers `--help`, `--version` and `hash-token` itself,
 * and loads the server (Hono, auth, calendar, ioredis, the emulator) only to serve.
 *
 * @module
 */

import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError, reportFatal } from "./_internal/usage-error.ts";
import { VERSION_STRING } from "./_internal/version.ts";

const usage = `dwd-server: one small service holds the domain-wide delegation; apps ask it, under a policy

Usage:
  dwd-server --config dwd-server.json        serve with a configuration (schema: dwd-server.schema.json)
  dwd-server --emulator [--port N]           serve the embedded emulator's demo with a demo policy
  dwd-server --emulator-url URL [--key FILE] the demo policy against an emulator already running
  printf %s "$TOKEN" | dwd-server hash-token  print the SHA-256 a configuration names a caller's token by

Options:
  --config FILE        configuration file (JSON)
  --emulator           start the embedded emulator (demo scenario) behind the server
  --emulator-port N    the embedded emulator's port (also --emulator=N; default: a free one), so
                       the dwd CLI or a test can reach the same emulator
  --emulator-url URL   use a running emulator; its calendar-bot key from --key or from the emulator
  --key FILE           service-account key file for --emulator-url
  --port N             port (default 8080 for --emulator and --emulator-url; 0 picks a free one)
  --host HOST          interface (default 127.0.0.1)
  --cache URL          "memory" or redis://HOST:PORT shared by replicas (needs DWD_CACHE_KEY: 32 random bytes, base64)
  --demo-rate N        the demo booking-app's requests per minute (default 600)
  --mirror FILE        demo modes: mirror the users in FILE (one email a line; # comments) through
                       push notifications to this server's /v1/push, and answer them from the mirror
  -h, --help           this text
  -v, --version        the version

Demo tokens (--emulator and --emulator-url only): booking-app "demo-booking-token", intruder "demo-intruder-token".
SIGTERM stops accepting and finishes requests in flight; SIGHUP reloads the configuration's policy.`;

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
}

async function hashToken(): Promise<number> {
  const token = (await readStdin()).replace(/\r?\n$/, "");
  if (token === "")
    throw new UsageError(
      "No token on standard input: hash-token reads the token from stdin",
      'Pipe it in without a newline: printf %s "$TOKEN" | dwd-server hash-token',
    );
  if (/\s/.test(token))
    throw new UsageError(
      "The token on standard input contains whitespace: a bearer token has none",
      'Pipe in the token alone, e.g. printf %s "$TOKEN" | dwd-server hash-token',
    );
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
  process.stdout.write(`${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}\n`);
  return 0;
}

function integer(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
  example: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `--${name} must be an integer from ${min} to ${max}, got "${value}"`,
      `Pass e.g. --${name} ${example}`,
    );
  return n;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      // --emulator=PORT is --emulator --emulator-port PORT.
      args: argv.flatMap((a) => {
        const m = /^--emulator=(.*)$/.exec(a);
        return m === null ? [a] : ["--emulator", "--emulator-port", m[1]!];
      }),
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string" },
        emulator: { type: "boolean" },
        "emulator-url": { type: "string" },
        "emulator-port": { type: "string" },
        key: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        cache: { type: "string" },
        "demo-rate": { type: "string" },
        mirror: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (error) {
    throw new UsageError(
      `Cannot read the arguments: ${error instanceof Error ? error.message.split("\n")[0]! : String(error)}`,
      "Run dwd-server --help for the options",
    );
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION_STRING}\n`);
    return 0;
  }
  if (positionals[0] === "hash-token") {
    if (positionals.length > 1)
      throw new UsageError(
        `hash-token takes no arguments, got "${positionals.slice(1).join(" ")}"`,
        'Pipe the token in: printf %s "$TOKEN" | dwd-server hash-token',
      );
    return await hashToken();
  }
  if (positionals.length > 0)
    throw new UsageError(
      `Unknown command "${positionals[0]}"`,
      "Run dwd-server --help; the only command is hash-token",
    );
  const modes = [
    values.config !== undefined,
    values.emulator === true,
    values["emulator-url"] !== undefined,
  ].filter(Boolean).length;
  if (modes === 0)
    throw new UsageError(
      "Nothing to serve: give --config FILE, --emulator or --emulator-url URL",
      "Try dwd-server --emulator for the demo",
    );
  if (modes > 1)
    throw new UsageError(
      "--config, --emulator and --emulator-url exclude each other",
      "Give exactly one of them",
    );
  if (values["emulator-port"] !== undefined && values.emulator !== true)
    throw new UsageError(
      "--emulator-port is only for --emulator (the embedded emulator)",
      "Add --emulator, or point --emulator-url at an emulator already running",
    );
  if (values.key !== undefined && values["emulator-url"] === undefined)
    throw new UsageError(
      "--key is only for --emulator-url",
      "Name the key file in the configuration's delegation.keyFile instead",
    );
  if (
    values.config !== undefined &&
    (values.port !== undefined || values["demo-rate"] !== undefined)
  )
    throw new UsageError(
      "--port and --demo-rate are for the demo modes",
      "Set listen.port in the configuration file",
    );
  if (values.config !== undefined && values.mirror !== undefined)
    throw new UsageError(
      "--mirror is for the demo modes (--emulator, --emulator-url)",
      'Add a "mirror" section to the configuration file instead (users, pushUrl)',
    );
  if (values.cache !== undefined && !/^(memory|rediss?:\/\/.+)$/.test(values.cache))
    throw new UsageError(
      `--cache must be "memory" or a redis:// URL, got "${values.cache}"`,
      "Pass e.g. --cache redis://127.0.0.1:6379",
    );
  const emulatorUrl = values["emulator-url"];
  if (emulatorUrl !== undefined && !URL.canParse(emulatorUrl))
    throw new UsageError(
      `--emulator-url must be a URL, got "${emulatorUrl}"`,
      "Pass e.g. --emulator-url http://127.0.0.1:8085",
    );
  const { start } = await import("./start.ts");
  return await start({
    ...(values.config !== undefined ? { configFile: values.config } : {}),
    ...(values.emulator ? { emulator: true } : {}),
    ...(emulatorUrl !== undefined ? { emulatorUrl } : {}),
    ...(values.key !== undefined ? { keyFile: values.key } : {}),
    ...(values["emulator-port"] !== undefined
      ? { emulatorPort: integer("emulator-port", values["emulator-port"], 0, 65535, 8085)! }
      : {}),
    ...(values.cache !== undefined ? { cache: values.cache } : {}),
    ...(values.mirror !== undefined ? { mirrorFile: values.mirror } : {}),
    port: integer("port", values.port, 0, 65535, 8080) ?? 8080,
    host: values.host ?? "127.0.0.1",
    demoRate: integer("demo-rate", values["demo-rate"], 1, 10_000_000, 600) ?? 600,
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  async (error: unknown) => {
    process.exitCode = await reportFatal(error);
  },
);
