import type { Io } from "../src/_internal/io.ts";
import { paint, safeLine, visibleControls } from "../src/_internal/io.ts";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator, StartEmulatorOptions } from "@dwd/emulator/node";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The bundled CLI, as users run it. */
export const dwdPath = fileURLToPath(new URL("../dist/dwd.js", import.meta.url));

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of every spawned dwd: the test's own, minus anything that would change its behaviour. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v === undefined ||
      [
        "DWD_EMULATOR_HOST",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "NO_COLOR",
        "FORCE_COLOR",
        "NODE_OPTIONS",
        "DWD_CACHE_DIR",
        "XDG_CACHE_HOME",
        "DWD_LOG",
        "DWD_TIMEOUT_MS",
        // dwd honours egress proxies; a test sets them itself.
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
      ].includes(k)
    )
      continue;
    env[k] = v;
  }
  // Each run mints its own tokens (tests count exchanges); the token-cache tests turn it on with a dir.
  // Nor does a run keep compiled code in the user's cache directory (startup.test.ts turns that on).
  return { ...env, DWD_TOKEN_CACHE: "off", DWD_COMPILE_CACHE: "off", ...extra };
}

/**
 * Runs `node dist/dwd.js …args` to completion. A dwd that runs past `killAfterMs` (default 60 s: a hang, as
 * with a FIFO key before it was refused) is killed, so a failing test cannot leave it running or growing.
 */
export function dwd(
  args: string[],
  env: Record<string, string> = cleanEnv(),
  killAfterMs = 60_000,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [dwdPath, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: killAfterMs,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `dwd …args` in the background and resolves with its first line of stdout. */
export function dwdFirstLine(
  args: string[],
  env: Record<string, string> = cleanEnv(),
): Promise<{ child: ChildProcess; firstLine: string; exit: Promise<Result> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [dwdPath, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let done = false;
    const exit = new Promise<Result>((res) =>
      child.on("close", (code) => res({ code, stdout, stderr })),
    );
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      const nl = stdout.indexOf("\n");
      if (!done && nl >= 0) {
        done = true;
        resolve({ child, firstLine: stdout.slice(0, nl), exit });
      }
    });
    child.on("error", reject);
    void exit.then((r) => {
      if (!done)
        reject(new Error(`dwd exited (${String(r.code)}) before printing a line: ${r.stderr}`));
    });
  });
}

/** Replaces the run-specific parts of output (ports, temp dirs, client IDs) with placeholders. */
export function normalise(text: string, replacements: Record<string, string> = {}): string {
  let out = text;
  for (const [from, to] of Object.entries(replacements)) out = out.split(from).join(to);
  return out
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .replace(/\/tmp\/dwd-[\w-]+/g, "/tmp/DIR");
}

/** An Io that records lines as the process's Io would write them (redacted, controls visible). */
export function captureIo(
  env: Record<string, string | undefined>,
  color = false,
): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => void stdout.push(safeLine(line, color)),
    outLines: (lines) => void stdout.push(...lines.map((line) => safeLine(line, color))),
    outText: (text) => void stdout.push(...text.split("\n").map((line) => safeLine(line, color))),
    outJson: (text) => void stdout.push(...text.split("\n").map((line) => safeLine(line, color))),
    err: (line) => void stderr.push(safeLine(line, color)),
    outSecret: (line) => void stdout.push(visibleControls(line)),
    styleOut: (style, text) => paint(color, style, text),
    styleErr: (style, text) => paint(color, style, text),
    colorOut: () => color,
    colorErr: () => color,
    env,
  };
}

/** The emulator one test file drives the bundled dwd against. */
export interface TestEmulator {
  server: RunningEmulator;
  /** A temp folder for the file's own inputs (the keys are in `keys/` below it). */
  dir: string;
  /** calendar-bot's JSON key. */
  bot: string;
  /** cleanEnv() pointed at the emulator. */
  env: Record<string, string>;
  /** Stops the emulator and removes `dir`. */
  close(): Promise<void>;
}

