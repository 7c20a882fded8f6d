// redactSecrets() on hostile text: a 12 MB event summary reached it through the CLI and overflowed the
// stack (exit 70). Every step must be linear and use no stack that grows with the text; and the scanners
// that replaced the backtracking patterns must find exactly what those patterns found.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REDACTED, redactSecrets } from "../src/index.ts";

// The patterns as they were before the scanners: the reference for texts small enough for them.
const reference: readonly (readonly [RegExp, string])[] = [
  [
    /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?=\\n|\s|[A-Za-z0-9+/=])[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    `${REDACTED} private key`,
  ],
  [
    /-----BEGIN[^\n-]*-----(?=\\n|\s|[A-Za-z0-9+/=])[\s\S]*?(?:-----END[^\n-]*-----|$)/g,
    `${REDACTED} PEM block`,
  ],
  [/(?:[A-Za-z0-9+/=]{40,}(?:\r?\n|(?:\\r)?\\n)){2,}[A-Za-z0-9+/=]*/g, REDACTED],
  [
    /("(?:private_key|access_token|refresh_token|id_token|assertion|client_secret|signedJwt|token)"\s*:\s*")((?:[^"\\]|\\.)+)/g,
    `$1${REDACTED}`,
  ],
  [
    /(^|[?&;\s])((?:access_token|refresh_token|id_token|assertion|client_secret|token)=)([^&\s"']+)/g,
    `$1$2${REDACTED}`,
  ],
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1$2${REDACTED}`],
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g, REDACTED],
  [/ya29\.[A-Za-z0-9._-]+/g, REDACTED],
  [/(^|[^A-Za-z0-9])1\/\/[A-Za-z0-9._-]{16,}/g, `$1${REDACTED}`],
];
function referenceRedact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of reference) out = out.replace(pattern, replacement);
  return out.replace(/[A-Za-z0-9+/_-]{100,}={0,2}/g, (run) => {
    const slashes = run.split("/").length - 1;
    return /[a-z]/.test(run) && /[A-Z]/.test(run) && slashes * 32 <= run.length ? REDACTED : run;
  });
}

const line40 = "QUJDa2V5MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u"; // 40 characters
const fragments = [
  "eyJ",
  "eyJhbGci",
  ".",
  "A",
  "b",
  "9",
  "_",
  "-",
  "/",
  "=",
  " ",
  "\n",
  "\r\n",
  "\\n",
  "\\r\\n",
  "\\",
  '"',
  '"token":"',
  '"private_key" : "',
  "token=",
  "&",
  "Bearer ",
  "ya29.",
  "1//",
  "abcdefghijklmnop",
  line40,
  "-----BEGIN PRIVATE KEY-----",
  "-----END PRIVATE KEY-----",
  "-----BEGIN CERTIFICATE-----",
  "x".repeat(60),
];

describe("redactSecrets() finds what the backtracking patterns found", () => {
  it("agrees with the reference patterns on random texts made of secret shapes", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }), (parts) => {
        const text = parts.join("");
        expect(redactSecrets(text)).toBe(referenceRedact(text));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("redactSecrets() on 12 MB of hostile text", () => {
  const n = 12_000_000;
  const mixed = "Ab".repeat(n / 2);
  const cases: { name: string; text: string; expected: (out: string) => void }[] = [
    {
      name: "one mixed-case base64 run (a 12 MB event summary)",
      text: mixed,
      expected: (out) => expect(out).toBe(REDACTED),
    },
    {
      name: "one single-case run (not key material) comes back unchanged",
      text: "A".repeat(n),
      expected: (out) => expect(out.length).toBe(n),
    },
    {
      name: "base64 lines",
      text: `${line40}Ab\n`.repeat(n / 43),
      expected: (out) => expect(out).toBe(REDACTED),
    },
    {
      name: "JSON-escaped base64 lines",
      text: `${line40}\\r\\n`.repeat(n / 44),
      expected: (out) => expect(out).toBe(REDACTED),
    },
    {
      name: "a run then one line break",
      text: `${mixed.slice(0, n - 1)}\n`,
      expected: (out) => expect(out).toBe(`${REDACTED}\n`),
    },
    {
      name: "a JSON token field",
      text: `{"token":"${'a\\"'.repeat(n / 3)}"}`,
      expected: (out) => expect(out).toBe(`{"token":"${REDACTED}"}`),
    },
    {
      name: "a bearer header",
      text: `Bearer ${"a".repeat(n)}`,
      expected: (out) => expect(out).toBe(`Bearer ${REDACTED}`),
    },
    {
      name: "a JWT",
      text: `eyJ${"a".repeat(n)}.b.c`,
      expected: (out) => expect(out).toBe(REDACTED),
    },
    {
      name: "eyJ repeated without a dot",
      text: "eyJa".repeat(n / 4),
      expected: (out) => expect(out).toBe(REDACTED),
    },
    {
      name: "a refresh token",
      text: `1//${"a".repeat(n)}`,
      expected: (out) => expect(out).toBe(REDACTED),
    },
    {
      name: "many runs of 99 characters (one short of a secret), unchanged",
      text: `${"Ab".repeat(50).slice(1)} `.repeat(n / 100),
      expected: (out) => expect(out.length).toBe(n),
    },
    {
      name: "white space after a label",
      text: `-----BEGIN${" ".repeat(n)}`,
      expected: (out) => expect(out.length).toBe(n + 10),
    },
  ];
  for (const c of cases) {
    it(`returns for ${c.name}`, () => {
      c.expected(redactSecrets(c.text));
    });
  }
});
