/**
 * The keys of a shared token cache, all derived (HKDF-SHA-256) from one high-entropy cache key: an
 * AES-256-GCM key that seals entries, an HMAC key that names them (so a store's key names tell nothing
 * about subjects or scopes), and a key ID (64 bits, one-way) recorded in each entry — never the key.
 */

const encoder = new TextEncoder();

/** One cache key's derived keys. */
export interface CacheKeys {
  /** 16 hex digits naming the key (derived one-way: it reveals nothing of the key). */
  id: string;
  seal: CryptoKey;
  name: CryptoKey;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  const std = t.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (std.length % 4 === 1) return undefined;
  try {
    const raw = atob(std + "===".slice(0, (4 - (std.length % 4)) % 4));
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with a cache key, or undefined when it is usable: it must be base64 (standard or
 * URL-safe) of at least 32 bytes, and look random (at least 16 distinct characters).
 *
 * @param secret the key as configured
 * @returns the problem, in words that follow "the cache key …"
 */
export function cacheKeyProblem(secret: unknown): string | undefined {
  if (typeof secret !== "string" || secret.trim() === "") return "is empty";
  const bytes = decodeBase64(secret);
  if (bytes === undefined) return `is not base64 (${secret.length} characters)`;
  if (bytes.length < 32) return `holds ${bytes.length} bytes, fewer than 32`;
  if (new Set(secret.trim()).size < 16) return "repeats too few characters to be random";
  return undefined;
}

/**
 * Derives the keys of `secret` (which {@link cacheKeyProblem} accepts).
 *
 * @param secret the cache key
 * @returns its sealing key, naming key and key ID
 */
export async function deriveCacheKeys(secret: string): Promise<CacheKeys> {
  const base = await crypto.subtle.importKey("raw", decodeBase64(secret)!, "HKDF", false, [
    "deriveKey",
    "deriveBits",
  ]);
  const hkdf = (info: string): HkdfParams => ({
    name: "HKDF",
    hash: "SHA-256",
    salt: encoder.encode("dwd shared token cache"),
    info: encoder.encode(info),
  });
  const [seal, name, idBits] = await Promise.all([
    crypto.subtle.deriveKey(hkdf("seal v2"), base, { name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]),
    crypto.subtle.deriveKey(
      hkdf("names v2"),
      base,
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign"],
    ),
    crypto.subtle.deriveBits(hkdf("key id v2"), base, 64),
  ]);
  const id = Array.from(new Uint8Array(idBits), (b) => b.toString(16).padStart(2, "0")).join("");
  return { id, seal, name };
}

/**
 * The store key name of `id` under `keys`: base64url of HMAC-SHA-256.
 *
 * @param keys the cache keys
 * @param id what is named (subject and scopes)
 * @returns 43 characters
 */
export async function keyName(keys: CacheKeys, id: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", keys.name, encoder.encode(id)));
  let text = "";
  for (const b of mac) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
