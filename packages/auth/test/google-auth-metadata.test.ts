// Google's own stack as the judge of the emulator's metadata server: google-auth-library's GoogleAuth,
// with Application Default Credentials resolved through GCE_METADATA_HOST, gets its token from it.
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { GoogleAuth } from "google-auth-library";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIamSigner, createTokenSource } from "../src/index.ts";
import { tempDir } from "./helpers.ts";

const DEPLOYER = "deployer@dwd-emulator.iam.gserviceaccount.com";
const saved: Record<string, string | undefined> = {};
let running: RunningEmulator;

beforeAll(async () => {
  running = await startEmulator({ scenario: "demo", port: 0 });
  const vars = {
    GCE_METADATA_HOST: new URL(running.url).host,
    HOME: tempDir(),
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
    CLOUDSDK_CONFIG: undefined,
    DWD_EMULATOR_HOST: undefined,
    GCLOUD_PROJECT: undefined,
    GOOGLE_CLOUD_PROJECT: undefined,
    METADATA_SERVER_DETECTION: undefined,
  };
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}, 60_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await running?.close();
});

describe("google-auth-library GoogleAuth through GCE_METADATA_HOST", () => {
  it("gets its access token, project and email from the emulator's metadata server, unchanged", async () => {
    const auth = new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] });
    const issued = running.emulator.stats.tokensIssued;
    const { token } = await (await auth.getClient()).getAccessToken();
    expect(token).toMatch(/^ya29\.emu\./);
    expect(running.emulator.stats.tokensIssued).toBe(issued + 1);
    expect(await auth.getProjectId()).toBe("dwd-emulator");
    expect((await auth.getCredentials()).client_email).toBe(DEPLOYER);
    // The token is deployer's: the IAM Credentials API lets it sign for calendar-bot.
    const res = await fetch(
      `${running.url}/v1/projects/-/serviceAccounts/calendar-bot@dwd-emulator.iam.gserviceaccount.com:signJwt`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token ?? ""}`, "content-type": "application/json" },
        body: JSON.stringify({ payload: "{}" }),
      },
    );
    expect(res.status).toBe(200);
  }, 120_000);

  it("@dwd/auth's keyless signer finds the same identity there and gets a delegated token", async () => {
    const env = { ...process.env, DWD_EMULATOR_HOST: new URL(running.url).host };
    const source = createTokenSource(
      createIamSigner({ serviceAccount: "calendar-bot@dwd-emulator.iam.gserviceaccount.com", env }),
      { env },
    );
    const token = await source.getToken({
      subject: "info@example.com",
      scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
    });
    expect(token.subject).toBe("info@example.com");
  }, 30_000);
});
