// What both dwd-server benches share: the load subjects, the emulator scenario with them, the bundled
// server spawned like production against that emulator, and one timed GET.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { demoScenario } from "@dwd/emulator";

/** `load00000@example.com`… : the subjects the token broker is warmed and loaded with. */
export const loadSubjects = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `load${String(i).padStart(5, "0")}@example.com`);

/** The demo scenario with the load subjects added as users. */
export const scenarioWith = (subjects: readonly string[]): object => ({
  ...demoScenario,
  users: [...demoScenario.users, ...subjects.map((email) => ({ email }))],
});

/**
 * Spawns a dwd-server bundle against the emulator (`--demo-rate` high enough never to limit), waits for
 * its URL and for `/readyz` to answer 200. Its audit lines on stdout are read and dropped.
 */
export async function startServerProcess(
  bundle: string,
  options: {
    emulatorUrl: string;
    keyFile: string;
    nodeArgs?: string[];
    stderr?: "inherit" | "ignore";
    /** Runs with this configuration file instead of the demo policy. */
    configFile?: string;
  },
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      bundle,
      ...(options.configFile !== undefined
        ? ["--config", options.configFile]
        : [
            "--emulator-url",
            options.emulatorUrl,
            "--key",
            options.keyFile,
            "--port",
            "0",
            "--demo-rate",
            "10000000",
          ]),
    ],
    { stdio: ["ignore", "pipe", options.stderr ?? "inherit"] },
  );
  const stdout = child.stdout;
  const url = await new Promise<string>((resolve) => {
    let out = "";
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /dwd-server listening on (\S+)/.exec(out);
      if (m) {
        // Only until the URL: kept, the listener would gather every audit line and scan it all again on
        // each chunk, in the process that runs the load generator.
        stdout.off("data", onData);
        resolve(m[1]!);
      }
    };
    stdout.on("data", onData);
  });
  stdout.resume(); // audit lines: read and dropped
  for (;;) {
    const r = await fetch(`${url}/readyz`).catch(() => undefined);
    if (r?.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url, child };
}

/** Milliseconds of one GET, its body read; throws unless it answered 200. */
export async function timeGet(target: string, headers: Record<string, string>): Promise<number> {
  const start = performance.now();
  const r = await fetch(target, { headers });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${target} answered ${r.status}`);
  return performance.now() - start;
}

/** Caches a token for every subject through the server's token broker, 16 requests in flight. */
export async function warmSubjects(
  url: string,
  subjects: readonly string[],
  headers: Record<string, string>,
  scopes: readonly string[],
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < subjects.length; i = next++) {
        const r = await fetch(`${url}/v1/token`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ subject: subjects[i], scopes }),
        });
        await r.arrayBuffer();
      }
    }),
  );
}
