import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { seen } from "./helpers.ts";

export const bundle = fileURLToPath(new URL("../dist/dwd-server.js", import.meta.url));
export const sourceEntry = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** How to run dwd-server: the Node bundle, or the source entry under Deno. */
export type Runtime = "node" | "deno";

export function command(runtime: Runtime, args: string[]): [string, string[]] {
  if (runtime === "node") return [process.execPath, [bundle, ...args]];
  // The binary itself, not the npm shim: a signal must reach the server, not a wrapper.
  const deno = fileURLToPath(new URL("node_modules/deno/deno", `file://${repoRoot}`));
  return [deno, ["run", "--quiet", "--allow-all", sourceEntry, ...args]];
}

export interface RunningServer {
  url: string;
  child: ChildProcess;
  /** stdout lines so far (banner, then one audit line per request). */
  stdout: string[];
  stderr: string[];
  /** The audit lines (stdout lines that are JSON). */
  audit(): Record<string, unknown>[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts dwd-server and resolves once it prints its URL; everything it prints joins the secret scan. */
export function startServer(
  runtime: Runtime,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const [cmd, argv] = command(runtime, args);
  const child = spawn(cmd, argv, {
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    cwd: repoRoot,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines = (into: string[], onLine?: (line: string) => void) => {
    let rest = "";
    return (chunk: Buffer): void => {
      rest += chunk.toString();
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        into.push(line);
        seen.push(line);
        onLine?.(line);
      }
    };
  };
  return new Promise((resolve, reject) => {
    child.stderr.on("data", lines(stderr));
    child.stdout.on(
      "data",
      lines(stdout, (line) => {
        const match = /^dwd-server listening on (http:\/\/\S+)$/.exec(line);
        if (match) {
          resolve({
            url: match[1]!,
            child,
            stdout,
            stderr,
            exited,
            audit: () =>
              stdout
                .filter((l) => l.startsWith("{"))
                .map((l) => JSON.parse(l) as Record<string, unknown>),
            async stop(signal = "SIGTERM") {
              if (child.exitCode === null) child.kill(signal);
              return await exited;
            },
          });
        }
      }),
    );
    void exited.then((code) =>
      reject(new Error(`dwd-server exited ${code} before listening:\n${stderr.join("\n")}`)),
    );
  });
}

/** Runs dwd-server to completion. */
export function runServer(
  runtime: Runtime,
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [cmd, argv] = command(runtime, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
      cwd: repoRoot,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      seen.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? "");
  });
}

/** Waits until `check` holds (polling; gives up after `timeoutMs`). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Sends a request and reads the answer as JSON (or text). */
export async function call(
  url: string,
  options: {
    method?: string;
    token?: string;
    json?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown>; text: string }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method: options.method ?? (options.json !== undefined ? "POST" : "GET"),
    headers,
    ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
  });
  const text = await response.text();
  const body = text.startsWith("{") ? (JSON.parse(text) as Record<string, unknown>) : {};
  seen.push(JSON.stringify({ ...body, accessToken: undefined }));
  return { status: response.status, headers: response.headers, body, text };
}
