/**
 * `redactSecrets()`: the one place dwd removes secrets from text before it is shown. Every error
 * message and hint of `@dwd/auth` passes through it, and the apps run every line they print through it,
 * so a private key, a signed assertion or an access token cannot reach a terminal, a log line or
 * `--json` output by any path — even when it arrives inside a file name, an environment variable or a
 * remote error body that echoes the request.
 *
 * @module
 */

/** What stands in for a removed secret. */
export const REDACTED = "[redacted]";

const hasPemArmour = (text: string): boolean => text.includes("-----BEGIN");

// Redaction sees any text, a 12 MB event summary included, so every step is linear in its length and
// needs no stack that grows with it. V8's regular expressions keep a backtracking entry per repetition
// of a counted quantifier (`{n,}`) or of a group, and overflow the stack on a long enough run; and a
// pattern that scans a long run and then fails starts again one character later: quadratic. So the
// patterns below repeat only one character class with `*` or `+`, after a literal, and the shapes that
// are runs (base64 lines, JSON string values, compact JWTs, long base64) are found by scanners.

/** One step of {@link redactSecrets}: it removes one shape of secret. */
interface Step {
  redact: (text: string) => string;
  /**
   * A cheap test that `text` holds what the step cannot match without: false means the step would leave
   * `text` as it is (most lines skip the steps that try every position).
   */
  guard: (text: string) => boolean;
  /**
   * For {@link redactLines}: a test that holds for a block of lines (joined by LF) whenever `guard` holds
   * for one of its lines, so a block for which no step's test holds is passed through unread. A pattern
   * (the patterns of all steps are tested as one, case-insensitive) or a function of the block.
   */
  block: RegExp | ((lines: string) => boolean);
}

// Order matters: whole PEM blocks and JSON fields go first, so the shorter shapes below do not leave half
// of one behind.
const steps: readonly Step[] = [
  // A PEM private key of any label (OpenSSH's too), with real or JSON-escaped newlines, complete or cut
  // off. A bare label that names the format (followed by a quote, say) is not a secret and stays.
  {
    redact: (text) =>
      text.replace(
        /-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?=\\n|\s|[A-Za-z0-9+/=])[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|$)/g,
        `${REDACTED} private key`,
      ),
    guard: hasPemArmour,
    block: /-----BEGIN/,
  },
  // Any other PEM block (a mislabelled or mangled key is still key material; a certificate costs nothing
  // to hide).
  {
    redact: (text) =>
      text.replace(
        /-----BEGIN[^\n-]*-----(?=\\n|\s|[A-Za-z0-9+/=])[\s\S]*?(?:-----END[^\n-]*-----|$)/g,
        `${REDACTED} PEM block`,
      ),
    guard: hasPemArmour,
    block: /-----BEGIN/,
  },
  // Base64 over several lines without its armour: a key body pasted or echoed alone. Within one line of
  // a block the line breaks can only be JSON-escaped ones.
  {
    redact: redactBase64Lines,
    guard: (text) => hasBase64LineBreak(text, true),
    block: (lines) => hasBase64LineBreak(lines, false),
  },
  // Secret-bearing fields of JSON bodies (a quoted key, then a quoted value) ...
  {
    redact: redactJsonFields,
    guard: (text) =>
      text.includes('token"') ||
      text.includes('assertion"') ||
      text.includes('private_key"') ||
      text.includes('client_secret"') ||
      text.includes('signedJwt"'),
    block: /token"|assertion"|private_key"|client_secret"|signedJwt"/,
  },
  // ... and of form bodies and query strings (`name=value` at the start or after ?, &, ; or a space).
  {
    redact: (text) =>
      text.replace(
        /(^|[?&;\s])((?:access_token|refresh_token|id_token|assertion|client_secret|token)=)([^&\s"']+)/g,
        `$1$2${REDACTED}`,
      ),
    guard: (text) =>
      text.includes("token=") || text.includes("assertion=") || text.includes("client_secret="),
    block: /token=|assertion=|client_secret=/,
  },
  // An Authorization header's credentials (8 characters at least).
  {
    redact: (text) =>
      text.replace(
        /\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8}[A-Za-z0-9._~+/=-]*/gi,
        `$1$2${REDACTED}`,
      ),
    guard: (text) => /bearer|basic/i.test(text),
    block: /bearer|basic/,
  },
  // A compact JWS / JWT: three base64url segments, the first a JSON header.
  { redact: redactJwts, guard: (text) => text.includes("eyJ"), block: /eyJ/ },
  // Google OAuth access tokens and refresh tokens.
  {
    redact: (text) => text.replace(/ya29\.[A-Za-z0-9._-]+/g, REDACTED),
    guard: (text) => text.includes("ya29."),
    block: /ya29\./,
  },
  {
    redact: (text) =>
      text.replace(/(^|[^A-Za-z0-9])1\/\/[A-Za-z0-9._-]{16}[A-Za-z0-9._-]*/g, `$1${REDACTED}`),
    guard: (text) => text.includes("1//"),
    block: /1\/\//,
  },
];

