// The few DER operations a key loader needs: read a TLV, wrap PKCS#1 in PKCS#8, name a key's algorithm.

export interface Tlv {
  tag: number;
  /** offset of the value */
  start: number;
  /** offset just past the value */
  end: number;
  /** declared length (may exceed the buffer when truncated) */
  length: number;
}

/** Reads one DER TLV at `offset`; undefined when the header is malformed. Does not check the length fits. */
export function readTlv(bytes: Uint8Array, offset: number): Tlv | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4 || start + n > bytes.length) return undefined;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[start + i]!;
    start += n;
  }
  return { tag, start, end: start + length, length };
}

function encodeLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return [0x80 | out.length, ...out];
}

function tlv(tag: number, value: Uint8Array): Uint8Array {
  const header = [tag, ...encodeLength(value.length)];
  const out = new Uint8Array(header.length + value.length);
  out.set(header, 0);
  out.set(value, header.length);
  return out;
}

// AlgorithmIdentifier { rsaEncryption, NULL }
const RSA_ALGORITHM = new Uint8Array([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);

/** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (WebCrypto imports only PKCS#8). */
export function pkcs1ToPkcs8(pkcs1: Uint8Array): Uint8Array {
  const version = new Uint8Array([0x02, 0x01, 0x00]);
  const octets = tlv(0x04, pkcs1);
  const body = new Uint8Array(version.length + RSA_ALGORITHM.length + octets.length);
  body.set(version, 0);
  body.set(RSA_ALGORITHM, version.length);
  body.set(octets, version.length + RSA_ALGORITHM.length);
  return tlv(0x30, body);
}

const OIDS: Record<string, string> = {
  "1.2.840.113549.1.1.1": "rsa",
  "1.2.840.10045.2.1": "ec",
  "1.3.101.112": "ed25519",
  "1.3.101.113": "ed448",
  "1.2.840.10040.4.1": "dsa",
  "1.2.840.113549.1.1.10": "rsa-pss",
};

function decodeOid(bytes: Uint8Array): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0)
        parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/**
 * Names the algorithm of a PKCS#8 PrivateKeyInfo ("rsa", "ec", …, or the dotted OID);
 * undefined when the bytes are not a PrivateKeyInfo.
 */
export function pkcs8Algorithm(der: Uint8Array): string | undefined {
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== 0x30 || outer.end > der.length) return undefined;
  const version = readTlv(der, outer.start);
  if (!version || version.tag !== 0x02 || version.end > outer.end) return undefined;
  const algorithm = readTlv(der, version.end);
  if (!algorithm || algorithm.tag !== 0x30 || algorithm.end > outer.end) return undefined;
  const oid = readTlv(der, algorithm.start);
  if (!oid || oid.tag !== 0x06 || oid.end > algorithm.end) return undefined;
  const dotted = decodeOid(der.subarray(oid.start, oid.end));
  return OIDS[dotted] ?? dotted;
}

/** True when the bytes look like one complete DER SEQUENCE (PKCS#1 RSAPrivateKey, PKCS#12 PFX, …). */
export function isDerSequence(der: Uint8Array): boolean {
  const outer = readTlv(der, 0);
  return outer !== undefined && outer.tag === 0x30 && outer.end === der.length;
}

/** True when the bytes start like a DER SEQUENCE header, i.e. could be a PKCS#12 PFX. */
export function looksLikeDer(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 2 &&
    bytes[0] === 0x30 &&
    (bytes[1]! < 0x80 || (bytes[1]! >= 0x81 && bytes[1]! <= 0x84))
  );
}
