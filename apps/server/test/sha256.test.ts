// The synchronous SHA-256 that finds a request's caller (node:crypto) must agree with WebCrypto's on every input:
// the FIPS 180-4 examples, every length around the block boundaries, and random text and bytes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Sync } from "../src/_internal/sha256.ts";

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const webCrypto = async (data: Uint8Array | string): Promise<string> =>
  hex(
    new Uint8Array(
      await crypto.subtle.digest(
        "SHA-256",
        typeof data === "string"
          ? new TextEncoder().encode(data)
          : (data as Uint8Array<ArrayBuffer>),
      ),
    ),
  );

describe("sha256Sync", () => {
  it("answers the FIPS 180-4 examples", () => {
    expect(hex(sha256Sync(""))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(hex(sha256Sync("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(hex(sha256Sync("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("agrees with WebCrypto at every length from 0 to 300 bytes (the padding's block boundaries)", async () => {
    for (let n = 0; n <= 300; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 255);
      expect(hex(sha256Sync(data)), `length ${n}`).toBe(await webCrypto(data));
    }
  });

  it("agrees with WebCrypto on random text (UTF-8) and bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: "binary", maxLength: 400 }), fc.uint8Array({ maxLength: 400 })),
        async (input) => {
          expect(hex(sha256Sync(input))).toBe(await webCrypto(input));
        },
      ),
      { numRuns: 300 },
    );
  });
});
