import { describe, expect, it } from "vitest";
import type { TokenRecord } from "../src/_internal/store.ts";
import { TokenExpiry } from "../src/_internal/token-expiry.ts";

const record = (expiresAt: number): TokenRecord => ({
  accountEmail: "a@x",
  clientId: "1",
  subject: null,
  scopes: [],
  expiresAt,
});

/** A token map that fails the test if anything walks it: pruning must only look up the queue's head. */
class UnscannableMap extends Map<string, TokenRecord> {
  override [Symbol.iterator](): MapIterator<[string, TokenRecord]> {
    throw new Error("the token map was scanned");
  }
  override entries(): MapIterator<[string, TokenRecord]> {
    throw new Error("the token map was scanned");
  }
  override keys(): MapIterator<string> {
    throw new Error("the token map was scanned");
  }
  override values(): MapIterator<TokenRecord> {
    throw new Error("the token map was scanned");
  }
  override forEach(): void {
    throw new Error("the token map was scanned");
  }
}

describe("TokenExpiry", () => {
  it("drops expired tokens oldest first without walking the map, and keeps the live ones", () => {
    const tokens = new UnscannableMap();
    const expiry = new TokenExpiry();
    for (let i = 0; i < 100_000; i++) {
      tokens.set(`t${i}`, record(1000 + i));
      expiry.add(`t${i}`, 1000 + i);
    }
    expiry.prune(tokens, 999); // nothing has expired: only the head is looked at
    expect([tokens.size, expiry.size]).toEqual([100_000, 100_000]);
    expiry.prune(tokens, 1000 + 59_999);
    expect([tokens.size, expiry.size]).toEqual([40_000, 40_000]);
    expect([tokens.has("t59999"), tokens.has("t60000")]).toEqual([false, true]);
    expiry.prune(tokens, 10_000_000);
    expect([tokens.size, expiry.size]).toEqual([0, 0]);
  });

  it("tolerates tokens already gone (revoked) and forgets everything on clear()", () => {
    const tokens = new Map<string, TokenRecord>();
    const expiry = new TokenExpiry();
    expiry.add("gone", 5);
    tokens.set("kept", record(50));
    expiry.add("kept", 50);
    expiry.prune(tokens, 10);
    expect([...tokens.keys()]).toEqual(["kept"]);
    expiry.clear();
    expect(expiry.size).toBe(0);
  });
});
