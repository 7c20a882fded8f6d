/** Base64 and base64url helpers on Uint8Array (no Buffer: Web-standard core). */

const chunk = 0x8000;

/** Encodes bytes as standard base64 (with padding). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** Encodes bytes as base64url without padding (JWS segments, opaque tokens). */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Encodes a UTF-8 string as base64url without padding. */
export function stringToBase64Url(text: string): string {
  // ASCII text is its own UTF-8 binary string; anything wider is encoded first.
  if (!ascii.test(text)) return toBase64Url(new TextEncoder().encode(text));
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// eslint-disable-next-line no-control-regex -- the whole ASCII range, on purpose
const ascii = /^[\x00-\x7f]*$/;

/**
 * Decodes unpadded base64url. Returns `undefined` (never throws) for anything that is not
 * strict base64url, so forged or garbled input is answered, not crashed on.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const padded =
    text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice(0, (4 - (text.length % 4)) % 4);
  try {
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

/** Decodes base64url to a UTF-8 string, or `undefined` if either step fails. */
export function base64UrlToString(text: string): string | undefined {
  const bytes = fromBase64Url(text);
  if (bytes === undefined) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Random bytes from the Web Crypto CSPRNG. */
export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}
