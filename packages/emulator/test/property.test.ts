import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { createEmulator } from "../src/index.ts";
import type { Signer } from "./helpers.ts";
import { exchange, postToken, signerFor } from "./helpers.ts";

const NOW = Date.UTC(2026, 3, 1, 12, 0, 0);
let emulator: Emulator;
let bot: Signer;
let valid = "";

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", now: () => NOW });
  bot = await signerFor(emulator, "calendar-bot", () => NOW);
  valid = await bot.assertion();
});

/** Base64url segments decoded leniently (as bytes), to tell a real change from a no-op edit. */
function decodedSegments(jws: string): string[] | undefined {
  const parts = jws.split(".");
  if (parts.length !== 3) return undefined;
  try {
    return parts.map((p) =>
      atob(
        p
          .replace(/-/g, "+")
          .replace(/_/g, "/")
          .padEnd(Math.ceil(p.length / 4) * 4, "="),
      ),
    );
  } catch {
    return undefined;
  }
}

/** The token endpoint answers every input with Google's shapes: 200 with a token, or a 4xx OAuth error. */
async function answersLikeGoogle(
  response: Response,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = (await response.json()) as Record<string, unknown>;
  expect([200, 400, 401, 403]).toContain(response.status);
  if (response.status === 200) {
    expect(body["access_token"]).toMatch(/^ya29\./);
    expect(body["token_type"]).toBe("Bearer");
  } else {
    expect(body["error"]).toEqual(expect.any(String));
  }
  return { status: response.status, body };
}

// Hundreds of RSA verifications per property: generous time on a busy machine; the verdict never depends on speed.
describe(
  "the token endpoint under random and mutated input (fast-check)",
  { timeout: 300_000 },
  () => {
    it("never crashes and never issues a token for a random assertion", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.string({ unit: "binary" }),
            fc.array(fc.base64String(), { minLength: 3, maxLength: 3 }).map((s) => s.join(".")),
          ),
          async (assertion) => {
            const { status } = await answersLikeGoogle(await exchange(emulator, assertion));
            expect(status).not.toBe(200);
          },
        ),
        { numRuns: 300 },
      );
    });

    it("issues a token for a mutated assertion only when the mutation decodes to the same bytes", async () => {
      const original = decodedSegments(valid);
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.tuple(
              fc.nat(),
              fc.constantFrom("flip", "delete", "insert"),
              fc.constantFrom("A", "b", "-", "_", ".", "=", "%"),
            ),
            { minLength: 1, maxLength: 4 },
          ),
          async (edits) => {
            let s = valid;
            for (const [at, kind, ch] of edits) {
              const i = at % s.length;
              s =
                kind === "delete"
                  ? s.slice(0, i) + s.slice(i + 1)
                  : kind === "insert"
                    ? s.slice(0, i) + ch + s.slice(i)
                    : s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
            }
            const { status } = await answersLikeGoogle(await exchange(emulator, s));
            if (status === 200) expect(decodedSegments(s)).toEqual(original);
          },
        ),
        { numRuns: 300 },
      );
    });

    it("answers any form body with a Google error, never a crash", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(fc.constantFrom("grant_type", "assertion", "scope", "x"), fc.string()),
          async (form) => {
            const { status } = await answersLikeGoogle(await postToken(emulator, form));
            expect(status).toBeGreaterThanOrEqual(400);
          },
        ),
        { numRuns: 200 },
      );
    });
  },
);
