import { beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { createEmulator } from "../src/index.ts";

let emulator: Emulator;
const DEPLOYER = "deployer@dwd-emulator.iam.gserviceaccount.com";

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", now: () => Date.UTC(2026, 3, 1, 12) });
});

function get(
  path: string,
  headers: Record<string, string> = { "Metadata-Flavor": "Google" },
): Promise<Response> {
  return emulator.fetch(new Request(`${emulator.baseUrl}/computeMetadata/v1/${path}`, { headers }));
}

describe("metadata server", () => {
  it("refuses a request without Metadata-Flavor: Google with 403, as Google's does", async () => {
    const res = await get("instance/service-accounts/default/token", {});
    expect(res.status).toBe(403);
    expect(res.headers.get("metadata-flavor")).toBe("Google");
    expect(await res.text()).toContain("Missing Metadata-Flavor:Google header.");
  });

  it("issues deployer's token, which the IAM Credentials API accepts as deployer", async () => {
    const res = await get("instance/service-accounts/default/token");
    expect(res.status).toBe(200);
    expect(res.headers.get("metadata-flavor")).toBe("Google");
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as {
      access_token: string;
      expires_in: number;
      token_type: string;
    };
    expect(body).toMatchObject({ expires_in: 3599, token_type: "Bearer" });
    const sign = await emulator.fetch(
      new Request(
        `${emulator.baseUrl}/v1/projects/-/serviceAccounts/calendar-bot@dwd-emulator.iam.gserviceaccount.com:signJwt`,
        {
          method: "POST",
          headers: {
            authorization: `Bearer ${body.access_token}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({ payload: JSON.stringify({ iss: "x" }) }),
        },
      ),
    );
    expect(sign.status).toBe(200);
  });

  const cases: { path: string; body: unknown }[] = [
    { path: "instance/service-accounts/default/email", body: DEPLOYER },
    { path: `instance/service-accounts/${DEPLOYER}/email`, body: DEPLOYER },
    {
      path: "instance/service-accounts/default/?recursive=true",
      body: {
        aliases: ["default"],
        email: DEPLOYER,
        scopes: [
          "https://www.googleapis.com/auth/cloud-platform",
          "https://www.googleapis.com/auth/userinfo.email",
        ],
      },
    },
    { path: "project/project-id", body: "dwd-emulator" },
    { path: "instance/service-accounts/", body: `default/\n${DEPLOYER}/\n` },
  ];
  for (const c of cases) {
    it(`answers ${c.path}`, async () => {
      const res = await get(c.path);
      expect(res.status).toBe(200);
      expect(res.headers.get("metadata-flavor")).toBe("Google");
      expect(typeof c.body === "string" ? await res.text() : await res.json()).toEqual(c.body);
    });
  }

  it("answers 404 (with the header) for another account or an unknown path", async () => {
    for (const path of [
      "instance/service-accounts/intruder@dwd-emulator.iam.gserviceaccount.com/token",
      "instance/attributes/nope",
    ]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("metadata-flavor")).toBe("Google");
    }
  });

  it("has no service account when the scenario names none", async () => {
    const bare = await createEmulator({
      scenario: {
        domain: "example.com",
        users: [],
        serviceAccounts: [{ name: "calendar-bot" }],
        grants: [],
      },
    });
    const res = await bare.fetch(
      new Request(`${bare.baseUrl}/computeMetadata/v1/instance/service-accounts/default/token`, {
        headers: { "Metadata-Flavor": "Google" },
      }),
    );
    expect(res.status).toBe(404);
  });
});
