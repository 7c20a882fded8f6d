import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEmulator, demoScenario } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import {
  DelegationError,
  KeylessError,
  createIamSigner,
  createTokenSource,
  findCallerCredentials,
} from "../src/index.ts";
import type { FetchLike } from "../src/index.ts";
import { tempDir } from "./helpers.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const BOT = "calendar-bot@dwd-emulator.iam.gserviceaccount.com";
const UNGRANTED = "ungranted-bot@dwd-emulator.iam.gserviceaccount.com";
const GRANT = "roles/iam.serviceAccountTokenCreator";

let emulator: Emulator;
let dir: string;
const files: Record<string, string> = {};
let requests: string[] = [];

/** Every request goes to the in-process emulator, whatever its host; `down` hosts fail like a dead network. */
function fetchVia(down: string[] = []): FetchLike {
  return async (url, init) => {
    requests.push(url);
    const host = new URL(url).host;
    if (down.includes(host))
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }),
      });
    return emulator.fetch(new Request(url, init));
  };
}

beforeAll(async () => {
  emulator = await createEmulator({
    scenario: {
      ...demoScenario,
      authorizedUsers: [
        { email: "dev@example.com" },
        { email: "gone@example.com", refresh: "revoked" },
        { email: "rapt@example.com", refresh: "reauth" },
      ],
      tokenCreators: [
        { serviceAccount: "calendar-bot", members: ["deployer", "user:dev@example.com"] },
        { serviceAccount: "ungranted-bot", members: ["deployer"] },
      ],
    },
    baseUrl: "http://emulator.test",
  });
  dir = tempDir();
  for (const name of ["deployer", "intruder"]) {
    files[name] = join(dir, `${name}.json`);
    writeFileSync(files[name], JSON.stringify(await emulator.serviceAccountKeyJson(name)));
  }
  for (const email of ["dev@example.com", "gone@example.com", "rapt@example.com"]) {
    const gcloud = join(dir, email.split("@")[0] ?? "");
    files[email] = gcloud;
    const { mkdirSync } = await import("node:fs");
    mkdirSync(gcloud, { recursive: true });
    writeFileSync(
      join(gcloud, "application_default_credentials.json"),
      JSON.stringify(emulator.authorizedUserJson(email)),
    );
  }
});

beforeEach(() => {
  requests = [];
  emulator.faults.iamCredentialsDisabled = false;
});

const emptyHome = (): string => join(dir, "empty-home");
const env = (extra: Record<string, string>): Record<string, string | undefined> => ({
  DWD_EMULATOR_HOST: "emulator.test",
  HOME: emptyHome(),
  ...extra,
});

function source(
  extra: Record<string, string>,
  options: { down?: string[]; clientId?: string; serviceAccount?: string } = {},
) {
  const e = env(extra);
  const fetch = fetchVia(options.down);
  const signer = createIamSigner({
    serviceAccount: options.serviceAccount ?? BOT,
    env: e,
    fetch,
    ...(options.clientId ? { clientId: options.clientId } : {}),
  });
  return { signer, tokens: createTokenSource(signer, { env: e, fetch }) };
}

async function failure(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; hint?: string }> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error as Error & { code?: string; hint?: string },
  );
}

