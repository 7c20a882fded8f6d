// dwd-server: what a workload-identity caller (an OIDC ID token, verified locally and then cached until
// it expires) costs over a static bearer token. One server, configured with both callers, against the
// emulator; the ID token comes from the emulator's metadata server, checked against the keys it serves
// at Google's certificate endpoint. Target: ≤ 0.2 ms added at p50.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { report, result as row, say } from "./report.ts";
import type { EmulatorProcess } from "./emulator-process.ts";
import { delegationOver } from "./emulator-process.ts";
import { startServerProcess, timeGet } from "./server-process.ts";
import { quantile } from "./stats.ts";

const READONLY = "https://www.googleapis.com/auth/calendar.readonly";
const STATIC_TOKEN = "bench-static-token-3f9a1c7e";
const AUDIENCE = "https://dwd-bench.example.com";

/**
 * Runs the OIDC-vs-static latency section.
 *
 * @param bundle the dwd-server bundle
 * @param emulator the running emulator process
 */
export async function benchOidc(bundle: string, emulator: EmulatorProcess): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "dwd-bench-oidc-"));
  const common = {
    subjects: ["*@example.com"],
    operations: ["calendarList.get"],
    scopes: [READONLY],
    rate: { requests: 1_000_000, per: "second" },
  };
  const configFile = join(dir, "dwd-server.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      listen: { host: "127.0.0.1", port: 0 },
      delegation: delegationOver(emulator),
      callers: [
        {
          name: "static-app",
          tokenSha256: createHash("sha256").update(STATIC_TOKEN).digest("hex"),
          ...common,
        },
        {
          name: "oidc-app",
          identity: {
            issuer: "https://accounts.google.com",
            audience: AUDIENCE,
            emails: ["deployer@dwd-emulator.iam.gserviceaccount.com"],
            jwksUri: `${emulator.url}/oauth2/v3/certs`,
          },
          ...common,
        },
      ],
      limits: { subjectConcurrency: 64 },
    }),
  );
  const { url, child } = await startServerProcess(bundle, {
    emulatorUrl: emulator.url,
    keyFile: emulator.keyFile("calendar-bot"),
    configFile,
  });
  try {
    const idToken = await (
      await fetch(
        `${emulator.url}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(AUDIENCE)}&format=full`,
        { headers: { "Metadata-Flavor": "Google" } },
      )
    ).text();
    const target = `${url}/v1/users/info@example.com/calendarList/primary`;
    const viaStatic = { authorization: `Bearer ${STATIC_TOKEN}` };
    const viaOidc = { authorization: `Bearer ${idToken}` };
    const n = Number(process.env.BENCH_LATENCY_RUNS ?? 400);
    const warmup = Number(process.env.BENCH_LATENCY_WARMUP ?? 500);
    for (let i = 0; i < warmup; i++) {
      await timeGet(target, viaStatic);
      await timeGet(target, viaOidc);
    }
    const st: number[] = [];
    const oi: number[] = [];
    for (let i = 0; i < n; i++) {
      st.push(await timeGet(target, viaStatic));
      oi.push(await timeGet(target, viaOidc));
    }
    const f = (x: number): string => x.toFixed(3);
    say(
      `OIDC caller (Google ID token, verified once, then cached) vs static bearer, same server, ${n} interleaved calendarList.get each after ${warmup} warm-up calls each:`,
      `  static p50 ${f(quantile(st, 0.5))} ms, p99 ${f(quantile(st, 0.99))} ms; OIDC p50 ${f(quantile(oi, 0.5))} ms, p99 ${f(quantile(oi, 0.99))} ms; added p50 ${f(quantile(oi, 0.5) - quantile(st, 0.5))} ms (target ≤ 0.2 ms)`,
    );
    report([
      row(
        "calendarList.get p50 latency: OIDC caller (dwd column) vs static bearer caller (baseline column), same server",
        quantile(oi, 0.5),
        quantile(st, 0.5),
        "ms",
        "dwd − baseline ≤ 0.2 ms",
      ),
    ]);
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
