import { beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { createEmulator, demoScenario } from "../src/index.ts";
import { postToken } from "./helpers.ts";

let emulator: Emulator;
let dev: Record<string, string>;

beforeAll(async () => {
  emulator = await createEmulator({
    scenario: {
      ...demoScenario,
      authorizedUsers: [
        { email: "dev@example.com" },
        { email: "gone@example.com", refresh: "revoked" },
        { email: "rapt@example.com", refresh: "reauth" },
      ],
      tokenCreators: [{ serviceAccount: "calendar-bot", members: ["user:dev@example.com"] }],
    },
  });
  dev = emulator.authorizedUserJson("dev@example.com");
});

function refresh(
  file: Record<string, string>,
  overrides: Record<string, string> = {},
): Promise<Response> {
  return postToken(emulator, {
    grant_type: "refresh_token",
    client_id: file["client_id"] ?? "",
    client_secret: file["client_secret"] ?? "",
    refresh_token: file["refresh_token"] ?? "",
    ...overrides,
  });
}

describe("token endpoint: grant_type=refresh_token", () => {
  it("authorizedUserJson() is the file gcloud auth application-default login writes", () => {
    expect(dev).toMatchObject({ type: "authorized_user", account: "dev@example.com" });
    expect(dev["client_id"]).toMatch(/^\d{12}-[0-9a-f]{32}\.apps\.googleusercontent\.com$/);
    expect(dev["refresh_token"]).toMatch(/^1\/\/emu-/);
  });

  it("issues a user token that signJwt accepts as user:dev@example.com", async () => {
    const res = await refresh(dev);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string; scope: string };
    expect(body.token_type).toBe("Bearer");
    expect(body.scope.split(" ")).toContain("https://www.googleapis.com/auth/cloud-platform");
    const sign = await emulator.fetch(
      new Request(
        `${emulator.baseUrl}/v1/projects/-/serviceAccounts/calendar-bot@dwd-emulator.iam.gserviceaccount.com:signJwt`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${body.access_token}` },
          body: JSON.stringify({ payload: "{}" }),
        },
      ),
    );
    expect(sign.status).toBe(200);
  });

  const refusals: {
    name: string;
    file: () => Record<string, string>;
    overrides?: Record<string, string>;
    status: number;
    body: Record<string, string>;
  }[] = [
    {
      name: "a revoked refresh token",
      file: () => emulator.authorizedUserJson("gone@example.com"),
      status: 400,
      body: { error: "invalid_grant", error_description: "Token has been expired or revoked." },
    },
    {
      name: "a reauthentication policy (invalid_rapt)",
      file: () => emulator.authorizedUserJson("rapt@example.com"),
      status: 400,
      body: {
        error: "invalid_grant",
        error_description: "reauth related error (invalid_rapt)",
        error_subtype: "invalid_rapt",
        error_uri: "https://support.google.com/a/answer/9368756",
      },
    },
    {
      name: "an unknown client",
      file: () => dev,
      overrides: { client_id: "1-x.apps.googleusercontent.com" },
      status: 401,
      body: { error: "invalid_client", error_description: "The OAuth client was not found." },
    },
    {
      name: "a wrong client secret",
      file: () => dev,
      overrides: { client_secret: "nope" },
      status: 401,
      body: { error: "invalid_client", error_description: "Unauthorized" },
    },
    {
      name: "an unknown refresh token",
      file: () => dev,
      overrides: { refresh_token: "1//unknown" },
      status: 400,
      body: { error: "invalid_grant", error_description: "Bad Request" },
    },
    {
      name: "a missing refresh token",
      file: () => dev,
      overrides: { refresh_token: "" },
      status: 400,
      body: {
        error: "invalid_request",
        error_description: "Missing required parameter: refresh_token",
      },
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}`, async () => {
      const res = await refresh(c.file(), c.overrides);
      expect(res.status).toBe(c.status);
      expect(await res.json()).toEqual(c.body);
    });
  }
});
