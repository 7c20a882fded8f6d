/**
 * The cross-runtime conformance suite, written once: run by vitest on Node (conformance.test.ts) and by
 * Deno.test (conformance.deno.ts). It covers what can differ between runtimes: reading key files,
 * PKCS#8/PKCS#1 import into WebCrypto, the lazily loaded node-forge .p12 path, RS256 signing, base64url,
 * and a token exchange with the emulator through an injected fetch.
 *
 * @module
 */

import { createEmulator } from "@dwd/emulator";
import type { Emulator } from "@dwd/emulator";
import {
  KeyError,
  buildClaims,
  createIamSigner,
  createTokenSource,
  loadKey,
  signJwt,
} from "../src/index.ts";

/** The bits of node-forge used to build a PBES2 .p12 at run time. */
interface ForgeForTest {
  asn1: { fromDer(bytes: string): unknown; toDer(obj: unknown): { getBytes(): string } };
  pki: { privateKeyFromAsn1(obj: unknown): unknown };
  pkcs12: {
    toPkcs12Asn1(
      key: unknown,
      certs: unknown[] | null,
      password: string,
      options: { algorithm: string },
    ): unknown;
  };
}

/** One conformance case. */
export interface ConformanceCase {
  name: string;
  run(): Promise<void>;
}

const KEYS = new URL("./fixtures/keys/", import.meta.url);
const CAL = "https://www.googleapis.com/auth/calendar";
const EMAIL = "legacy@test-project.iam.gserviceaccount.com";

function path(name: string): string {
  return decodeURIComponent(new URL(name, KEYS).pathname);
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`conformance: ${what}`);
}

function fromBase64Url(segment: string): Uint8Array {
  const b64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) =>
    c.charCodeAt(0),
  );
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

let emulatorPromise: Promise<Emulator> | undefined;
function emulator(): Promise<Emulator> {
  emulatorPromise ??= createEmulator({ scenario: "demo", baseUrl: "http://emulator.test" });
  return emulatorPromise;
}

const viaEmulator =
  (e: Emulator): typeof fetch =>
  (input, init) =>
    e.fetch(new Request(input, init));

