// The metadata server's ID tokens and Google's certificate endpoints that check them.
import { X509Certificate, createPublicKey } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.ts";
import { createEmulator } from "../src/index.ts";

let emulator: Emulator;
const NOW = Date.UTC(2026, 3, 1, 12);
const DEPLOYER = "deployer@dwd-emulator.iam.gserviceaccount.com";

beforeAll(async () => {
  emulator = await createEmulator({ scenario: "demo", now: () => NOW });
});

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return emulator.fetch(new Request(`${emulator.baseUrl}${path}`, { headers }));
}

const flavor = { "Metadata-Flavor": "Google" };
const identity = "/computeMetadata/v1/instance/service-accounts/default/identity";

function part(token: string, i: 0 | 1): Record<string, unknown> {
  const b64 = token.split(".")[i]!.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(b64)) as Record<string, unknown>;
}

async function verifies(token: string, jwk: JsonWebKey): Promise<boolean> {
  const key = await crypto.subtle.importKey(
    "jwk",
    jwk,
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const [h, p, s] = token.split(".");
  const sig = Uint8Array.from(atob(s!.replace(/-/g, "+").replace(/_/g, "/")), (c) =>
    c.charCodeAt(0),
  );
  return crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, sig, new TextEncoder().encode(`${h}.${p}`));
}

describe("metadata server: identity", () => {
  it("issues an RS256 Google ID token for the audience, with email at format=full", async () => {
    const res = await get(`${identity}?audience=https://dwd.example.com&format=full`, flavor);
    expect(res.status).toBe(200);
    expect(res.headers.get("metadata-flavor")).toBe("Google");
    const token = await res.text();
    const clientId = emulator.serviceAccount("deployer").clientId;
    expect(part(token, 0)).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(part(token, 1)).toStrictEqual({
      aud: "https://dwd.example.com",
      azp: clientId,
      email: DEPLOYER,
      email_verified: true,
      exp: NOW / 1000 + 3600,
      iat: NOW / 1000,
      iss: "https://accounts.google.com",
      sub: clientId,
    });
    const jwks = (await (await get("/oauth2/v3/certs")).json()) as { keys: JsonWebKey[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kty: "RSA",
      alg: "RS256",
      use: "sig",
      kid: part(token, 0).kid,
    });
    expect(await verifies(token, jwks.keys[0]!)).toBe(true);
    // One byte changed in the claims: the signature no longer holds.
    const [h, p, s] = token.split(".");
    const forged = `${h}.${p!.slice(0, -2)}${p!.endsWith("A") ? "B" : "A"}${p!.slice(-1)}.${s}`;
    expect(await verifies(forged, jwks.keys[0]!)).toBe(false);
  });

  it("leaves email out at the standard format, as Google does", async () => {
    const token = await (await get(`${identity}?audience=aud-1`, flavor)).text();
    expect(Object.keys(part(token, 1)).sort()).toStrictEqual([
      "aud",
      "azp",
      "exp",
      "iat",
      "iss",
      "sub",
    ]);
  });

  it("answers 400 without an audience and 403 without Metadata-Flavor", async () => {
    const missing = await get(identity, flavor);
    expect(missing.status).toBe(400);
    expect(await missing.text()).toBe("non-empty audience parameter required\n");
    expect((await get(`${identity}?audience=a`)).status).toBe(403);
  });

  it("serves the same key as PEM certificates (v1) and names its JWKS in the discovery document", async () => {
    const token = await (await get(`${identity}?audience=a`, flavor)).text();
    const kid = part(token, 0).kid as string;
    const pems = (await (await get("/oauth2/v1/certs")).json()) as Record<string, string>;
    expect(Object.keys(pems)).toStrictEqual([kid]);
    const cert = new X509Certificate(pems[kid]!);
    const jwk = cert.publicKey.export({ format: "jwk" }) as JsonWebKey;
    expect(await verifies(token, jwk)).toBe(true);
    expect(createPublicKey(pems[kid]!).asymmetricKeyType).toBe("rsa");
    const doc = (await (await get("/.well-known/openid-configuration")).json()) as Record<
      string,
      unknown
    >;
    expect(doc).toMatchObject({
      issuer: "https://accounts.google.com",
      jwks_uri: `${emulator.baseUrl.replace(/\/+$/, "")}/oauth2/v3/certs`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
  });
});
