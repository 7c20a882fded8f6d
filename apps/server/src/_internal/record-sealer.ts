/**
 * Names and seals records that dwd-server keeps in Redis besides tokens (idempotency records): names
 * are HMAC-SHA-256 and values AES-256-GCM under keys derived from the cache key, so Redis holds neither
 * a caller, a path, a key nor an event in clear. Synchronous (`node:crypto`, on Node and Deno alike).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

/** Names and seals records under the cache key. */
export interface RecordSealer {
  /** 43 base64url characters naming `id`. */
  name(id: string): string;
  /** `iv.ciphertext.tag` (base64url), bound to `name`. */
  seal(name: string, plain: string): string;
  /** The plain text, or undefined when the value was not sealed under this key for `name`. */
  open(name: string, sealed: string): string | undefined;
}

/**
 * A namer of store keys for one purpose (rate budgets, idempotency records).
 *
 * @param cacheKey the cache key (DWD_CACHE_KEY, base64)
 * @param purpose what the names are for; each purpose gets its own key
 * @returns the store name of an ID
 * @example
 * ```ts
 * const name = keyNamer(process.env.DWD_CACHE_KEY!, "rate names");
 * name("subject:ana@example.com"); // 43 base64url characters
 * ```
 */
export function keyNamer(cacheKey: string, purpose: string): (id: string) => string {
  const key = subkey(cacheKey, `${purpose} v2`);
  return (id) => createHmac("sha256", key).update(id).digest("base64url");
}

function subkey(cacheKey: string, label: string): Buffer {
  return createHmac("sha256", Buffer.from(cacheKey.trim(), "base64"))
    .update(`dwd ${label}`)
    .digest();
}

/**
 * The sealer of idempotency records.
 *
 * @param cacheKey the cache key (DWD_CACHE_KEY, base64)
 * @returns the sealer
 * @example
 * ```ts
 * const sealer = recordSealer(process.env.DWD_CACHE_KEY!);
 * const name = sealer.name("booking-app\nevents.insert\n/v1/…\norder-42");
 * sealer.open(name, sealer.seal(name, "{}")); // "{}"
 * ```
 */
export function recordSealer(cacheKey: string): RecordSealer {
  const sealKey = subkey(cacheKey, "idempotency seal v1");
  return {
    name: keyNamer(cacheKey, "idempotency names"),
    seal(name, plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", sealKey, iv);
      cipher.setAAD(Buffer.from(name));
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return `${iv.toString("base64url")}.${body.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}`;
    },
    open(name, sealed) {
      const [iv, body, tag] = sealed.split(".");
      if (iv === undefined || body === undefined || tag === undefined) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", sealKey, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(name));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([
          decipher.update(Buffer.from(body, "base64url")),
          decipher.final(),
        ]).toString("utf8");
      } catch {
        return undefined;
      }
    },
  };
}