export const conformanceCases: ConformanceCase[] = [
  {
    name: "loadKey() reads a JSON key file (PKCS#8) and a PKCS#1 JSON key into non-extractable RS256 keys",
    async run() {
      for (const name of [
        "google-cloud-go-auth-sa.json",
        "firebase-admin-python-service_account.json",
      ]) {
        const key = await loadKey(path(name));
        check(key.kind === "json", `${name} kind`);
        check(key.privateKey.extractable === false, `${name} extractable`);
        check(
          (key.privateKey.algorithm as RsaHashedKeyAlgorithm).hash.name === "SHA-256",
          `${name} hash`,
        );
      }
    },
  },
  {
    name: "loadKey() opens Google's legacy 3DES/RC2-40 .p12 (node-forge) and it equals the PEM key",
    async run() {
      const p12 = await loadKey(path("google-p12-pem-key.p12"), { email: EMAIL });
      const pem = await loadKey(path("google-p12-pem-key.pem"), { email: EMAIL });
      const data = new TextEncoder().encode("conformance");
      const a = hex(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", p12.privateKey, data));
      const b = hex(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pem.privateKey, data));
      check(p12.kind === "p12" && a === b, "p12 and pem signatures differ");
    },
  },
  {
    name: "loadKey() opens a PBES2/AES-256-CBC .p12 built at run time and it equals the generated key",
    async run() {
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
      const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
      const forge = ((await import("node-forge")) as unknown as { default: ForgeForTest }).default;
      const binary = String.fromCharCode(...pkcs8);
      const forgeKey = forge.pki.privateKeyFromAsn1(forge.asn1.fromDer(binary));
      const p12 = forge.asn1
        .toDer(forge.pkcs12.toPkcs12Asn1(forgeKey, null, "notasecret", { algorithm: "aes256" }))
        .getBytes();
      const key = await loadKey(
        Uint8Array.from(p12, (c) => c.charCodeAt(0)),
        { email: EMAIL },
      );
      const data = new TextEncoder().encode("conformance");
      const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.privateKey, data);
      check(
        await crypto.subtle.verify("RSASSA-PKCS1-v1_5", pair.publicKey, signature, data),
        "PBES2 p12 key mismatch",
      );
    },
  },
  {
    name: "loadKey() refuses a truncated .p12 and a missing file with stable codes",
    async run() {
      for (const [source, code] of [
        [path("google-p12-pem-badkey.p12"), "p12_truncated"],
        [path("no-such-key.json"), "key_file_not_found"],
      ] as const) {
        const error = await loadKey(source, { email: EMAIL }).then(
          () => undefined,
          (e: unknown) => e,
        );
        check(error instanceof KeyError && error.code === code, `${source}: expected ${code}`);
      }
    },
  },
  {
    name: "loadKey() reads only regular files: /dev/zero and a directory are refused at once, a key file still loads",
    async run() {
      const dir = decodeURIComponent(KEYS.pathname);
      for (const [source, code] of [
        ["/dev/zero", "key_not_a_file"],
        [dir, "key_not_a_file"],
      ] as const) {
        const error = await loadKey(source).then(
          () => undefined,
          (e: unknown) => e,
        );
        check(
          error instanceof KeyError && error.code === code,
          `${source}: expected ${code}, got ${String(error)}`,
        );
      }
      check(
        (await loadKey(path("google-cloud-go-auth-sa.json"))).kind === "json",
        "a regular key file loads",
      );
    },
  },
  {
    name: "signJwt() signs RS256 with base64url segments that verify",
    async run() {
      const e = await emulator();
      const json = await e.serviceAccountKeyJson("calendar-bot");
      const key = await loadKey(json);
      const jwt = await signJwt(
        key,
        buildClaims(key, { subject: "info@example.com", scopes: [CAL] }),
      );
      const [h, p, s] = jwt.split(".");
      check(h && p && s && !jwt.includes("="), "compact JWS without padding");
      const header = JSON.parse(new TextDecoder().decode(fromBase64Url(h))) as Record<
        string,
        unknown
      >;
      const claims = JSON.parse(new TextDecoder().decode(fromBase64Url(p))) as Record<
        string,
        unknown
      >;
      check(header["alg"] === "RS256" && header["kid"] === json["private_key_id"], "header");
      check(claims["sub"] === "info@example.com" && claims["aud"] === json["token_uri"], "claims");
      check(fromBase64Url(s).length === 256, "2048-bit signature");
    },
  },
  {
    name: "createTokenSource() exchanges JSON and .p12 keys with the emulator and shares one exchange",
    async run() {
      const e = await emulator();
      e.stats.reset();
      const jsonKey = await loadKey(await e.serviceAccountKeyJson("calendar-bot"));
      const source = createTokenSource(jsonKey, { fetch: viaEmulator(e), env: {} });
      const tokens = await Promise.all(
        Array.from({ length: 50 }, () =>
          source.getToken({ subject: "info@example.com", scopes: [CAL] }),
        ),
      );
      check(
        tokens.every((t) => t.accessToken === tokens[0]!.accessToken),
        "one token",
      );
      check(e.stats.tokensIssued === 1, `tokensIssued ${e.stats.tokensIssued}`);
      const info = e.serviceAccount("calendar-bot");
      const p12Key = await loadKey(await e.serviceAccountKeyP12("calendar-bot"), {
        email: info.email,
        tokenUri: `${e.baseUrl}/token`,
      });
      const token = await createTokenSource(p12Key, { fetch: viaEmulator(e), env: {} }).getToken({
        subject: "info@example.com",
        scopes: [CAL],
      });
      const res = await e.fetch(
        new Request(`${e.baseUrl}/calendar/v3/users/me/calendarList/info%40example.com`, {
          headers: { authorization: `Bearer ${token.accessToken}` },
        }),
      );
      const entry = (await res.json()) as { summary?: string };
      check(
        res.status === 200 && entry.summary === "info@example.com",
        "calendarList.get with the .p12 token",
      );
    },
  },
  {
    name: "keyless: createIamSigner() finds no file, takes deployer's token from the metadata server and has signJwt sign for calendar-bot",
    async run() {
      const e = await emulator();
      const env = {
        GCE_METADATA_HOST: "metadata.test",
        DWD_EMULATOR_HOST: "emulator.test",
        HOME: "/nonexistent-dwd-home",
      };
      const signer = createIamSigner({
        serviceAccount: "calendar-bot@dwd-emulator.iam.gserviceaccount.com",
        env,
        fetch: viaEmulator(e),
      });
      const source = createTokenSource(signer, { env, fetch: viaEmulator(e) });
      const token = await source.getToken({ subject: "info@example.com", scopes: [CAL] });
      check(
        token.subject === "info@example.com" && token.accessToken.startsWith("ya29.emu."),
        "a delegated token",
      );
      check(
        signer.privateKeyId === e.serviceAccount("calendar-bot").keyId,
        "kid is calendar-bot's key ID",
      );
      check(
        (await signer.caller()).kind === "metadata",
        "the caller came from the metadata server",
      );
    },
  },
];