/** A character of one line of a base64 body: `[A-Za-z0-9+/=]`. */
function isBase64LineChar(code: number): boolean {
  return (
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    (code >= 48 && code <= 57) ||
    code === 43 ||
    code === 47 ||
    code === 61
  );
}

/** Length of the line break at `i`: LF, CRLF, or JSON-escaped `\n` / `\r\n`; 0 when there is none. */
function lineBreakAt(text: string, i: number): number {
  if (text.startsWith("\n", i)) return 1;
  if (text.startsWith("\r\n", i)) return 2;
  if (text.startsWith("\\n", i)) return 2;
  if (text.startsWith("\\r\\n", i)) return 4;
  return 0;
}

/**
 * Whether a line break (LF or CRLF when `lf`, and JSON-escaped `\n` / `\r\n`) follows 40 base64
 * characters: what {@link redactBase64Lines} cannot match without. Each break is found with `indexOf`.
 */
function hasBase64LineBreak(text: string, lf: boolean): boolean {
  const endsLine = (end: number): boolean => {
    if (end < 40) return false;
    for (let j = end - 1; j >= end - 40; j--)
      if (!isBase64LineChar(text.charCodeAt(j))) return false;
    return true;
  };
  if (lf)
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1))
      if (endsLine(text.charCodeAt(i - 1) === 13 ? i - 1 : i)) return true;
  for (let i = text.indexOf("\\n"); i >= 0; i = text.indexOf("\\n", i + 2))
    if (endsLine(text.startsWith("\\r", i - 2) ? i - 2 : i)) return true;
  return false;
}

/**
 * Two or more lines of 40+ base64 characters, each ended by a line break, and the line that follows:
 * `(?:[A-Za-z0-9+/=]{40,}(?:\r?\n|(?:\\r)?\\n)){2,}[A-Za-z0-9+/=]*`, found in one pass. A match starts
 * where a run of those characters starts (a later start only makes the first line shorter).
 */
function redactBase64Lines(text: string): string {
  const runEnd = (from: number): number => {
    let j = from;
    while (j < text.length && isBase64LineChar(text.charCodeAt(j))) j++;
    return j;
  };
  const out: string[] = [];
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    if (!isBase64LineChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let lines = 0;
    let lineStart = i;
    let end = runEnd(i);
    for (;;) {
      const br = end - lineStart >= 40 ? lineBreakAt(text, end) : 0;
      if (br === 0) break;
      lines++;
      lineStart = end + br;
      end = runEnd(lineStart);
    }
    if (lines >= 2) {
      out.push(text.slice(copied, i), REDACTED);
      copied = end;
      i = end;
    } else {
      // No match starts in the first run; the next run after it is looked at afresh.
      i = lines === 0 ? end : lineStart;
    }
  }
  if (out.length === 0) return text;
  out.push(text.slice(copied));
  return out.join("");
}

const jsonSecretField =
  /"(?:private_key|access_token|refresh_token|id_token|assertion|client_secret|signedJwt|token)"\s*:\s*"/g;

