// Registered secrets at scale: a server registers every token it hands out (up to 10,000), and
// redactSecrets() finds them through an index by length and rolling hash instead of asking each one.
// The answer must be the same as asking each one, oldest first: checked against that reference on
// texts over a small alphabet (so windows collide often and secrets overlap), where no built-in
// pattern applies. Module state is per test file, so this file sees only the secrets it registers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactSecrets, registerSecret } from "../src/index.ts";

const LIMIT = 10_000;
/** What the registry holds, oldest first (re-registering moves a secret to the back). */
const mirror = new Map<string, true>();
function register(secret: string): void {
  registerSecret(secret);
  if (secret.length < 8) return;
  mirror.delete(secret);
  if (mirror.size >= LIMIT) mirror.delete(mirror.keys().next().value!);
  mirror.set(secret, true);
}
/** The reference: every registered secret asked in turn, oldest first. */
function reference(text: string): string {
  let out = text;
  for (const secret of mirror.keys())
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  return out;
}

// Deterministic pseudo-random secrets over "xyz01" (no letter of "[redacted]", no upper case, so no
// built-in pattern matches and a replacement cannot create a secret).
let seed = 7;
const rand = (n: number): number => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) & 0x7fffffff;
  return seed % n;
};
const word = (length: number): string => Array.from({ length }, () => "xyz01"[rand(5)]).join("");

describe("redactSecrets with thousands of registered secrets", () => {
  const secrets = Array.from({ length: 3000 }, () => word(8 + rand(6)));
  for (const s of secrets) register(s);
  // Secrets inside secrets: a prefix, a suffix and a middle of some, registered after them.
  for (const s of secrets.slice(0, 50)) {
    register(`${s}0x1y`);
    register(`zz${s}`);
  }

  it("redacts each registered secret wherever it stands, like asking each in turn", () => {
    const text = `${secrets[0]}-${secrets[1]}${secrets[2]} and ${secrets[2999]}.${secrets[10]}0x1y|zz${secrets[11]}`;
    const out = redactSecrets(text);
    expect(out).toBe(reference(text));
    expect(out).not.toContain(secrets[0]);
    expect(out).not.toContain(secrets[2999]);
    expect(out).toContain("-[redacted]");
  });

  it("leaves text without a registered secret unchanged", () => {
    const text = "caller booking-app asked for info@example.com: ok";
    expect(redactSecrets(text)).toBe(text);
  });

  it("matches the reference on random texts made of secrets and filler", () => {
    const pick = fc.nat({ max: secrets.length - 1 }).map((i) => secrets[i]!);
    const filler = fc.string({
      unit: fc.constantFrom("x", "y", "z", "0", "1", " "),
      maxLength: 12,
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(pick, filler), { maxLength: 12 }), (parts) => {
        const text = parts.join("");
        expect(redactSecrets(text)).toBe(reference(text));
      }),
      { numRuns: 300 },
    );
  });

  it("forgets the oldest past 10,000, and a re-registered secret is redacted again", () => {
    const first = secrets[0]!;
    const extra = LIMIT - mirror.size + 1; // one more than room: the oldest (secrets[0]) goes
    for (let i = 0; i < extra; i++) register(`forgotten-test-${i.toString().padStart(6, "0")}`);
    expect(mirror.has(first)).toBe(false);
    expect(redactSecrets(`a ${first} b`)).toBe(`a ${first} b`);
    expect(redactSecrets("forgotten-test-000003")).toBe("[redacted]");
    register(first);
    expect(redactSecrets(`a ${first} b`)).toBe("a [redacted] b");
    // Forgetting one secret leaves every other one found.
    for (const secret of mirror.keys()) {
      const out = redactSecrets(`<${secret}>`);
      expect(out).toBe(reference(`<${secret}>`));
      expect(out).toContain("[redacted]");
    }
    const text = `${secrets[5]} ${secrets[6]}0x1y`;
    expect(redactSecrets(text)).toBe(reference(text));
  });
});
