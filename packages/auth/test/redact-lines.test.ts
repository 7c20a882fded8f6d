// redactLines(): each line of a long text redacted as redactSecrets() redacts it, while blocks of lines
// that can hold no secret are passed through unread. It must agree with redactSecrets() line by line on
// any text, whichever block a secret falls in, registered secrets included (also ones registered after
// an earlier call). Module state is per test file, so this file sees only the secrets it registers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REDACTED, redactLines, redactSecrets, registerSecret } from "../src/index.ts";

const perLine = (text: string): string => text.split("\n").map(redactSecrets).join("\n");

const opaque = "opaque0Secret1Token2";
registerSecret(opaque);

const line40 = "QUJDa2V5MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u"; // 40 characters
// Pieces of secrets and of ordinary JSON lines; "\n" ends a line, so a secret may span lines too.
const fragments = [
  "\n",
  "\n",
  "\n",
  '  "summary": "Weekly sync",',
  '    "dateTime": "2026-04-08T10:00:00Z"',
  '  "htmlLink": "https://calendar.example/event?eid=abc",',
  " ".repeat(300),
  "eyJ",
  "eyJhbGci",
  ".",
  "A",
  "b",
  "=",
  " ",
  "\r",
  "\\n",
  "\\r\\n",
  '"',
  '"token":"',
  '"private_key" : "',
  "token=",
  "Bearer ",
  "basic ",
  "ya29.",
  "1//",
  "abcdefghijklmnop",
  line40,
  "Ab".repeat(60),
  "-----BEGIN PRIVATE KEY-----",
  "-----END PRIVATE KEY-----",
  opaque,
  opaque.slice(0, 12),
];

// Lines in which no step finds anything, and secrets (and shapes at a step's very edge) to put among them.
const plain = [
  "\n",
  "\n",
  '  "summary": "Weekly sync",',
  '    "dateTime": "2026-04-08T10:00:00Z"',
  '  "htmlLink": "https://calendar.example/event?eid=abc",',
  '  "description": "Tokens and keys: see the wiki (mostly).\\nBring slides",',
  `  "id": "${"Ab".repeat(49)}",`,
  `  "note": "${line40.slice(1)}\\n${line40}"`,
  " ".repeat(300),
];
const secretish = [
  "Basic abcdefgh12345678",
  "BEARER abcdefgh12345678",
  "token=abc123",
  "assertion=abc123",
  "client_secret=abc123",
  '"access_token": "abc123"',
  '"assertion":"abc123"',
  '"private_key": "abc"',
  '"client_secret":"abc"',
  '"signedJwt": "abc"',
  `${line40}\\n${line40}\\nAB`,
  `${line40}\\r\\n${line40}\\r\\nAB`,
  "Ab".repeat(50),
  "-----BEGIN RSA PRIVATE KEY-----\\nMIIB",
  "eyJhbGci.eyJzdWIi.sig",
  "ya29.abc",
  "x 1//0123456789abcdefXYZ",
  opaque,
];

describe("redactLines()", () => {
  it("finds each secret shape among lines that hold none, wherever it stands", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...plain), { minLength: 20, maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...secretish)), { minLength: 1, maxLength: 3 }),
        (lines, inserts) => {
          const parts = [...lines];
          for (const [at, secret] of inserts)
            parts.splice(at % (parts.length + 1), 0, ` ${secret} `);
          const text = parts.join("");
          expect(redactLines(text)).toBe(perLine(text));
          expect(redactLines(text)).not.toBe(text);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("passes lines that hold no secret through unchanged", () => {
    const text = plain.join("").repeat(50);
    expect(perLine(text)).toBe(text);
    expect(redactLines(text)).toBe(text);
  });

  it("agrees with redactSecrets() line by line on random texts of lines and secret shapes", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 80 }), (parts) => {
        const text = parts.join("");
        expect(redactLines(text)).toBe(perLine(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("finds one secret in a 3 MB JSON document of events, whichever line it is on, and changes nothing else", () => {
    const events = Array.from({ length: 4000 }, (_, i) => ({
      kind: "calendar#event",
      id: `event${i}`,
      summary: `Event ${i}`,
      description: "Agenda:\nslides\ttopics",
      htmlLink: `https://www.google.com/calendar/event?eid=ZXZlbnQ${i}`,
      start: { dateTime: "2026-04-08T10:00:00Z" },
      end: { dateTime: "2026-04-08T11:00:00Z" },
      attendees: [{ email: `user${i}@example.com`, responseStatus: "accepted" }],
    }));
    const clean = JSON.stringify(events, null, 2);
    expect(clean.length).toBeGreaterThan(1_000_000);
    expect(redactLines(clean)).toBe(clean);
    const secrets = [
      "ya29.a0AfB_byC0mpletelyMadeUpAccessToken0123",
      opaque,
      "Bearer sk-live-abcdefgh12345678",
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
      `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.${"s".repeat(20)}`,
    ];
    for (const [n, secret] of secrets.entries()) {
      const at = [0, 1234, 2000, 3999, 2718][n]!;
      const doc = JSON.stringify(
        events.map((e, i) => (i === at ? { ...e, description: `see ${secret} here` } : e)),
        null,
        2,
      );
      const out = redactLines(doc);
      expect(out).toBe(perLine(doc));
      expect(out).not.toContain(
        secret.split("\n")[0] === "-----BEGIN PRIVATE KEY-----" ? "MIIEvQ" : secret,
      );
      expect(out).toContain(REDACTED);
      // Every other line is as it was.
      const before = doc.split("\n");
      const after = out.split("\n");
      expect(after.length).toBe(before.length);
      expect(after.filter((line, i) => line !== before[i])).toHaveLength(1);
    }
  });

  it("finds a secret registered after an earlier call", () => {
    const later = "laterRegistered9Secret8";
    const text = `${"x".repeat(5000)}\n"note": "${later}"\n${"y".repeat(5000)}`;
    expect(redactLines(text)).toBe(text);
    registerSecret(later);
    expect(redactLines(text)).toBe(
      `${"x".repeat(5000)}\n"note": "${REDACTED}"\n${"y".repeat(5000)}`,
    );
  });

  it("redacts a long line without line breaks as one line", () => {
    const text = `${"word ".repeat(1000)}Bearer abcdefgh12345678 ${"word ".repeat(1000)}`;
    expect(redactLines(text)).toBe(redactSecrets(text));
    expect(redactLines(text)).toContain(`Bearer ${REDACTED}`);
  });
});
