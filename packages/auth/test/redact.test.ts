import { describe, expect, it } from "vitest";
import {
  DelegationError,
  KeyError,
  containsSecret,
  redactSecrets,
  registerSecret,
} from "../src/index.ts";

const pem =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhQGIuY29tIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

const cases: { name: string; input: string; secret: string }[] = [
  {
    name: "a PEM private key",
    input: `Cannot load key "${pem}"`,
    secret: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
  },
  {
    name: "a PEM key with JSON-escaped newlines",
    input: JSON.stringify({ private_key: pem }),
    secret: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
  },
  {
    name: "a PEM key cut off before its END line",
    input: pem.slice(0, 60),
    secret: "MIIEvQIBADANBgkq",
  },
  { name: "a signed assertion", input: `assertion=${jwt}&grant_type=x`, secret: jwt },
  {
    name: "a bare JWT in an error body",
    input: `{"error":"invalid_grant","echo":"${jwt}"}`,
    secret: "c2lnbmF0dXJlLXNpZ25hdHVyZQ",
  },
  {
    name: "a Google access token",
    input: "token ya29.a0AfB_byC-abc.def_123 expired",
    secret: "ya29.a0AfB_byC-abc",
  },
  {
    name: "an access_token field",
    input: '{"access_token":"opaque123456","expires_in":3599}',
    secret: "opaque123456",
  },
  {
    name: "a refresh token",
    input: "refresh 1//0gAbCdEfGhIjKlMnOpQrStUv",
    secret: "1//0gAbCdEfGhIjKlMnOpQrStUv",
  },
  { name: "a bearer header", input: "Authorization: Bearer abcdefghijkl", secret: "abcdefghijkl" },
  {
    name: "a long base64 run",
    input: `key ${"QUJDa2V5MDEy".repeat(12)}`,
    secret: "QUJDa2V5MDEy".repeat(12),
  },
];

describe("redactSecrets()", () => {
  for (const c of cases) {
    it(`removes ${c.name}`, () => {
      const out = redactSecrets(c.input);
      expect(out).not.toContain(c.secret);
      expect(out).toContain("[redacted]");
      expect(containsSecret(c.input)).toBe(true);
    });
  }

  it("leaves a quoted URL ending in token alone", () => {
    const text = 'Invalid --token-uri "ftp://x/token": not an http:// or https:// URL';
    expect(redactSecrets(text)).toBe(text);
  });

  it("leaves ordinary text alone and is idempotent", () => {
    const text = 'Cannot get a token for "ana@example.com": client "1234567890" is not authorized';
    expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets(redactSecrets(cases[0]!.input))).toBe(redactSecrets(cases[0]!.input));
  });

  it("finds a base64 run from 100 characters on, and multi-line base64 (real or JSON-escaped LF and CRLF newlines)", () => {
    const run = "QUJDa2V5MDEy".repeat(9).slice(0, 100);
    expect(redactSecrets(`x ${run} y`)).toBe("x [redacted] y");
    expect(redactSecrets(`x ${run.slice(1)} y`)).toBe(`x ${run.slice(1)} y`);
    const line = "QUJDa2V5MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3Bx"; // 44 characters
    for (const br of ["\n", "\r\n", "\\n", "\\r\\n"])
      expect(redactSecrets(`body: ${line}${br}${line}${br}QUJD`)).toBe("body: [redacted]");
  });

  it("removes a registered secret that has no recognisable shape", () => {
    registerSecret("demo-opaque-secret-42");
    expect(redactSecrets("caller sent demo-opaque-secret-42 twice: demo-opaque-secret-42")).toBe(
      "caller sent [redacted] twice: [redacted]",
    );
  });

  it("applies to every error's message and hint, by construction", () => {
    const k = new KeyError(
      "key_file_not_found",
      `Cannot load key "${pem}": the file does not exist`,
      { hint: `Check ${jwt}` },
    );
    const d = new DelegationError("invalid_grant", `Refused: ${jwt}`, {
      scopes: [],
      hint: "ya29.secret-token",
    });
    for (const e of [k, d]) {
      const shown = [e.message, e.hint ?? "", String(e), JSON.stringify(e)].join("\n");
      expect(shown).not.toMatch(/MIIEvQ|c2lnbmF0dXJl|ya29\.secret/);
    }
  });
});

describe("DwdError shows no secret by any path", () => {
  const token = "ya29.a0AfB_cause-token-0123456789";

  it("DwdError redacts strings inside cause, keeping a clean cause as the very same value", () => {
    const clean = { error: "invalid_grant", error_description: "Invalid JWT Signature." };
    expect(
      new DelegationError("invalid_signature", "x", { scopes: [], hint: "h", cause: clean }).cause,
    ).toBe(clean);
    const echoed = {
      error: "invalid_request",
      echo: { form: `grant_type=x&assertion=${jwt}`, list: [token] },
    };
    const error = new DelegationError("invalid_grant", "Refused", {
      scopes: [],
      hint: "h",
      cause: echoed,
    });
    expect(error.cause).toEqual({
      error: "invalid_request",
      echo: { form: "grant_type=x&assertion=[redacted]", list: ["[redacted]"] },
    });
    expect(JSON.stringify(echoed)).toContain(jwt); // the caller's object is not touched
  });

  it("DwdError keeps an Error cause's class but redacts its message, stack and own cause", () => {
    const network = new TypeError(`socket closed after ${jwt}`, { cause: { token } });
    const error = new DelegationError("token_endpoint_unreachable", "Unreachable", {
      scopes: [],
      cause: network,
      hint: "h",
    });
    const cause = error.cause as TypeError;
    expect(cause).toBeInstanceOf(TypeError);
    expect(cause.message).toBe("socket closed after [redacted]");
    expect(cause.stack).not.toContain(jwt);
    expect(cause.cause).toEqual({ token: "[redacted]" });
  });

  it("JSON.stringify(error) emits only name, code, message, hint and the facts, redacted", () => {
    const error = new DelegationError("invalid_grant", "Refused", {
      scopes: ["s"],
      subject: "ana@example.com",
      oauthErrorDescription: `bad assertion ${jwt}`,
      hint: "Fix it",
      cause: { secret: token },
    });
    expect(error.oauthErrorDescription).toBe("bad assertion [redacted]");
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: "DelegationError",
      code: "invalid_grant",
      message: "Refused",
      hint: "Fix it",
      subject: "ana@example.com",
      scopes: ["s"],
      oauthErrorDescription: "bad assertion [redacted]",
      retryable: false,
    });
    expect(String(error)).toBe("DelegationError: Refused");
  });

  it("KeyError never keeps key text as its source label", () => {
    const error = new KeyError("key_not_json", "Cannot load key", { source: pem, hint: "h" });
    expect(error.source).not.toContain("MIIEvQ");
  });
});
