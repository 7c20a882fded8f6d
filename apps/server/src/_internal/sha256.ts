/**
 * SHA-256, synchronous. Every request hashes its bearer token to find its caller; WebCrypto's `digest`
 * is asynchronous and goes through a thread pool, which for a 20-byte token costs far more than the
 * hash itself (~50 µs against a few). `node:crypto`'s hash is synchronous and is there on Node and on
 * Deno (and Bun) alike, so the server keeps one source for every runtime.
 *
 * @module
 */
import { createHash } from "node:crypto";

/**
 * The SHA-256 digest of `input` (a string is hashed as UTF-8).
 *
 * @param input bytes or text
 * @returns 32 bytes
 * @example
 * ```ts
 * sha256Sync("abc"); // ba7816bf 8f01cfea …
 * ```
 */
export function sha256Sync(input: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(input).digest());
}
