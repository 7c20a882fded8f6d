import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { createEmulator } from "../src/index.ts";
import type { Signer } from "./helpers.ts";
import { CALENDAR, exchange, mint, scope, signerFor } from "./helpers.ts";

const start = Date.UTC(2026, 3, 1, 12, 0, 0);
const clock = start;
let emulator: Emulator;
let deployer: Signer;
let intruder: Signer;
let bot: Signer;
let deployerToken: string;
const BOT = "calendar-bot@dwd-emulator.iam.gserviceaccount.com";
const DENIED = "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist).";

beforeAll(async () => {
  emulator = await createEmulator({
    scenario: {
      domain: "example.com",
      users: [{ email: "info@example.com" }],
      serviceAccounts: [
        { name: "calendar-bot" },
        { name: "deployer" },
        { name: "intruder" },
        { name: "relay-bot" },
      ],
      grants: [{ serviceAccount: "calendar-bot", scopes: [CALENDAR] }],
      tokenCreators: [
        { serviceAccount: "calendar-bot", members: ["deployer", "relay-bot"] },
        {
          serviceAccount: "relay-bot",
          members: ["serviceAccount:intruder@dwd-emulator.iam.gserviceaccount.com"],
        },
      ],
    },
    now: () => clock,
  });
  deployer = await signerFor(emulator, "deployer", () => clock);
  intruder = await signerFor(emulator, "intruder", () => clock);
  bot = await signerFor(emulator, "calendar-bot", () => clock);
  deployerToken = await mint(emulator, deployer, {
    sub: undefined,
    scope: scope("cloud-platform"),
  });
});

beforeEach(() => {
  emulator.faults.iamCredentialsDisabled = false;
});