/** The value of each secret-bearing JSON field (`"token":"…"`, escapes included) becomes `[redacted]`. */
function redactJsonFields(text: string): string {
  const out: string[] = [];
  let copied = 0;
  jsonSecretField.lastIndex = 0;
  for (let m = jsonSecretField.exec(text); m !== null; m = jsonSecretField.exec(text)) {
    const from = m.index + m[0].length;
    // `(?:[^"\\]|\\.)+`: any character but a quote or a backslash, or a backslash and the character
    // after it (not a line terminator, which `.` does not match).
    let j = from;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 34) break;
      if (c === 92) {
        const next = j + 1 < text.length ? text.charCodeAt(j + 1) : 10;
        if (next === 10 || next === 13 || next === 0x2028 || next === 0x2029) break;
        j += 2;
      } else j++;
    }
    if (j === from) {
      jsonSecretField.lastIndex = m.index + 1;
      continue;
    }
    out.push(text.slice(copied, from), REDACTED);
    copied = j;
    jsonSecretField.lastIndex = j;
  }
  if (out.length === 0) return text;
  out.push(text.slice(copied));
  return out.join("");
}

/**
 * Compact JWS / JWT, `eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`, with no word boundary
 * before it (text glued to the front, "xeyJ…", must not let it through): looked for segment by segment
 * in each run of base64url characters and dots.
 */
function redactJwts(text: string): string {
  return text.replace(/[A-Za-z0-9_.-]+/g, (run) => {
    if (!run.includes("eyJ")) return run;
    const segments = run.split(".");
    const out: string[] = [];
    let i = 0;
    while (i < segments.length) {
      const segment = segments[i] ?? "";
      const at = segment.indexOf("eyJ");
      if (at >= 0 && segment.length - at - 3 >= 4 && i + 2 < segments.length) {
        out.push(`${segment.slice(0, at)}${REDACTED}`);
        i += 3;
      } else {
        out.push(segment);
        i++;
      }
    }
    return out.join(".");
  });
}

// A long run of base64 or base64url is key material (a PEM body or DER key on one line, a .p12) or a
// signature cut from an assertion. A long file path made of words, dashes and slashes is not: random
// base64 mixes upper and lower case and holds a slash in about one character of 64 (base64url none),
// where a path has one every few words (at most one in 32 characters is taken for base64).
// Every run with its padding (linear: nothing can fail after the run); a run shorter than 100
// characters comes back unchanged.
const BASE64_RUN = /[A-Za-z0-9+/_-]+={0,2}/g;
const base64Chars = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
  base64Chars[c.charCodeAt(0)] = 1;
const isBase64Char = (code: number): boolean => code < 128 && base64Chars[code] === 1;
/**
 * Whether `text` holds a run as long as BASE64_RUN needs (a scan, where the pattern backtracks). It
 * looks at the last character of a 100-character window and, when that is not base64, moves the window
 * past it: ordinary text is read one character in dozens.
 */
function hasBase64Run(text: string): boolean {
  for (let end = 99; end < text.length;) {
    let j = end;
    while (j > end - 100 && isBase64Char(text.charCodeAt(j))) j--;
    if (j === end - 100) return true;
    end = j + 100; // a run of 100 lies wholly after j, the character that is not base64
  }
  return false;
}
function base64Run(run: string): string {
  if (run.replace(/=+$/, "").length < 100) return run;
  const slashes = run.split("/").length - 1;
  return /[a-z]/.test(run) && /[A-Z]/.test(run) && slashes * 32 <= run.length ? REDACTED : run;
}

// Registered secrets, oldest first (the value orders replacements), and the same secrets by length and
// by a rolling hash of their text: a server that has handed out 10,000 tokens redacts each log line in
// one pass per distinct length, not one `includes` per secret.
const known = new Map<string, number>();
const KNOWN_LIMIT = 10_000;
let order = 0;
/** Changes whenever a secret is added to or removed from `known`. */
let knownVersion = 0;
const HASH_BASE = 0x01000193;
interface LengthIndex {
  /** HASH_BASE ** length, mod 2^32: what the character leaving the window weighed. */
  weight: number;
  byHash: Map<number, string[]>;
  size: number;
}
const byLength = new Map<number, LengthIndex>();
// How many registered secrets fall in each slot of (length, hash): most windows of a line land in an
// empty slot and skip the Map. Counts stay far below 2^16 (at most KNOWN_LIMIT secrets).
const slots = new Uint16Array(1 << 16);
const lengthMix = (length: number): number => Math.imul(length, 0x27d4eb2f);
const slotOf = (h: number, mix: number): number => Math.imul(h ^ mix, 0x9e3779b1) >>> 16;

