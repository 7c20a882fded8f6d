// base64url as JWTs carry it (RFC 4648 §5, no padding), checked against Node's own encoder on bytes of
// every length around the 3-byte groups and the 32 KB chunks, and on UTF-8 text; and back again.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64Decode, base64UrlEncode } from "../src/_internal/base64.ts";

describe("base64UrlEncode()", () => {
  it("encodes bytes as Node's base64url does, and base64Decode reads them back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const encoded = base64UrlEncode(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString("base64url"));
        expect(base64Decode(encoded)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it("encodes UTF-8 text and long inputs (past one 32 KB chunk)", () => {
    for (const text of ["", "a", "ab", "abc", '{"alg":"RS256","typ":"JWT"}', "sübject→✓"])
      expect(base64UrlEncode(text)).toBe(Buffer.from(text, "utf8").toString("base64url"));
    const long = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 7919) & 255);
    expect(base64UrlEncode(long)).toBe(Buffer.from(long).toString("base64url"));
  });
});
