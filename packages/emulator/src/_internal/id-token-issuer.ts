import { stringToBase64Url, toBase64Url, toHex } from "./base64.ts";
import type { EmulatorContext } from "./context.ts";

/** Google's issuer of ID tokens (the `iss` of what the metadata server hands out). */
export const googleIssuer = "https://accounts.google.com";

/** The RSA key that signs this emulator's Google ID tokens, and its key ID. */
interface IdTokenKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JsonWebKey;
}

// One signing key per emulator (made at first use: RSA generation costs tens of milliseconds).
const keys = new WeakMap<EmulatorContext, Promise<IdTokenKey>>();

async function makeKey(): Promise<IdTokenKey> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  // Google's key IDs are 40 hex digits; derive one from the public key so it names this key only.
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${jwk.n}.${jwk.e}`)),
  );
  return { kid: toHex(digest).slice(0, 40), privateKey: pair.privateKey, jwk };
}

/**
 * The signing key of `ctx`'s emulator.
 *
 * @param ctx the emulator
 * @returns its ID-token key
 */
export function idTokenKey(ctx: EmulatorContext): Promise<IdTokenKey> {
  let key = keys.get(ctx);
  if (key === undefined) {
    key = makeKey();
    keys.set(ctx, key);
  }
  return key;
}

/** Who the ID token is for and about. */
export interface IdTokenRequest {
  audience: string;
  email: string;
  clientId: string;
  /** `full` adds `email` and `email_verified`, as Google's `format=full`. */
  format: "standard" | "full";
}

/**
 * Signs a Google ID token as the metadata server hands out: RS256 with the emulator's key, `iss`
 * `https://accounts.google.com`, `sub` and `azp` the account's numeric ID, an hour's life.
 *
 * @param ctx the emulator (its clock and key)
 * @param request audience, account and format
 * @returns the compact JWS
 */
export async function signIdToken(ctx: EmulatorContext, request: IdTokenRequest): Promise<string> {
  const key = await idTokenKey(ctx);
  const iat = Math.floor(ctx.clock() / 1000);
  const claims = {
    aud: request.audience,
    azp: request.clientId,
    ...(request.format === "full" ? { email: request.email, email_verified: true } : {}),
    exp: iat + 3600,
    iat,
    iss: googleIssuer,
    sub: request.clientId,
  };
  const input = `${stringToBase64Url(JSON.stringify({ alg: "RS256", kid: key.kid, typ: "JWT" }))}.${stringToBase64Url(JSON.stringify(claims))}`;
  const signature = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.privateKey, new TextEncoder().encode(input)),
  );
  return `${input}.${toBase64Url(signature)}`;
}

/**
 * The public key as Google's `https://www.googleapis.com/oauth2/v3/certs` lists it.
 *
 * @param ctx the emulator
 * @returns `{ keys: [JWK] }`
 */
export async function idTokenJwks(ctx: EmulatorContext): Promise<{ keys: JsonWebKey[] }> {
  const { kid, jwk } = await idTokenKey(ctx);
  return {
    keys: [{ kty: "RSA", alg: "RS256", use: "sig", kid, n: jwk.n, e: jwk.e } as JsonWebKey],
  };
}

/**
 * The public key as Google's `https://www.googleapis.com/oauth2/v1/certs` lists it: a self-signed
 * X.509 certificate (PEM) per key ID. node-forge is loaded here, lazily, as for the .p12 files.
 *
 * @param ctx the emulator
 * @returns `{ [kid]: PEM }`
 */
export async function idTokenPemCerts(ctx: EmulatorContext): Promise<Record<string, string>> {
  const key = await idTokenKey(ctx);
  const { default: forge } = await import("node-forge");
  const { pki, util, asn1 } = forge;
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key.privateKey));
  let binary = "";
  for (const b of der) binary += String.fromCharCode(b);
  const privateKey = pki.privateKeyFromAsn1(asn1.fromDer(util.createBuffer(binary)));
  const cert = pki.createCertificate();
  cert.publicKey = pki.setRsaPublicKey(privateKey.n, privateKey.e);
  cert.serialNumber = `00${key.kid.slice(0, 30)}`;
  const nowMs = ctx.clock();
  cert.validity.notBefore = new Date(nowMs - 86_400_000);
  cert.validity.notAfter = new Date(nowMs + 14 * 86_400_000);
  const name = [{ name: "commonName", value: "accounts.google.com" }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(privateKey, forge.md.sha256.create());
  return { [key.kid]: pki.certificateToPem(cert) };
}
