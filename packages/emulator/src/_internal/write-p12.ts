import type { KeyRecord, ServiceAccountRecord } from "./service-account.ts";

function toBinaryString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return s;
}

function fromBinaryString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The `i`-th child of a constructed ASN.1 node (throws on a shape node-forge did not produce). */
function child<T extends { value: string | T[] }>(node: T, i: number): T {
  const found = typeof node.value === "string" ? undefined : node.value[i];
  if (found === undefined) throw new Error(`Cannot write the PKCS#12: ASN.1 child ${i} missing`);
  return found;
}

/**
 * Writes a legacy PKCS#12 laid out as Google's: the key bag encrypted with pbeWithSHAAnd3-KeyTripleDES-CBC
 * and friendly name `privatekey`, a self-signed certificate bag encrypted with pbeWithSHAAnd40BitRC2-CBC,
 * and a SHA-1 MAC. node-forge writes the 3DES key bag but leaves certificates in plain data, so this
 * re-wraps the certificate SafeContents as EncryptedData (RC2-40) and computes the MAC afterwards.
 * node-forge is loaded here, lazily, so nothing else in the emulator pays for it.
 */
export async function writeP12(
  account: ServiceAccountRecord,
  key: KeyRecord,
  password: string,
  nowMs: number,
): Promise<Uint8Array> {
  const { default: forge } = await import("node-forge");
  const { asn1, pki, util } = forge;
  type Asn1 = ReturnType<typeof asn1.fromDer>;
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key.privateKey));
  const privateKey = pki.privateKeyFromAsn1(asn1.fromDer(toBinaryString(der)));
  const cert = pki.createCertificate();
  cert.publicKey = pki.setRsaPublicKey(privateKey.n, privateKey.e);
  cert.serialNumber = `00${key.keyId.slice(0, 30)}`;
  cert.validity.notBefore = new Date(nowMs - 60_000);
  cert.validity.notAfter = new Date(nowMs + 10 * 365 * 24 * 3600 * 1000);
  const name = [{ name: "commonName", value: account.clientId }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(privateKey, forge.md.sha256.create());
  const count = 2048;
  const pfx = forge.pkcs12.toPkcs12Asn1(privateKey, cert, password, {
    algorithm: "3des",
    friendlyName: "privatekey",
    generateLocalKeyId: true,
    count,
    useMac: false,
  });

  const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
  const seq = (items: Asn1[]) => asn1.create(UNIVERSAL, asn1.Type.SEQUENCE, true, items);
  const oid = (id: string) =>
    asn1.create(UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
  const octets = (bytes: string) => asn1.create(UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
  const integer = (n: number) =>
    asn1.create(UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(n).getBytes());
  const pkcs12Key = (salt: string, id: 1 | 2 | 3, n: number) =>
    forge.pkcs12.generateKey(password, util.createBuffer(salt), id, count, n);

  // PFX.authSafe (ContentInfo data) → [0] → OCTET STRING holding the AuthenticatedSafe; its first item is the certificates.
  const authSafeOctets = child(child(child(pfx, 1), 1), 0);
  const authSafe = asn1.fromDer(authSafeOctets.value as string);
  const certSafeContents = child(child(child(authSafe, 0), 1), 0).value as string;
  const salt = forge.random.getBytesSync(8);
  const rc2 = forge.rc2.createEncryptionCipher(pkcs12Key(salt, 1, 5), 40);
  rc2.start(pkcs12Key(salt, 2, 8));
  rc2.update(util.createBuffer(certSafeContents));
  rc2.finish();
  const rc2Algorithm = seq([oid("1.2.840.113549.1.12.1.6"), seq([octets(salt), integer(count)])]); // pbeWithSHAAnd40BitRC2-CBC
  const encryptedContent = asn1.create(CONTEXT_SPECIFIC, 0, false, rc2.output.getBytes());
  const encryptedData = seq([
    integer(0),
    seq([oid(pki.oids["data"] ?? ""), rc2Algorithm, encryptedContent]),
  ]);
  (authSafe.value as Asn1[])[0] = seq([
    oid(pki.oids["encryptedData"] ?? ""),
    asn1.create(CONTEXT_SPECIFIC, 0, true, [encryptedData]),
  ]);
  const authSafeDer = asn1.toDer(authSafe).getBytes();
  authSafeOctets.value = authSafeDer;

  // MacData: HMAC-SHA-1 over the AuthenticatedSafe, keyed from the password (PKCS#12 key ID 3).
  const macSalt = forge.random.getBytesSync(8);
  const hmac = forge.hmac.create();
  hmac.start("sha1", pkcs12Key(macSalt, 3, 20));
  hmac.update(authSafeDer);
  const digestInfo = seq([
    seq([oid(pki.oids["sha1"] ?? ""), asn1.create(UNIVERSAL, asn1.Type.NULL, false, "")]),
    octets(hmac.digest().getBytes()),
  ]);
  (pfx.value as Asn1[]).push(seq([digestInfo, octets(macSalt), integer(count)]));
  return fromBinaryString(asn1.toDer(pfx).getBytes());
}
