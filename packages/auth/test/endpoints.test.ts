// A .p12 or PEM key names no token endpoint, so its tokens go to Google's. When that fails the way a key
// meant for the emulator fails there, the error says which of DWD_EMULATOR_HOST / tokenUri to set.
import { describe, expect, it } from "vitest";
import { DelegationError, createTokenSource, loadKey } from "../src/index.ts";
import type { FetchLike } from "../src/index.ts";
import { generateRsa, jsonKey } from "./helpers.ts";

const CAL = "https://www.googleapis.com/auth/calendar";
const EMAIL = "bot@test-project.iam.gserviceaccount.com";
const HINT_TAIL =
  "A PEM key names no token endpoint, so this went to Google's; to use the emulator instead, set DWD_EMULATOR_HOST=host:port (tokens and Calendar calls both go there), or tokenUri (--token-uri) to http://host:port/token";

/** Google as seen from a sandbox: the name does not resolve. Records where each request went. */
function offline(sent: string[]): FetchLike {
  return (url) => {
    sent.push(url);
    return Promise.reject(
      new TypeError("fetch failed", {
        cause: Object.assign(new Error("x"), { code: "ENOTFOUND" }),
      }),
    );
  };
}

/** Google refusing a key it does not know. */
const unknownKey: FetchLike = () =>
  Promise.resolve(
    new Response(
      JSON.stringify({ error: "invalid_grant", error_description: "Invalid JWT Signature." }),
      { status: 400, headers: { "content-type": "application/json" } },
    ),
  );

describe("a key without token_uri at Google's endpoint", () => {
  it("a PEM key that cannot reach Google says to set DWD_EMULATOR_HOST or tokenUri", async () => {
    const key = await loadKey((await generateRsa()).pem, { email: EMAIL });
    const sent: string[] = [];
    const tokens = createTokenSource(key, { env: {}, fetch: offline(sent) });
    const error = await tokens
      .getToken({ subject: "ana@example.com", scopes: [CAL] })
      .catch((e: unknown) => e);
    expect(sent).toEqual(["https://oauth2.googleapis.com/token"]);
    expect(error).toBeInstanceOf(DelegationError);
    expect((error as DelegationError).code).toBe("token_endpoint_unreachable");
    expect((error as DelegationError).message).toBe(
      'Cannot get a token for "ana@example.com": the token endpoint "https://oauth2.googleapis.com/token" cannot be reached (ENOTFOUND)',
    );
    expect((error as DelegationError).hint).toBe(
      `Check the network, proxy and DNS; if DWD_EMULATOR_HOST is set, check that the emulator is running. ${HINT_TAIL}`,
    );
    expect((error as DelegationError).retryable).toBe(true);
  });

  it("a PEM key Google does not know says the same", async () => {
    const key = await loadKey((await generateRsa()).pem, { email: EMAIL });
    const tokens = createTokenSource(key, { env: {}, fetch: unknownKey });
    const error = (await tokens
      .getToken({ subject: "ana@example.com", scopes: [CAL] })
      .catch((e: unknown) => e)) as DelegationError;
    expect(error.code).toBe("invalid_signature");
    expect(error.hint?.endsWith(HINT_TAIL)).toBe(true);
  });

  const untouched: { name: string; make: () => Promise<ReturnType<typeof createTokenSource>> }[] = [
    {
      name: "a JSON key (it names its token_uri)",
      make: async () =>
        createTokenSource(await loadKey(jsonKey((await generateRsa()).pem)), {
          env: {},
          fetch: offline([]),
        }),
    },
    {
      name: "a PEM key given tokenUri",
      make: async () =>
        createTokenSource(await loadKey((await generateRsa()).pem, { email: EMAIL }), {
          env: {},
          tokenUri: "https://oauth2.googleapis.com/token",
          fetch: offline([]),
        }),
    },
  ];
  for (const c of untouched) {
    it(`${c.name}: the hint does not mention the emulator's settings`, async () => {
      const error = (await (
        await c.make()
      )
        .getToken({ subject: "ana@example.com", scopes: [CAL] })
        .catch((e: unknown) => e)) as DelegationError;
      expect(error.code).toBe("token_endpoint_unreachable");
      expect(error.hint).toBe(
        "Check the network, proxy and DNS; if DWD_EMULATOR_HOST is set, check that the emulator is running",
      );
    });
  }
});
