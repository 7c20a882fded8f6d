// Base64 / base64url, Web-standard (no Buffer): a table to encode, atob to decode.

const base64UrlCodes = Uint8Array.from(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
  (c) => c.charCodeAt(0),
);
const utf8 = new TextEncoder();

/**
 * Encodes bytes (or UTF-8 text) as base64url without padding. Three bytes at a time through a table, not
 * through btoa and three replacements: a cold run signs an assertion per user (three encodings each).
 */
export function base64UrlEncode(input: Uint8Array | string): string {
  const bytes = typeof input === "string" ? utf8.encode(input) : input;
  const out = new Uint8Array(Math.ceil((bytes.length * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = base64UrlCodes[n >> 18]!;
    out[o++] = base64UrlCodes[(n >> 12) & 63]!;
    out[o++] = base64UrlCodes[(n >> 6) & 63]!;
    out[o++] = base64UrlCodes[n & 63]!;
  }
  if (i < bytes.length) {
    const two = i + 1 < bytes.length;
    const n = (bytes[i]! << 16) | ((two ? bytes[i + 1]! : 0) << 8);
    out[o++] = base64UrlCodes[n >> 18]!;
    out[o++] = base64UrlCodes[(n >> 12) & 63]!;
    if (two) out[o++] = base64UrlCodes[(n >> 6) & 63]!;
  }
  let text = "";
  for (let k = 0; k < o; k += 0x8000)
    text += String.fromCharCode(...out.subarray(k, Math.min(o, k + 0x8000)));
  return text;
}

/** Decodes base64 (or base64url); returns undefined when the text is not base64. */
export function base64Decode(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, "").replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  const padded = clean.replace(/=+$/, "");
  if (padded.length % 4 === 1) return undefined;
  try {
    const binary = atob(padded + "=".repeat((4 - (padded.length % 4)) % 4));
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}
