/** Test helpers: sign assertions with WebCrypto directly (tests may not import @dwd/auth). */
import type { Emulator } from "../src/index.ts";

export const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
export const scope = (short: string): string => `https://www.googleapis.com/auth/${short}`;
export const CALENDAR: string = scope("calendar");
export const CALENDAR_READONLY: string = scope("calendar.readonly");

const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

export function b64url(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}

export async function importPrivateKey(pem: string, extractable = false): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", pemToDer(pem), rsa, extractable, ["sign"]);
}

/** The SPKI PEM of the public half of a private key PEM (for the HS256-with-public-key forgery). */
export async function publicKeyPem(privatePem: string): Promise<string> {
  const jwk = await crypto.subtle.exportKey("jwk", await importPrivateKey(privatePem, true));
  const pub = await crypto.subtle.importKey("jwk", { kty: "RSA", n: jwk.n, e: jwk.e }, rsa, true, [
    "verify",
  ]);
  const der = new Uint8Array(await crypto.subtle.exportKey("spki", pub));
  let binary = "";
  for (const b of der) binary += String.fromCharCode(b);
  return `-----BEGIN PUBLIC KEY-----\n${(btoa(binary).match(/.{1,64}/g) ?? []).join("\n")}\n-----END PUBLIC KEY-----\n`;
}

export async function signRs256(key: CryptoKey, header: object, claims: object): Promise<string> {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = new Uint8Array(
    await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(input)),
  );
  return `${input}.${b64url(sig)}`;
}

export async function signHs256(secret: Uint8Array<ArrayBuffer>, claims: object): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    secret,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const input = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64url(JSON.stringify(claims))}`;
  const sig = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)),
  );
  return `${input}.${b64url(sig)}`;
}

/** Posts a form to the emulator's token endpoint. */
export function postToken(
  emulator: Emulator,
  form: Record<string, string>,
  url = `${emulator.baseUrl}/token`,
): Promise<Response> {
  return emulator.fetch(
    new Request(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    }),
  );
}

export function exchange(emulator: Emulator, assertion: string, url?: string): Promise<Response> {
  return postToken(emulator, { grant_type: jwtBearer, assertion }, url);
}

export interface Signer {
  email: string;
  key: CryptoKey;
  pem: string;
  keyId: string;
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  assertion(overrides?: Record<string, unknown>): Promise<string>;
}

/** A signer for a scenario service account; `nowMs` is the emulator's clock. */
export async function signerFor(
  emulator: Emulator,
  name: string,
  nowMs: () => number,
): Promise<Signer> {
  const json = await emulator.serviceAccountKeyJson(name);
  const pem = json["private_key"] ?? "";
  const key = await importPrivateKey(pem);
  const email = json["client_email"] ?? "";
  const keyId = json["private_key_id"] ?? "";
  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const iat = Math.floor(nowMs() / 1000);
    const base: Record<string, unknown> = {
      iss: email,
      sub: "info@example.com",
      scope: CALENDAR,
      aud: "https://oauth2.googleapis.com/token",
      iat,
      exp: iat + 3600,
    };
    for (const [k, v] of Object.entries(overrides)) {
      if (v === undefined) delete base[k];
      else base[k] = v;
    }
    return base;
  };
  return {
    email,
    key,
    pem,
    keyId,
    claims,
    assertion: (overrides) =>
      signRs256(key, { alg: "RS256", typ: "JWT", kid: keyId }, claims(overrides)),
  };
}

/** Mints an access token through the token endpoint or fails the test. */
export async function mint(
  emulator: Emulator,
  signer: Signer,
  overrides?: Record<string, unknown>,
): Promise<string> {
  const res = await exchange(emulator, await signer.assertion(overrides));
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || body.access_token === undefined)
    throw new Error(`mint failed: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export function calendarGet(emulator: Emulator, path: string, token?: string): Promise<Response> {
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  return emulator.fetch(new Request(`${emulator.baseUrl}/calendar/v3/${path}`, { headers }));
}