describe("keyless signing (createIamSigner) against the emulator", () => {
  it("GOOGLE_APPLICATION_CREDENTIALS = deployer's key: a delegated token for info@example.com, signed by calendar-bot's managed key", async () => {
    const { signer, tokens } = source({ GOOGLE_APPLICATION_CREDENTIALS: files["deployer"] ?? "" });
    expect(requests).toEqual([]); // nothing read or fetched before the first token
    const token = await tokens.getToken({ subject: "info@example.com", scopes: [CAL] });
    expect(token.subject).toBe("info@example.com");
    expect(signer.privateKeyId).toBe(emulator.serviceAccount("calendar-bot").keyId);
    expect(requests).toEqual([
      "http://emulator.test/token", // deployer's own cloud-platform token
      `http://emulator.test/v1/projects/-/serviceAccounts/${BOT}:signJwt`,
      "http://emulator.test/token", // the jwt-bearer grant with calendar-bot's signed assertion
    ]);
    const res = await emulator.fetch(
      new Request("http://emulator.test/calendar/v3/users/me/calendarList/info%40example.com", {
        headers: { authorization: `Bearer ${token.accessToken}` },
      }),
    );
    expect(((await res.json()) as { id: string }).id).toBe("info@example.com");
  });

  it("caches the caller's token: a second subject costs one signJwt and one grant, no caller refresh", async () => {
    const { tokens } = source({ GOOGLE_APPLICATION_CREDENTIALS: files["deployer"] ?? "" });
    await tokens.getToken({ subject: "info@example.com", scopes: [CAL] });
    requests = [];
    await tokens.getToken({ subject: "ana@example.com", scopes: [CAL] });
    expect(requests.map((u) => new URL(u).pathname)).toEqual([
      `/v1/projects/-/serviceAccounts/${BOT}:signJwt`,
      "/token",
    ]);
  });

  it("intruder: iam_permission_denied naming Token Creator and the gcloud line that grants it", async () => {
    const { tokens } = source({ GOOGLE_APPLICATION_CREDENTIALS: files["intruder"] ?? "" });
    const err = await failure(tokens.getToken({ subject: "info@example.com", scopes: [CAL] }));
    expect(err).toBeInstanceOf(KeylessError);
    expect(err.code).toBe("iam_permission_denied");
    expect(err.message).toBe(
      `Cannot sign an assertion for "${BOT}": "serviceAccount:intruder@dwd-emulator.iam.gserviceaccount.com" does not hold Service Account Token Creator on "${BOT}", or the account does not exist`,
    );
    expect(err.hint).toBe(
      `Grant the role ${GRANT} to the caller: gcloud iam service-accounts add-iam-policy-binding ${BOT} --member=serviceAccount:intruder@dwd-emulator.iam.gserviceaccount.com --role=${GRANT}. It can take a few minutes to apply`,
    );
    expect(err).toMatchObject({
      status: 403,
      googleStatus: "PERMISSION_DENIED",
      reason: "IAM_PERMISSION_DENIED",
      caller: "serviceAccount:intruder@dwd-emulator.iam.gserviceaccount.com",
      serviceAccount: BOT,
    });
  });

  it("no GOOGLE_APPLICATION_CREDENTIALS, an empty HOME, GCE_METADATA_HOST at the emulator: works as deployer", async () => {
    const { tokens } = source({ GCE_METADATA_HOST: "metadata.test:8080" });
    await tokens.getToken({ subject: "info@example.com", scopes: [CAL] });
    expect(requests[0]).toBe(
      "http://metadata.test:8080/computeMetadata/v1/instance/service-accounts/default/token",
    );
  });

  it("finds nothing: no_ambient_credentials names the three places looked at", async () => {
    const { tokens } = source({}, { down: ["metadata.google.internal"] });
    const err = await failure(tokens.getToken({ subject: "info@example.com", scopes: [CAL] }));
    expect(err.code).toBe("no_ambient_credentials");
    expect(err.message).toBe(
      `Cannot find credentials for keyless signing: looked at GOOGLE_APPLICATION_CREDENTIALS (not set), "${emptyHome()}/.config/gcloud/application_default_credentials.json" (no such file) and the metadata server "http://metadata.google.internal" (not reachable: ENOTFOUND)`,
    );
    expect(err.hint).toMatch(
      /^Run gcloud auth application-default login, or set GOOGLE_APPLICATION_CREDENTIALS/,
    );
  });

  it("a metadata server that never answers is given up on after metadataTimeoutMs: no_ambient_credentials", async () => {
    const e = env({});
    const hung: FetchLike = (url, init) =>
      url.startsWith("http://metadata.google.internal/")
        ? new Promise((_resolve, reject) =>
            init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error)),
          )
        : fetchVia()(url, init);
    const signer = createIamSigner({
      serviceAccount: BOT,
      env: e,
      fetch: hung,
      metadataTimeoutMs: 5,
    });
    const tokens = createTokenSource(signer, { env: e, fetch: hung });
    const err = await failure(tokens.getToken({ subject: "info@example.com", scopes: [CAL] }));
    expect(err.code).toBe("no_ambient_credentials");
    expect(err.message).toMatch(
      /and the metadata server "http:\/\/metadata\.google\.internal" \(not reachable: no answer within 5 ms\)$/,
    );
  });

  it("a metadata server that ignores the signal still cannot hang the caller", async () => {
    const e = env({ GCE_METADATA_HOST: "stuck.test:80" });
    const ignoring: FetchLike = (url, init) =>
      url.startsWith("http://stuck.test:80/")
        ? new Promise(() => undefined)
        : fetchVia()(url, init);
    const signer = createIamSigner({
      serviceAccount: BOT,
      env: e,
      fetch: ignoring,
      metadataTimeoutMs: 5,
    });
    const err = await failure(
      createTokenSource(signer, { env: e, fetch: ignoring }).getToken({ scopes: [CAL] }),
    );
    expect(err.code).toBe("metadata_unreachable");
    expect(err.message).toBe(
      'Cannot get a token from the metadata server "http://stuck.test:80": it cannot be reached (no answer within 5 ms)',
    );
  });

  it("GCE_METADATA_HOST names a server that does not answer: metadata_unreachable", async () => {
    const { tokens } = source({ GCE_METADATA_HOST: "10.9.9.9:80" }, { down: ["10.9.9.9"] });
    const err = await failure(tokens.getToken({ scopes: [CAL] }));
    expect(err.code).toBe("metadata_unreachable");
    expect(err.message).toBe(
      'Cannot get a token from the metadata server "http://10.9.9.9:80": it cannot be reached (ENOTFOUND)',
    );
    expect(err.hint).toBe(
      'Check GCE_METADATA_HOST (now "10.9.9.9:80"): it must name a running metadata server as host:port, or unset it',
    );
  });

  it("gcloud's user credentials (CLOUDSDK_CONFIG): refreshed with the refresh token, signing as user:dev@example.com", async () => {
    const { tokens } = source({ CLOUDSDK_CONFIG: files["dev@example.com"] ?? "" });
    await tokens.getToken({ subject: "info@example.com", scopes: [CAL] });
    const caller = await findCallerCredentials({
      env: env({ CLOUDSDK_CONFIG: files["dev@example.com"] ?? "" }),
    });
    expect(caller).toMatchObject({ kind: "authorized_user", member: "user:dev@example.com" });
  });

  for (const [email, detail] of [
    ["gone@example.com", 'Google refused the refresh token ("Token has been expired or revoked.")'],
    [
      "rapt@example.com",
      "your organisation's reauthentication policy requires you to sign in again (invalid_rapt)",
    ],
  ] as const) {
    it(`a refused refresh (${email}): caller_refresh_refused says to run the gcloud login again`, async () => {
      const path = join(files[email] ?? "", "application_default_credentials.json");
      const { tokens } = source({ CLOUDSDK_CONFIG: files[email] ?? "" });
      const err = await failure(tokens.getToken({ scopes: [CAL] }));
      expect(err.code).toBe("caller_refresh_refused");
      expect(err.message).toBe(`Cannot refresh the user credentials in "${path}": ${detail}`);
      expect(err.hint).toBe(
        `Run gcloud auth application-default login again (it rewrites "${path}"), then retry`,
      );
    });
  }

  it("the IAM Credentials API disabled: iam_api_disabled with the activation URL of the caller's project", async () => {
    emulator.faults.iamCredentialsDisabled = true;
    const { tokens } = source({ GOOGLE_APPLICATION_CREDENTIALS: files["deployer"] ?? "" });
    const err = await failure(tokens.getToken({ scopes: [CAL] }));
    expect(err.code).toBe("iam_api_disabled");
    const { activationUrl, projectId } = err as KeylessError;
    expect(activationUrl).toBe(
      `https://console.developers.google.com/apis/api/iamcredentials.googleapis.com/overview?project=${projectId ?? ""}`,
    );
    expect(err.message).toBe(
      `Cannot sign an assertion for "${BOT}": the IAM Service Account Credentials API is disabled in project "${projectId ?? ""}"`,
    );
    expect(err.hint).toBe(
      `Enable it at ${activationUrl ?? ""} (or gcloud services enable iamcredentials.googleapis.com --project=${projectId ?? ""}), wait a few minutes, then retry`,
    );
  });

  it("keeps today's DWD diagnosis: the hint tells how to find the target's client ID, or uses the one given", async () => {
    const unknown = source(
      { GOOGLE_APPLICATION_CREDENTIALS: files["deployer"] ?? "" },
      { serviceAccount: UNGRANTED },
    );
    const err = await failure(
      unknown.tokens.getToken({ subject: "info@example.com", scopes: [CAL] }),
    );
    expect(err).toBeInstanceOf(DelegationError);
    expect(err.code).toBe("delegation_not_authorized");
    expect(err.hint).toContain(
      `gcloud iam service-accounts describe ${UNGRANTED} --format='value(oauth2ClientId)'`,
    );
    const { clientId } = emulator.serviceAccount("ungranted-bot");
    const known = source(
      { GOOGLE_APPLICATION_CREDENTIALS: files["deployer"] ?? "" },
      { serviceAccount: UNGRANTED, clientId },
    );
    const err2 = await failure(
      known.tokens.getToken({ subject: "info@example.com", scopes: [CAL] }),
    );
    expect(err2.hint).toContain(`add the numeric client ID "${clientId}"`);
  });

  it("a revoked caller token: signJwt's 401 makes it fetch a new caller token once, then succeeds", async () => {
    const { tokens } = source({ GOOGLE_APPLICATION_CREDENTIALS: files["deployer"] ?? "" });
    await tokens.getToken({ subject: "info@example.com", scopes: [CAL] });
    emulator.revokeAll();
    tokens.clear();
    requests = [];
    await tokens.getToken({ subject: "info@example.com", scopes: [CAL] });
    expect(requests.map((u) => new URL(u).pathname)).toEqual([
      `/v1/projects/-/serviceAccounts/${BOT}:signJwt`,
      "/token",
      `/v1/projects/-/serviceAccounts/${BOT}:signJwt`,
      "/token",
    ]);
  });

  it("a GOOGLE_APPLICATION_CREDENTIALS file that does not exist: ambient_credentials_invalid", async () => {
    const missing = join(dir, "nope.json");
    const { tokens } = source({ GOOGLE_APPLICATION_CREDENTIALS: missing });
    const err = await failure(tokens.getToken({ scopes: [CAL] }));
    expect(err.code).toBe("ambient_credentials_invalid");
    expect(err.message).toBe(`Cannot use the credentials in "${missing}": no such file`);
    expect(requests).toEqual([]);
  });
});