function signJwt(target: string, body: unknown, token?: string, project = "-"): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
  const url = `${emulator.baseUrl}/v1/projects/${project}/serviceAccounts/${encodeURIComponent(target)}:signJwt`;
  return emulator.fetch(
    new Request(url, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

const payload = (overrides: Record<string, unknown> = {}): string =>
  JSON.stringify(bot.claims(overrides));

describe("IAM Credentials signJwt", () => {
  it("signs calendar-bot's claims for deployer with calendar-bot's key (kid = key ID), and the token endpoint accepts them", async () => {
    const counted = emulator.stats.byEndpoint["iam.signJwt"] ?? 0;
    const res = await signJwt(BOT, { payload: payload() }, deployerToken);
    expect(res.status).toBe(200);
    expect(emulator.stats.byEndpoint["iam.signJwt"]).toBe(counted + 1);
    const body = (await res.json()) as { keyId: string; signedJwt: string };
    const { keyId } = emulator.serviceAccount("calendar-bot");
    expect(body.keyId).toBe(keyId);
    const [header = "", claims = ""] = body.signedJwt.split(".");
    expect(JSON.parse(atob(header.replace(/-/g, "+").replace(/_/g, "/")))).toEqual({
      alg: "RS256",
      kid: keyId,
      typ: "JWT",
    });
    expect(JSON.parse(atob(claims.replace(/-/g, "+").replace(/_/g, "/")))).toEqual(bot.claims());
    const token = await exchange(emulator, body.signedJwt);
    expect(token.status).toBe(200);
  });

  it("accepts the unique ID (numeric client ID) as the account, and adds exp when the payload has none", async () => {
    const res = await signJwt(
      emulator.serviceAccount("calendar-bot").clientId,
      { payload: payload({ exp: undefined }) },
      deployerToken,
    );
    expect(res.status).toBe(200);
    const { signedJwt } = (await res.json()) as { signedJwt: string };
    const claims = JSON.parse(
      atob((signedJwt.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/")),
    ) as { exp: number };
    expect(claims.exp).toBe(Math.floor(clock / 1000) + 3600);
  });

  it("follows a delegation chain: intruder → relay-bot → calendar-bot", async () => {
    const token = await mint(emulator, intruder, {
      sub: undefined,
      scope: scope("cloud-platform"),
    });
    const direct = await signJwt(BOT, { payload: payload() }, token);
    expect(direct.status).toBe(403);
    const chained = await signJwt(
      BOT,
      {
        payload: payload(),
        delegates: ["projects/-/serviceAccounts/relay-bot@dwd-emulator.iam.gserviceaccount.com"],
      },
      token,
    );
    expect(chained.status).toBe(200);
  });

  const refusals: {
    name: string;
    target?: string;
    body?: unknown;
    token?: () => Promise<string | undefined>;
    project?: string;
    status: number;
    error: Record<string, unknown>;
  }[] = [
    {
      name: "403 PERMISSION_DENIED for a caller without Token Creator",
      token: () => mint(emulator, intruder, { sub: undefined, scope: scope("cloud-platform") }),
      status: 403,
      error: {
        code: 403,
        status: "PERMISSION_DENIED",
        message: DENIED,
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "IAM_PERMISSION_DENIED",
            domain: "iam.googleapis.com",
            metadata: {
              permission: "iam.serviceAccounts.signJwt",
              resource: `projects/-/serviceAccounts/${BOT}`,
            },
          },
        ],
      },
    },
    {
      name: "403 PERMISSION_DENIED for a delegate the caller cannot act as",
      body: {
        payload: "{}",
        delegates: ["projects/-/serviceAccounts/relay-bot@dwd-emulator.iam.gserviceaccount.com"],
      },
      status: 403,
      error: { code: 403, status: "PERMISSION_DENIED", message: DENIED },
    },
    {
      name: "401 UNAUTHENTICATED without a token",
      token: () => Promise.resolve(undefined),
      status: 401,
      error: {
        code: 401,
        status: "UNAUTHENTICATED",
        message: expect.stringMatching(
          /^Request is missing required authentication credential/,
        ) as unknown,
      },
    },
    {
      name: "401 UNAUTHENTICATED for an unknown token",
      token: () => Promise.resolve("ya29.forged"),
      status: 401,
      error: {
        code: 401,
        status: "UNAUTHENTICATED",
        message: expect.stringMatching(
          /^Request had invalid authentication credentials/,
        ) as unknown,
      },
    },
    {
      name: "403 insufficient scopes for a token without cloud-platform",
      token: () => mint(emulator, deployer, { sub: undefined, scope: CALENDAR }),
      status: 403,
      error: {
        code: 403,
        status: "PERMISSION_DENIED",
        message: "Request had insufficient authentication scopes.",
      },
    },
    {
      name: "400 INVALID_ARGUMENT for a payload that is not a JSON object",
      body: { payload: "[1]" },
      status: 400,
      error: {
        code: 400,
        status: "INVALID_ARGUMENT",
        message: "Request contains an invalid argument.",
      },
    },
    {
      name: "400 INVALID_ARGUMENT for a body that is not JSON",
      body: "payload=",
      status: 400,
      error: { code: 400, status: "INVALID_ARGUMENT" },
    },
    {
      name: "400 INVALID_ARGUMENT for exp more than 12 hours ahead",
      body: { payload: JSON.stringify({ exp: Math.floor(clock / 1000) + 13 * 3600 }) },
      status: 400,
      error: { code: 400, status: "INVALID_ARGUMENT" },
    },
    {
      name: "400 INVALID_ARGUMENT for a project other than -",
      project: "dwd-emulator",
      status: 400,
      error: { code: 400, status: "INVALID_ARGUMENT" },
    },
    {
      name: "404 NOT_FOUND for an unknown account",
      target: "ghost-bot@dwd-emulator.iam.gserviceaccount.com",
      status: 404,
      error: {
        code: 404,
        status: "NOT_FOUND",
        message:
          "Not found; Gaia id not found for email ghost-bot@dwd-emulator.iam.gserviceaccount.com",
      },
    },
  ];
  for (const c of refusals) {
    it(`answers ${c.name} in the google.rpc envelope`, async () => {
      const token = c.token === undefined ? deployerToken : await c.token();
      const res = await signJwt(
        c.target ?? BOT,
        c.body ?? { payload: payload() },
        token,
        c.project,
      );
      expect(res.status).toBe(c.status);
      expect(res.headers.get("content-type")).toBe("application/json; charset=UTF-8");
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject(c.error);
    });
  }

  it("answers 403 SERVICE_DISABLED with the activation URL of the caller's project when the API is off", async () => {
    emulator.faults.iamCredentialsDisabled = true;
    const res = await signJwt(BOT, { payload: payload() }, deployerToken);
    expect(res.status).toBe(403);
    const { error } = (await res.json()) as {
      error: {
        status: string;
        message: string;
        details: { reason?: string; metadata?: Record<string, string> }[];
      };
    };
    expect(error.status).toBe("PERMISSION_DENIED");
    const info = error.details.find((d) => d.reason === "SERVICE_DISABLED");
    expect(info?.metadata?.["service"]).toBe("iamcredentials.googleapis.com");
    expect(info?.metadata?.["activationUrl"]).toMatch(
      /^https:\/\/console\.developers\.google\.com\/apis\/api\/iamcredentials\.googleapis\.com\/overview\?project=\d{12}$/,
    );
    expect(error.message).toContain(
      `Enable it by visiting ${info?.metadata?.["activationUrl"] ?? "?"} then retry.`,
    );
  });
});
