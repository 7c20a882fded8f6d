import type { KeyRecord, ServiceAccountRecord } from "./service-account.ts";

function toBinaryString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

function fromBinaryString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Writes a legacy Google-style PKCS#12: the key bag encrypted with pbeWithSHAAnd3-KeyTripleDES-CBC,
 * friendly name `privatekey`, a self-signed certificate bag and a SHA-1 MAC. node-forge is loaded
 * here, lazily, so nothing else in the emulator pays for it.
 */
export async function writeP12(account: ServiceAccountRecord, key: KeyRecord, password: string, nowMs: number): Promise<Uint8Array> {
  const { default: forge } = await import("node-forge");
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key.privateKey));
  const privateKey = forge.pki.privateKeyFromAsn1(forge.asn1.fromDer(toBinaryString(der)));
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  cert.serialNumber = `00${key.keyId.slice(0, 30)}`;
  cert.validity.notBefore = new Date(nowMs - 60_000);
  cert.validity.notAfter = new Date(nowMs + 10 * 365 * 24 * 3600 * 1000);
  const name = [{ name: "commonName", value: account.clientId }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(privateKey, forge.md.sha256.create());
  const p12 = forge.pkcs12.toPkcs12Asn1(privateKey, cert, password, {
    algorithm: "3des",
    friendlyName: "privatekey",
    generateLocalKeyId: true,
    count: 2048,
  });
  return fromBinaryString(forge.asn1.toDer(p12).getBytes());
}
