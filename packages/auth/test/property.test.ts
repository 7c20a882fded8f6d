import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { DelegationError, KeyError, diagnoseTokenError, loadKey } from "../src/index.ts";
import { generateRsa, jsonKey, keyChunks, modernP12 } from "./helpers.ts";

const EMAIL = "prop@test-project.iam.gserviceaccount.com";
let pem = "";
let secrets: string[] = [];
let p12: Uint8Array = new Uint8Array();

beforeAll(async () => {
  pem = (await generateRsa()).pem;
  secrets = keyChunks(pem);
  p12 = await modernP12(pem, "notasecret");
});

/** loadKey() either loads or throws a KeyError whose message and hint hold no key material. */
async function loadsOrKeyError(
  source: Parameters<typeof loadKey>[0],
  options = { email: EMAIL },
): Promise<void> {
  try {
    await loadKey(source, options);
  } catch (error) {
    if (!(error instanceof KeyError))
      throw new Error(`not a KeyError: ${String(error)}`, { cause: error });
    const text = `${error.message}\n${error.hint ?? ""}`;
    for (const chunk of secrets)
      if (text.includes(chunk))
        throw new Error(`key material in: ${error.message}`, { cause: error });
    expect(error.message).not.toContain("\n");
  }
}

/** Mutations of a string: flip, delete or insert characters at random places. */
function mutated(text: () => string): fc.Arbitrary<string> {
  return fc
    .array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom("flip", "delete", "insert"),
        fc.string({ minLength: 1, maxLength: 1 }),
      ),
      { minLength: 1, maxLength: 8 },
    )
    .map((edits) => {
      let s = text();
      for (const [at, kind, ch] of edits) {
        const i = s.length === 0 ? 0 : at % s.length;
        s =
          kind === "delete"
            ? s.slice(0, i) + s.slice(i + 1)
            : kind === "insert"
              ? s.slice(0, i) + ch + s.slice(i)
              : s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
      }
      return s;
    });
}

describe(
  "property: loadKey() never crashes and never leaks key material",
  { timeout: 300_000 },
  () => {
    it("loadKey() on mutated JSON key text throws only KeyError", async () => {
      await fc.assert(
        fc.asyncProperty(
          mutated(() => JSON.stringify(jsonKey(pem))),
          (text) => loadsOrKeyError(text.trim().startsWith("{") ? text : `{${text}`),
        ),
        { numRuns: 150 },
      );
    });

    it("loadKey() on random JSON objects with key-ish fields throws only KeyError", async () => {
      const field = fc.oneof(
        fc.string(),
        fc.constant(pem),
        fc.integer(),
        fc.constant(null),
        fc.array(fc.string()),
        fc.object(),
      );
      const obj = fc.record(
        {
          type: fc.oneof(fc.constant("service_account"), fc.string(), fc.integer()),
          client_email: field,
          private_key: field,
          token_uri: field,
          client_id: field,
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(obj, (o) =>
          loadsOrKeyError(o as Record<string, unknown>, { email: undefined as unknown as string }),
        ),
        { numRuns: 200 },
      );
    });

    it("loadKey() on mutated PEM text throws only KeyError", async () => {
      await fc.assert(
        fc.asyncProperty(
          mutated(() => pem),
          (text) => loadsOrKeyError(text.includes("-----BEGIN") ? text : `-----BEGIN ${text}`),
        ),
        { numRuns: 150 },
      );
    });

    it("loadKey() on mutated and truncated .p12 bytes throws only KeyError", async () => {
      const bytes = fc.oneof(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, b]) => {
          const copy = p12.slice();
          copy[at % copy.length] = b;
          return copy;
        }),
        fc.nat().map((n) => p12.slice(0, n % p12.length)),
        fc
          .uint8Array({ minLength: 0, maxLength: 64 })
          .map((tail) => Uint8Array.from([0x30, 0x82, 0x06, 0x00, ...tail])),
      );
      await fc.assert(
        fc.asyncProperty(bytes, (b) => loadsOrKeyError(b)),
        { numRuns: 120 },
      );
    });

    it("loadKey() on random bytes throws only KeyError", async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), (b) => loadsOrKeyError(b)),
        { numRuns: 200 },
      );
    });
  },
);

describe("property: diagnoseTokenError() never crashes", () => {
  const jwtish = fc
    .array(fc.base64String(), { minLength: 1, maxLength: 3 })
    .map((parts) => parts.join("."));
  const body = fc.oneof(
    fc.string(),
    jwtish,
    fc.record(
      {
        error: fc.oneof(
          fc.string(),
          fc.constantFrom("invalid_grant", "unauthorized_client", "access_denied", "invalid_scope"),
        ),
        error_description: fc.oneof(fc.string(), jwtish),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  );
  it("diagnoseTokenError() returns a DelegationError for any status, body and Date", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        body,
        fc.option(fc.string()),
        fc.option(fc.string()),
        (status, b, date, subject) => {
          const error = diagnoseTokenError(
            { status, body: b, date },
            { key: { clientEmail: EMAIL }, scopes: ["s"], ...(subject ? { subject } : {}) },
          );
          expect(error).toBeInstanceOf(DelegationError);
          expect(error.message.length).toBeLessThan(1000);
          expect(error.hint).toBeTruthy();
        },
      ),
      { numRuns: 500 },
    );
  });
});
