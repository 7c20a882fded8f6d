import type { ScenarioServiceAccount } from "../scenario.ts";
import { serviceAccountEmail } from "../scenario.ts";
import { randomBytes, toBase64, toHex } from "./base64.ts";

/**
 * A Web Crypto key: the consumer's own `CryptoKey` type, through the global `CryptoKey` value that the DOM
 * library, `@types/node` and Deno each declare. The emitted declarations then need no DOM library (with
 * `lib: ["es2023"]` and Node's types there is a `CryptoKey` value but no type of that name).
 */
export type WebCryptoKey = typeof globalThis extends { CryptoKey: { prototype: infer K } }
  ? K
  : { readonly type: string; readonly algorithm: { readonly name: string } };

/** One RSA key of a service account (an array, so rotation can be added later). */
export interface KeyRecord {
  /** 40 hex characters, like Google's `private_key_id`. */
  keyId: string;
  privateKey: WebCryptoKey;
  publicKey: WebCryptoKey;
}

/** A service account as the emulator holds it. */
export interface ServiceAccountRecord {
  name: string;
  projectId: string;
  email: string;
  clientId: string;
  disabled: boolean;
  keys: KeyRecord[];
}

const rsa: RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

/** A 21-digit numeric client ID derived from the email, so it is stable across restarts. */
export async function deriveClientId(email: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(email)),
  );
  let n = 0n;
  for (const b of digest.subarray(0, 16)) n = (n << 8n) | BigInt(b);
  return "1" + (n % 10n ** 20n).toString().padStart(20, "0");
}

/** Creates the account record and generates its RSA-2048 key pair (extractable, so key files can be written). */
export async function createServiceAccount(
  def: ScenarioServiceAccount,
): Promise<ServiceAccountRecord> {
  const email = serviceAccountEmail(def);
  const [pair, clientId] = await Promise.all([
    crypto.subtle.generateKey(rsa, true, ["sign", "verify"]),
    def.clientId ?? deriveClientId(email),
  ]);
  return {
    name: def.name,
    projectId: def.projectId ?? "dwd-emulator",
    email,
    clientId,
    disabled: def.disabled === true,
    keys: [
      { keyId: toHex(randomBytes(20)), privateKey: pair.privateKey, publicKey: pair.publicKey },
    ],
  };
}

/** The private key as an unencrypted PKCS#8 PEM, 64-character lines, trailing newline (Google's JSON key form). */
export async function privateKeyPem(key: WebCryptoKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}
