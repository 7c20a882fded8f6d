// End to end: the bundled dwd with --signer iam against the demo emulator on a real port.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, dwd, dwdFirstLine } from "./helpers.ts";

const BOT = "calendar-bot@dwd-emulator.iam.gserviceaccount.com";
const INTRUDER = "intruder@dwd-emulator.iam.gserviceaccount.com";
const ROLE = "roles/iam.serviceAccountTokenCreator";
const iam = ["--signer", "iam", "--service-account", BOT];
const get = ["calendars", "get", "info@example.com", ...iam, "--subject", "info@example.com"];

let server: RunningEmulator;
let keysDir: string;
let emptyHome: string;
let host: string;

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), "dwd-cli-keyless-"));
  emptyHome = await mkdtemp(join(tmpdir(), "dwd-cli-home-"));
  server = await startEmulator({ scenario: "demo", port: 0, host: "127.0.0.1", keysDir });
  host = new URL(server.url).host;
}, 120_000);

afterAll(async () => {
  await server.close();
  await rm(keysDir, { recursive: true, force: true });
  await rm(emptyHome, { recursive: true, force: true });
});

/** The environment of a keyless run: the emulator, an empty HOME (no gcloud file), plus `extra`. */
const env = (extra: Record<string, string> = {}): Record<string, string> =>
  cleanEnv({ DWD_EMULATOR_HOST: host, HOME: emptyHome, ...extra });

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("dwd --signer iam", () => {
  it("GOOGLE_APPLICATION_CREDENTIALS=deployer.json: calendars get prints info@example.com", async () => {
    const r = await dwd(
      get,
      env({ GOOGLE_APPLICATION_CREDENTIALS: join(keysDir, "deployer.json") }),
    );
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });

  it("intruder.json: exits 1 naming Token Creator and the gcloud line that grants it", async () => {
    const r = await dwd(
      get,
      env({ GOOGLE_APPLICATION_CREDENTIALS: join(keysDir, "intruder.json") }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: Cannot sign an assertion for "${BOT}": "serviceAccount:${INTRUDER}" does not hold Service Account Token Creator on "${BOT}", or the account does not exist\n` +
        `hint: Grant the role ${ROLE} to the caller: gcloud iam service-accounts add-iam-policy-binding ${BOT} --member=serviceAccount:${INTRUDER} --role=${ROLE}. It can take a few minutes to apply\n`,
    );
  });

  it("no GOOGLE_APPLICATION_CREDENTIALS, an empty HOME, GCE_METADATA_HOST at the emulator: works as deployer", async () => {
    const r = await dwd(get, env({ GCE_METADATA_HOST: host }));
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });

  it("--key names the caller's key instead", async () => {
    const r = await dwd([...get, "--key", join(keysDir, "deployer.json")], env());
    expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
  });

  it("token --signer iam prints a delegated token for the subject", async () => {
    const r = await dwd(
      ["token", ...iam, "--subject", "info@example.com"],
      env({ GOOGLE_APPLICATION_CREDENTIALS: join(keysDir, "deployer.json") }),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ya29\.emu\.[\w-]+\n$/);
  });

  it("a metadata server that does not answer: exits 1 with metadata_unreachable", async () => {
    const port = await closedPort();
    const r = await dwd(get, env({ GCE_METADATA_HOST: `127.0.0.1:${port}` }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: Cannot get a token from the metadata server "http://127.0.0.1:${port}": it cannot be reached (ECONNREFUSED)\n` +
        `hint: Check GCE_METADATA_HOST (now "127.0.0.1:${port}"): it must name a running metadata server as host:port, or unset it\n`,
    );
  });

  const usage: { args: string[]; stderr: string }[] = [
    {
      args: ["calendars", "get", "x", "--signer", "iam"],
      stderr:
        "error: Missing --service-account for --signer iam\nhint: Give the email of the service account to act as, e.g. --service-account calendar-bot@PROJECT.iam.gserviceaccount.com\n",
    },
    {
      args: ["calendars", "get", "x", "--signer", "gcp"],
      stderr:
        'error: Invalid --signer "gcp": not "key" or "iam"\nhint: Give --signer key (a key file signs) or --signer iam (keyless: the IAM Credentials API signs)\n',
    },
    {
      args: ["token", "--service-account", BOT],
      stderr:
        "error: --service-account needs --signer iam\nhint: Add --signer iam to sign keylessly as that service account (a key file signs as its own account)\n",
    },
  ];
  for (const c of usage) {
    it(`exits 2 for ${c.args.slice(-2).join(" ")}`, async () => {
      expect(await dwd(c.args, env())).toEqual({ code: 2, stdout: "", stderr: c.stderr });
    });
  }
});

describe("dwd doctor --signer iam", () => {
  const doctor = ["doctor", ...iam, "--subject", "info@example.com", "--json"];
  type Report = {
    ok: boolean;
    serviceAccount: string;
    steps: { id: string; status: string; code?: string; hint?: string; detail: string }[];
  };
  const statuses = (report: Report): string[] => report.steps.map((s) => `${s.id}:${s.status}`);

  it("passes the whole chain as deployer: identity, Token Creator, IAM API, then today's steps", async () => {
    const r = await dwd(
      doctor,
      env({ GOOGLE_APPLICATION_CREDENTIALS: join(keysDir, "deployer.json") }),
    );
    const report = JSON.parse(r.stdout) as Report;
    expect(r.code).toBe(0);
    expect(statuses(report)).toEqual([
      "identity:pass",
      "creator:pass",
      "iam-api:pass",
      "clock:pass",
      "token:pass",
      "scope:pass",
      "calendar:pass",
    ]);
    expect(report.steps[0]?.detail).toBe(
      `Caller serviceAccount:deployer@dwd-emulator.iam.gserviceaccount.com from the service-account key "${join(keysDir, "deployer.json")}" has an access token`,
    );
  });

  it("stops at Token Creator for intruder, with the grant line", async () => {
    const r = await dwd(
      doctor,
      env({ GOOGLE_APPLICATION_CREDENTIALS: join(keysDir, "intruder.json") }),
    );
    const report = JSON.parse(r.stdout) as Report;
    expect(r.code).toBe(1);
    expect(statuses(report)).toEqual([
      "identity:pass",
      "creator:fail",
      "iam-api:pass",
      "clock:skip",
      "token:skip",
      "scope:skip",
      "calendar:skip",
    ]);
    expect(report.steps[1]?.code).toBe("iam_permission_denied");
    expect(report.steps[1]?.hint).toContain(
      `gcloud iam service-accounts add-iam-policy-binding ${BOT} --member=serviceAccount:${INTRUDER} --role=${ROLE}`,
    );
  });

  it("names the disabled IAM Credentials API with its activation URL", async () => {
    server.emulator.faults.iamCredentialsDisabled = true;
    try {
      const r = await dwd(
        doctor,
        env({ GOOGLE_APPLICATION_CREDENTIALS: join(keysDir, "deployer.json") }),
      );
      const report = JSON.parse(r.stdout) as Report;
      expect(r.code).toBe(1);
      expect(statuses(report).slice(0, 3)).toEqual([
        "identity:pass",
        "creator:skip",
        "iam-api:fail",
      ]);
      expect(report.steps[2]?.code).toBe("iam_api_disabled");
      expect(report.steps[2]?.hint).toMatch(
        /^Enable it at https:\/\/console\.developers\.google\.com\/apis\/api\/iamcredentials\.googleapis\.com\/overview\?project=\d{12} /,
      );
    } finally {
      server.emulator.faults.iamCredentialsDisabled = false;
    }
  });

  it("fails the identity step when the caller's file is missing", async () => {
    const missing = join(keysDir, "nope.json");
    const r = await dwd(doctor, env({ GOOGLE_APPLICATION_CREDENTIALS: missing }));
    const report = JSON.parse(r.stdout) as Report;
    expect(r.code).toBe(1);
    expect(report.steps[0]).toMatchObject({
      id: "identity",
      status: "fail",
      code: "ambient_credentials_invalid",
      detail: `Cannot use the credentials in "${missing}": no such file`,
    });
  });
});

describe("dwd emulator start (keyless)", () => {
  it("writes deployer.json and intruder.json, and its metadata server answers as deployer", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-cli-emu-keyless-"));
    let running: ChildProcess | undefined;
    try {
      const { child, firstLine, exit } = await dwdFirstLine(
        ["emulator", "start", "--port", "0", "--keys-dir", dir],
        cleanEnv(),
      );
      running = child;
      expect(existsSync(join(dir, "deployer.json"))).toBe(true);
      expect(existsSync(join(dir, "intruder.json"))).toBe(true);
      const at = new URL(firstLine).host;
      const r = await dwd(
        get,
        cleanEnv({ DWD_EMULATOR_HOST: at, GCE_METADATA_HOST: at, HOME: emptyHome }),
      );
      expect(r).toEqual({ code: 0, stdout: "info@example.com\n", stderr: "" });
      child.kill("SIGTERM");
      expect((await exit).code).toBe(0);
    } finally {
      if (running !== undefined && running.exitCode === null && running.signalCode === null)
        running.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