/**
 * Starts an emulator on a loopback port: users of example.com (default ana and bob), `calendar-bot`
 * granted `…/auth/calendar`, its keys in a temp folder; `start` adds emulator options.
 */
export async function startTestEmulator(
  name: string,
  options: { users?: string[]; start?: Partial<StartEmulatorOptions> } = {},
): Promise<TestEmulator> {
  const dir = await mkdtemp(join(tmpdir(), `dwd-${name}-`));
  const server = await startEmulator({
    scenario: {
      domain: "example.com",
      users: (options.users ?? ["ana@example.com", "bob@example.com"]).map((email) => ({ email })),
      serviceAccounts: [{ name: "calendar-bot" }],
      grants: [
        { serviceAccount: "calendar-bot", scopes: ["https://www.googleapis.com/auth/calendar"] },
      ],
    } as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: join(dir, "keys"),
    ...options.start,
  });
  return {
    server,
    dir,
    bot: server.keyFiles["calendar-bot"]?.json ?? "",
    env: cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host }),
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What an egress proxy in a test received: the URL the request line names, and the whole body. */
export async function readProxied(
  req: IncomingMessage,
  origin: string,
): Promise<{ target: URL; body: Buffer<ArrayBuffer> }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  // dwd sends to the proxy as to an egress proxy: the request line holds the emulator's whole URL.
  return { target: new URL(req.url ?? "/", origin), body: Buffer.concat(chunks) };
}

/** Sends a request an egress proxy in a test received on to `origin`; writes the answer's status, type and body. */
export async function passOn(
  origin: string,
  req: IncomingMessage,
  proxied: { target: URL; body: Buffer<ArrayBuffer> },
  res: ServerResponse,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === "string" && !["host", "accept-encoding", "connection"].includes(name))
      headers.set(name, value);
  const { target, body } = proxied;
  const answer = await fetch(`${origin}${target.pathname}${target.search}`, {
    method: req.method ?? "GET",
    headers,
    ...(body.length > 0 ? { body } : {}),
  });
  const type = answer.headers.get("content-type");
  res.writeHead(answer.status, type === null ? {} : { "content-type": type });
  res.end(Buffer.from(await answer.arrayBuffer()));
}

/**
 * An egress proxy to the emulator at `upstream` that holds every batch request after the first `free`
 * until `release()`; `answered()` is how many batch requests it has answered so far, and
 * `releaseAnswered()` releases the held ones and says how many had been answered before.
 */
export async function startBatchHolder(
  upstream: string,
  free = 1,
): Promise<{
  url: string;
  batches: () => number;
  answered: () => number;
  release: () => void;
  releaseAnswered: () => number;
  close: () => Promise<void>;
}> {
  let batches = 0;
  let answered = 0;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const http: Server = createServer((req, res) => {
    void (async () => {
      const proxied = await readProxied(req, upstream);
      const batch = proxied.target.pathname.startsWith("/batch/");
      if (batch && ++batches > free) await released;
      await passOn(upstream, req, proxied, res);
      if (batch) answered++;
    })().catch((error: unknown) => res.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    batches: () => batches,
    answered: () => answered,
    release,
    releaseAnswered: () => {
      const before = answered;
      release();
      return before;
    },
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

/**
 * Runs dwd with `args`; once its stdout holds `marker`, calls `seen()` (which returns what to remember of
 * that moment). Resolves with the result and what `seen` returned (undefined if stdout never held it).
 */
export function dwdUntil<T>(
  args: string[],
  env: Record<string, string>,
  marker: string,
  seen: () => T,
): Promise<{ result: Result; atMarker: T | undefined }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [dwdPath, ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      // A dwd that does not stream waits on its held batches: stop it well before the test's own limit.
      timeout: 30_000,
      killSignal: "SIGKILL",
    });
    let stdout = "";
    let stderr = "";
    let atMarker: T | undefined;
    let found = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      if (!found && stdout.includes(marker)) {
        found = true;
        atMarker = seen();
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ result: { code, stdout, stderr }, atMarker }));
  });
}