function hashOf(text: string, from: number, length: number): number {
  let h = 0;
  for (let i = from; i < from + length; i++) h = (Math.imul(h, HASH_BASE) + text.charCodeAt(i)) | 0;
  return h;
}

function indexSecret(secret: string): void {
  let index = byLength.get(secret.length);
  if (index === undefined) {
    let weight = 1;
    for (let i = 0; i < secret.length; i++) weight = Math.imul(weight, HASH_BASE);
    byLength.set(secret.length, (index = { weight, byHash: new Map(), size: 0 }));
  }
  const h = hashOf(secret, 0, secret.length);
  const same = index.byHash.get(h);
  if (same === undefined) index.byHash.set(h, [secret]);
  else same.push(secret);
  index.size++;
  slots[slotOf(h, lengthMix(secret.length))]!++;
}

function unindexSecret(secret: string): void {
  const index = byLength.get(secret.length);
  if (index === undefined) return;
  const h = hashOf(secret, 0, secret.length);
  const same = index.byHash.get(h) ?? [];
  const at = same.indexOf(secret);
  if (at < 0) return;
  same.splice(at, 1);
  slots[slotOf(h, lengthMix(secret.length))]!--;
  if (same.length === 0) index.byHash.delete(h);
  if (--index.size === 0) byLength.delete(secret.length);
}

/** The registered secrets that occur in `text`, oldest first. */
function registeredIn(text: string): string[] {
  // Few secrets, or about as many lengths as secrets: asking each secret is cheaper than hashing.
  if (known.size <= 8 * byLength.size) {
    const found: string[] = [];
    for (const secret of known.keys()) if (text.includes(secret)) found.push(secret);
    return found;
  }
  let found: Set<string> | undefined;
  for (const [length, index] of byLength) {
    if (length > text.length) continue;
    const mix = lengthMix(length);
    let h = hashOf(text, 0, length);
    for (let i = 0; ; i++) {
      const same = slots[slotOf(h, mix)] === 0 ? undefined : index.byHash.get(h);
      if (same !== undefined)
        for (const secret of same)
          if (text.startsWith(secret, i)) (found ??= new Set<string>()).add(secret);
      if (i + length >= text.length) break;
      h =
        (Math.imul(h, HASH_BASE) +
          text.charCodeAt(i + length) -
          Math.imul(text.charCodeAt(i), index.weight)) |
        0;
    }
  }
  return found === undefined ? [] : [...found].sort((a, b) => known.get(a)! - known.get(b)!);
}

/**
 * Remembers a secret that has no recognisable shape (a token from a non-Google endpoint, a caller's
 * bearer token) so that {@link redactSecrets} removes it too. Values shorter than 8 characters are
 * ignored; the oldest are forgotten past 10,000.
 *
 * @param secret the value never to print
 * @example
 * ```ts
 * import { redactSecrets, registerSecret } from "@dwd/auth";
 * registerSecret("opaque-token-1234");
 * redactSecrets("got opaque-token-1234"); // "got [redacted]"
 * ```
 */
export function registerSecret(secret: string): void {
  if (secret.length < 8) return;
  // Re-adding moves a secret to the back, so the ones still in use are the last to be forgotten.
  if (known.delete(secret)) {
    known.set(secret, ++order);
    return;
  }
  if (known.size >= KNOWN_LIMIT) {
    const oldest = known.keys().next().value;
    if (oldest !== undefined) {
      known.delete(oldest);
      unindexSecret(oldest);
    }
  }
  known.set(secret, ++order);
  indexSecret(secret);
  knownVersion++;
}

