import { describe, expect, it } from "vitest";
import { buildClaims, loadKey, normalizeScopes, signJwt } from "../src/index.ts";
import { generateRsa, jsonKey } from "./helpers.ts";

function decode(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
}

const CAL = "https://www.googleapis.com/auth/calendar";
const RO = "https://www.googleapis.com/auth/calendar.readonly";
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe("buildClaims()", () => {
  const key = {
    clientEmail: "bot@p.iam.gserviceaccount.com",
    tokenUri: "https://oauth2.googleapis.com/token",
  };
  const cases = [
    {
      name: "with a subject",
      options: { subject: "info@example.com", scopes: [RO, CAL], now: NOW },
      want: {
        iss: key.clientEmail,
        sub: "info@example.com",
        scope: `${CAL} ${RO}`,
        aud: key.tokenUri,
        iat: Math.floor(NOW / 1000) - 30,
        exp: Math.floor(NOW / 1000) - 30 + 3600,
      },
    },
    {
      name: "without a subject (no sub claim)",
      options: { scopes: [CAL], now: NOW },
      want: {
        iss: key.clientEmail,
        scope: CAL,
        aud: key.tokenUri,
        iat: Math.floor(NOW / 1000) - 30,
        exp: Math.floor(NOW / 1000) + 3570,
      },
    },
    {
      name: "with an explicit audience",
      options: {
        subject: "a@example.com",
        scopes: [CAL, CAL],
        audience: "http://127.0.0.1:9/token",
        now: NOW,
      },
      want: {
        iss: key.clientEmail,
        sub: "a@example.com",
        scope: CAL,
        aud: "http://127.0.0.1:9/token",
        iat: Math.floor(NOW / 1000) - 30,
        exp: Math.floor(NOW / 1000) + 3570,
      },
    },
  ];
  for (const c of cases) {
    it(`buildClaims() ${c.name}`, () => {
      expect(buildClaims(key, c.options)).toStrictEqual(c.want);
    });
  }

  it("buildClaims() uses the key's token URI as aud (an emulator's own URL)", () => {
    expect(
      buildClaims({ ...key, tokenUri: "http://127.0.0.1:8085/token" }, { scopes: [CAL], now: NOW })
        .aud,
    ).toBe("http://127.0.0.1:8085/token");
  });

  it("buildClaims() backdates iat by 30 s and keeps exp - iat at exactly 3600", () => {
    const claims = buildClaims(key, { scopes: [CAL], now: NOW });
    expect(Math.floor(NOW / 1000) - claims.iat).toBe(30);
    expect(claims.exp - claims.iat).toBe(3600);
  });

  for (const scopes of [[], [""], undefined as unknown as string[]]) {
    it(`buildClaims() throws TypeError for scopes ${JSON.stringify(scopes)}`, () => {
      expect(() => buildClaims(key, { subject: "a@example.com", scopes })).toThrow(
        new TypeError(
          "scopes are required: pass at least one OAuth scope (a token without scopes cannot act for a subject)",
        ),
      );
    });
  }

  it("normalizeScopes() sorts and deduplicates", () => {
    expect(normalizeScopes([RO, CAL, RO, ` ${CAL} `])).toEqual([CAL, RO]);
  });
});

describe("signJwt()", () => {
  it("signJwt() makes an RS256 JWS with kid, base64url without padding, that verifies with the public key", async () => {
    const { pem, publicKey } = await generateRsa();
    const key = await loadKey(jsonKey(pem));
    const claims = buildClaims(key, { subject: "info@example.com", scopes: [CAL], now: NOW });
    const jwt = await signJwt(key, claims);
    const [h, p, s] = jwt.split(".") as [string, string, string];
    expect(jwt).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(decode(h)).toStrictEqual({
      alg: "RS256",
      typ: "JWT",
      kid: "0123456789abcdef0123456789abcdef01234567",
    });
    expect(decode(p)).toStrictEqual(claims);
    const ok = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      publicKey,
      Buffer.from(s, "base64url"),
      new TextEncoder().encode(`${h}.${p}`),
    );
    expect(ok).toBe(true);
    expect(Buffer.from(s, "base64url")).toHaveLength(256);
  });

  it("signJwt() leaves kid out when the key has no id (.p12/PEM)", async () => {
    const { pem } = await generateRsa();
    const key = await loadKey(pem, { email: "bot@p.iam.gserviceaccount.com" });
    const jwt = await signJwt(key, buildClaims(key, { scopes: [CAL] }));
    expect(decode(jwt.split(".")[0]!)).toStrictEqual({ alg: "RS256", typ: "JWT" });
  });
});
