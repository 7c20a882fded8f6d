// What a developer hit from a strict TypeScript project (issue 5): readonly scopes everywhere, loadKey()
// with no argument, and subjects that are empty or hold spaces.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildClaims, createTokenSource, loadKey } from "../src/index.ts";
import { toAuthClient } from "../src/google-auth-library.ts";
import { generateRsa, jsonKey, tempDir } from "./helpers.ts";

const SCOPES: readonly string[] = ["https://www.googleapis.com/auth/calendar.readonly"];
const SIGNER = {
  kind: "json" as const,
  clientEmail: "bot@p.iam.gserviceaccount.com",
  sign: () => Promise.resolve("eyJ.x.y"),
};

describe("loadKey() with no argument", () => {
  const saved = process.env["GOOGLE_APPLICATION_CREDENTIALS"];
  afterEach(() => {
    if (saved === undefined) delete process.env["GOOGLE_APPLICATION_CREDENTIALS"];
    else process.env["GOOGLE_APPLICATION_CREDENTIALS"] = saved;
  });

  it("loadKey() (no argument, as the README shows) reads GOOGLE_APPLICATION_CREDENTIALS", async () => {
    const path = join(tempDir(), "key.json");
    writeFileSync(path, JSON.stringify(jsonKey((await generateRsa()).pem)));
    process.env["GOOGLE_APPLICATION_CREDENTIALS"] = path;
    expect(await loadKey()).toMatchObject({ kind: "json", source: path });
  });
});

describe("readonly scopes and validated subjects outside the token source", () => {
  it("toAuthClient() takes readonly scopes and trims the subject", () => {
    const auth = toAuthClient(createTokenSource(SIGNER, { env: {} }), {
      subject: " ana@example.com ",
      scopes: SCOPES,
    });
    expect({ subject: auth.subject, scopes: auth.scopes }).toEqual({
      subject: "ana@example.com",
      scopes: [...SCOPES],
    });
  });

  it("toAuthClient() refuses an empty subject with a TypeError instead of acting as the service account", () => {
    expect(() =>
      toAuthClient(createTokenSource(SIGNER, { env: {} }), { subject: "", scopes: SCOPES }),
    ).toThrow(
      new TypeError(
        "subject is empty: pass the email of the user to impersonate, or omit subject to act as the service account itself",
      ),
    );
  });

  it("buildClaims() takes readonly scopes and refuses a subject with a space inside", () => {
    expect(
      buildClaims(SIGNER, { subject: "ana@example.com", scopes: SCOPES, now: 0 }),
    ).toMatchObject({ sub: "ana@example.com", scope: SCOPES[0] });
    expect(() => buildClaims(SIGNER, { subject: "ana @example.com", scopes: SCOPES })).toThrow(
      new TypeError(
        'subject "ana @example.com" holds whitespace or a control character: pass one user\'s email address',
      ),
    );
  });
});
