// Workload identity end to end: the emulator's metadata server (on a real port) hands out a Google ID
// token to google-auth-library's getIdTokenClient(url), unchanged; the bundled dwd-server (on a real
// port) checks it against the keys the emulator serves at Google's certificate endpoint.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { GoogleAuth } from "google-auth-library";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RO, expectNoSecrets, seen } from "./helpers.ts";
import { freePort } from "./redis.ts";
import type { RunningServer } from "./spawn.ts";
import { call, startServer, waitFor } from "./spawn.ts";

const DEPLOYER = "deployer@dwd-emulator.iam.gserviceaccount.com";
const tmp = mkdtempSync(join(tmpdir(), "dwd-server-oidc-"));
const saved: Record<string, string | undefined> = {};
let emulator: RunningEmulator;
let server: RunningServer;
let url: string;

beforeAll(async () => {
  emulator = await startEmulator({ scenario: "demo", port: 0, host: "127.0.0.1" });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(tmp, "key.json"),
    JSON.stringify(await emulator.emulator.serviceAccountKeyJson("calendar-bot")),
  );
  const config = {
    listen: { host: "127.0.0.1", port },
    delegation: {
      keyFile: "key.json",
      checkSubject: "info@example.com",
      tokenUri: `${emulator.url}/token`,
      calendarRoot: `${emulator.url}/calendar/v3`,
    },
    callers: [
      {
        name: "cloud-run-app",
        // The server's own URL is the audience a workload asks its metadata server for.
        identity: {
          issuer: "https://accounts.google.com",
          audience: url,
          emails: [DEPLOYER],
          jwksUri: `${emulator.url}/oauth2/v3/certs`,
        },
        subjects: ["*@example.com"],
        operations: ["calendarList.get"],
        scopes: [RO],
      },
    ],
  };
  writeFileSync(join(tmp, "dwd-server.json"), JSON.stringify(config));
  server = await startServer("node", ["--config", join(tmp, "dwd-server.json")]);
  await waitFor(async () => (await call(`${server.url}/readyz`)).status === 200);
  // google-auth-library finds "GCE" through GCE_METADATA_HOST, as on Cloud Run.
  const vars = {
    GCE_METADATA_HOST: new URL(emulator.url).host,
    HOME: tmp,
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
    CLOUDSDK_CONFIG: undefined,
    GCLOUD_PROJECT: undefined,
    GOOGLE_CLOUD_PROJECT: undefined,
    METADATA_SERVER_DETECTION: undefined,
  };
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}, 120_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  expect(await server?.stop("SIGTERM")).toBe(0);
  await emulator?.close();
  rmSync(tmp, { recursive: true, force: true });
  expectNoSecrets(seen);
});

describe("Google ID tokens from the metadata server (google-auth-library, unchanged)", () => {
  it("getIdTokenClient(url) gets a token the bundled dwd-server accepts as the caller", async () => {
    expect(server.url).toBe(url);
    const client = await new GoogleAuth().getIdTokenClient(url);
    const res = await client.request<{ id: string }>({
      url: `${url}/v1/users/info@example.com/calendarList/primary`,
    });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ id: "info@example.com", primary: true });
    expect(server.audit().at(-1)).toMatchObject({
      caller: "cloud-run-app",
      subject: "info@example.com",
      operation: "calendarList.get",
      outcome: "ok",
      status: 200,
    });
    const metrics = await call(`${url}/metrics`);
    expect(metrics.text).toMatch(/^dwd_identity_tokens_verified_total 1$/m);
    // Its second request is answered from the verified-token cache.
    await client.request({ url: `${url}/v1/users/ana@example.com/calendarList/primary` });
    expect((await call(`${url}/metrics`)).text).toMatch(/^dwd_identity_cache_hits_total 1$/m);
  });

  it("refuses the same workload's token for another audience", async () => {
    const other = await new GoogleAuth().getIdTokenClient("https://another-service.example.com");
    const headers = await other.getRequestHeaders();
    const authorization = headers.get("authorization")!;
    expect(authorization).toMatch(/^Bearer eyJ/);
    const r = await call(`${url}/v1/users/info@example.com/calendarList/primary`, {
      headers: { authorization },
    });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({
      code: "invalid_token",
      detail: `The ID token is not valid: its audience is not this server's ("${url}")`,
    });
  });
});