/**
 * Returns `text` with every private key, signed assertion, access or refresh token, credential header
 * and registered secret replaced by `[redacted]`. Idempotent; text without secrets comes back unchanged.
 *
 * @param text anything about to be shown or logged
 * @returns the same text, without secrets
 * @example
 * ```ts
 * import { redactSecrets } from "@dwd/auth";
 * redactSecrets('{"access_token":"ya29.a0Af"}'); // '{"access_token":"[redacted]"}'
 * ```
 */
export function redactSecrets(text: string): string {
  let out = text;
  // Registered secrets first: a pattern below could rewrite part of one and leave the rest behind.
  for (const secret of registeredIn(text))
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  for (const step of steps) if (step.guard(out)) out = step.redact(out);
  return hasBase64Run(out) ? out.replace(BASE64_RUN, base64Run) : out;
}

/**
 * Whether a block of text may hold anything {@link redactSecrets} removes: a registered secret, or what
 * a step's guard or the base64-run test finds. False means no line of the block, and no other piece
 * of it, holds a secret (every test is true of a text when it is true of a piece of it).
 */
function mayHoldSecret(text: string): boolean {
  return (
    mayHoldRegistered(text) ||
    blockPattern.test(text) ||
    blockTests.some((test) => test(text)) ||
    hasBase64Run(text)
  );
}

// The steps' block patterns as one (case-insensitive matches more, never less): one scan of a block.
const blockPattern = new RegExp(
  steps.flatMap((s) => (s.block instanceof RegExp ? [`(?:${s.block.source})`] : [])).join("|"),
  "i",
);
const blockTests = steps.flatMap((s) => (s.block instanceof RegExp ? [] : [s.block]));

// The first characters of every registered secret as one pattern, made when first needed after the set
// changed: the regular-expression engine skips through a long text for it far faster than the rolling
// hash of registeredIn() steps through it character by character.
const PREFIX_LENGTH = 16;
let prefixes: { version: number; pattern: RegExp } | undefined;

/** Whether `text` holds the beginning of a registered secret (as it must to hold the secret). */
function mayHoldRegistered(text: string): boolean {
  if (known.size === 0) return false;
  if (prefixes?.version !== knownVersion) {
    const starts = new Set<string>();
    for (const secret of known.keys()) starts.add(secret.slice(0, PREFIX_LENGTH));
    const source = [...starts].map((p) => p.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")).join("|");
    prefixes = { version: knownVersion, pattern: new RegExp(source) };
  }
  return prefixes.pattern.test(text);
}

/** Blocks of at most this many characters are redacted line by line. */
const LINE_BY_LINE = 1024;

/**
 * {@link redactSecrets} applied to each line of `text` (lines end at LF), the same result as
 * `text.split("\n").map(redactSecrets).join("\n")` but without reading every line: a block of lines is
 * first tested as a whole (a few scans of it), and only a block that may hold a secret is halved, down
 * to lines. For long output where secrets are rare (a JSON document of thousands of events).
 *
 * @param text lines joined by LF
 * @returns the same lines, each without secrets
 * @example
 * ```ts
 * import { redactLines } from "@dwd/auth";
 * redactLines('{\n  "token": "abc123xyz",\n  "n": 1\n}'); // '{\n  "token": "[redacted]",\n  "n": 1\n}'
 * ```
 */
export function redactLines(text: string): string {
  if (!mayHoldSecret(text)) return text;
  if (text.length <= LINE_BY_LINE) return text.split("\n").map(redactSecrets).join("\n");
  // Halve at the line break nearest the middle (none: one long line).
  const middle = text.length >> 1;
  const after = text.indexOf("\n", middle);
  const before = text.lastIndexOf("\n", middle);
  const at =
    after < 0 ? before : before < 0 ? after : middle - before <= after - middle ? before : after;
  if (at < 0) return redactSecrets(text);
  return `${redactLines(text.slice(0, at))}\n${redactLines(text.slice(at + 1))}`;
}

/**
 * Whether `text` holds anything {@link redactSecrets} would remove.
 *
 * @param text the text to check
 * @returns true when a secret is present
 * @example
 * ```ts
 * import { containsSecret } from "@dwd/auth";
 * containsSecret("Bearer ya29.abc"); // true
 * ```
 */
export function containsSecret(text: string): boolean {
  return redactSecrets(text) !== text;
}
