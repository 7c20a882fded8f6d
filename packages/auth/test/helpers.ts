// Test helpers shared by the vitest suites (Node only).
import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createGzip } from "node:zlib";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Published test keys committed under test/fixtures/keys (provenance in test/fixtures/PROVENANCE.md). */
export const FIXTURE_KEYS: string = fileURLToPath(new URL("./fixtures/keys/", import.meta.url));

export function fixture(name: string): string {
  return join(FIXTURE_KEYS, name);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "dwd-auth-test-"));
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

/** A fresh RSA key pair: PKCS#8 PEM text plus the public CryptoKey to verify signatures. */
export async function generateRsa(bits = 2048): Promise<{ pem: string; publicKey: CryptoKey }> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: bits,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  return {
    pem: toPem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    publicKey: pair.publicKey,
  };
}

export async function generateEcPem(): Promise<string> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  return toPem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", pair.privateKey));
}

/** A JSON service-account key around a PEM. */
export function jsonKey(pem: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "service_account",
    project_id: "test-project",
    private_key_id: "0123456789abcdef0123456789abcdef01234567",
    private_key: pem,
    client_email: "bot@test-project.iam.gserviceaccount.com",
    client_id: "112233445566778899001",
    token_uri: "https://oauth2.googleapis.com/token",
    ...extra,
  };
}

/** Every 16-character run of the base64 body of a PEM: none may appear in a message. */
export function keyChunks(pem: string): string[] {
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\\n|\s/g, "");
  const chunks: string[] = [];
  for (let i = 0; i + 16 <= body.length; i += 8) chunks.push(body.slice(i, i + 16));
  return chunks;
}

export const hasOpenssl: boolean = spawnSync("openssl", ["version"]).status === 0;

/**
 * OpenSSL 3's default PKCS#12 (PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, SHA-256 MAC), from a PEM key.
 * `mode` "nokey" exports only a certificate.
 */
export function opensslP12(
  pem: string,
  password: string,
  mode: "key+cert" | "key" | "nokey" = "key+cert",
): Uint8Array {
  const dir = tempDir();
  const keyFile = join(dir, "k.pem");
  const certFile = join(dir, "c.pem");
  const out = join(dir, "k.p12");
  writeFileSync(keyFile, pem);
  const run = (args: string[]): void => {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  run([
    "req",
    "-new",
    "-x509",
    "-key",
    keyFile,
    "-out",
    certFile,
    "-days",
    "1",
    "-subj",
    "/CN=dwd-test",
  ]);
  const common = ["pkcs12", "-export", "-out", out, "-passout", `pass:${password}`];
  if (mode === "key+cert")
    run([...common, "-inkey", keyFile, "-in", certFile, "-name", "privatekey"]);
  if (mode === "key") run([...common, "-inkey", keyFile, "-nocerts"]);
  if (mode === "nokey") run([...common, "-in", certFile, "-nokeys"]);
  return new Uint8Array(readFileSync(out));
}

/** Describes a p12's MAC and encryption with `openssl pkcs12 -info` (for asserting which variant was tested). */
export function opensslP12Info(bytes: Uint8Array, password: string): string {
  const dir = tempDir();
  const file = join(dir, "x.p12");
  writeFileSync(file, bytes);
  const r = spawnSync(
    "openssl",
    ["pkcs12", "-info", "-in", file, "-passin", `pass:${password}`, "-noout"],
    { encoding: "utf8" },
  );
  return `${r.stdout}${r.stderr}`;
}

/** node-forge fallback when openssl is missing: PBES2/AES-256 bags (forge's MAC is SHA-1). */
async function forgeP12(
  pem: string,
  password: string,
  mode: "key+cert" | "key" | "nokey",
): Promise<Uint8Array> {
  const { default: forge } = await import("node-forge");
  const key = forge.pki.privateKeyFromPem(pem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: "commonName", value: "dwd-test" }]);
  cert.setIssuer([{ name: "commonName", value: "dwd-test" }]);
  cert.sign(key, forge.md.sha256.create());
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    mode === "nokey" ? null : key,
    (mode === "key" ? null : [cert]) as unknown as (typeof cert)[],
    password,
    {
      algorithm: "aes256",
      friendlyName: "privatekey",
    },
  );
  const der = forge.asn1.toDer(asn1).getBytes();
  return Uint8Array.from(der, (c) => c.charCodeAt(0));
}

/** A modern (AES-256/PBKDF2) .p12 built at test time: openssl when available, else node-forge. */
export async function modernP12(
  pem: string,
  password: string,
  mode: "key+cert" | "key" | "nokey" = "key+cert",
): Promise<Uint8Array> {
  return hasOpenssl ? opensslP12(pem, password, mode) : forgeP12(pem, password, mode);
}

/**
 * A gzip bomb: `decodedBytes` of zeros, gzipped (1 GiB → about 4.7 MB at level 1, made in under a
 * second without holding the decoded bytes).
 */
export async function gzipBomb(decodedBytes: number = 1024 * 1024 * 1024): Promise<Buffer> {
  const gzip = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => out.push(chunk));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = decodedBytes; left > 0; left -= zeros.length) {
    const piece = left >= zeros.length ? zeros : zeros.subarray(0, left);
    if (!gzip.write(piece)) await new Promise((resolve) => gzip.once("drain", resolve));
  }
  const ended = new Promise((resolve) => gzip.once("end", resolve));
  gzip.end();
  await ended;
  return Buffer.concat(out);
}

/** A real HTTP server on a free loopback port, with its URL and the requests it received. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; received: string[]; close: () => Promise<void> }> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
