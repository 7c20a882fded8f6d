// Long list output is made safe in blocks of lines (io.ts's safeBlock, @dwd/auth's redactLines) instead
// of line by line: it must write the very bytes the line-by-line path wrote, and a key or token inside
// an event still never reaches stdout. The e2e half runs the bundled dwd against the emulator on a real
// port, over enough users for many blocks, and checks --json against --ndjson (written line by line).
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import fc from "fast-check";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeBlock, safeLine } from "../src/_internal/io.ts";
import { cleanEnv, dwd } from "./helpers.ts";

const auth = "https://www.googleapis.com/auth/";
const pem = readFileSync(
  new URL(
    "../../../packages/auth/test/fixtures/keys/google-auth-library-nodejs-private.pem",
    import.meta.url,
  ),
  "utf8",
);
const pemBody = pem.split("\n")[1] ?? "";
const token = `ya29.a0AfB_${"x9Y".repeat(40)}`;
const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("safeBlock()", () => {
  const pieces = [
    '  "summary": "Weekly sync",',
    "\t",
    "\r",
    "\u0085",
    "\u2028",
    "\u202E",
    "\u0000",
    "\u001B[31m",
    "\u007F",
    " ".repeat(200),
    "Bearer abcdefgh12345678",
    "token=abc",
    `"access_token": "abc"`,
    token,
    jwt,
    "-----BEGIN PRIVATE KEY-----\\nMIIB",
    "Ab".repeat(50),
    "é→",
  ];
  it("writes what safeLine() writes line by line, on random lines of controls and secrets", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom(...pieces), { maxLength: 6 }), { maxLength: 120 }),
        (lines) => {
          const text = lines.map((parts) => parts.join("")).join("\n");
          expect(safeBlock(text)).toBe(
            text
              .split("\n")
              .map((line) => safeLine(line))
              .join("\n"),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** What processIo() writes to fd 1 in a child process for `calls`, with `env` (a color switch). */
function processOutput(
  calls: { out?: string; outLines?: string[]; outText?: string; outJson?: string }[],
  env: Record<string, string>,
): string {
  const io = fileURLToPath(new URL("../src/_internal/io.ts", import.meta.url));
  const script = `
    import { processIo } from ${JSON.stringify(io)};
    import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
    const io = processIo();
    for (const c of JSON.parse(readFileSync(0, "utf8"))) {
      if (c.out !== undefined) io.out(c.out);
      if (c.outLines !== undefined) io.outLines(c.outLines);
      if (c.outText !== undefined) io.outText(c.outText);
      if (c.outJson !== undefined) io.outJson(c.outJson);
    }`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    input: JSON.stringify(calls),
    env: { ...cleanEnv(), ...env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.stderr).toBe("");
  return r.stdout;
}

describe("processIo() writes blocks of lines as one `out` per line would", () => {
  // Lines crossing the 64 KB blocks; a key, tokens and controls among them; a line with LF; escapes.
  const lines = Array.from({ length: 6000 }, (_, i) =>
    i === 1500
      ? `  "description": "${pem.replace(/\n/g, "\\n")}",`
      : i === 3001
        ? `Authorization: Bearer ${token}\u0085\u202E`
        : i === 4200
          ? `\u001B[1mbold\u001B[22m \u001B]0;title\u0007 ${jwt}`
          : i === 5000
            ? "two\nlines\r"
            : `  "summary${i}": "Event ${i} \t ${"x".repeat(i % 50)}",`,
  );
  for (const color of ["0", "1"]) {
    it(`outLines and outText (FORCE_COLOR=${color})`, () => {
      const env = { FORCE_COLOR: color };
      const expected = processOutput(
        lines.map((line) => ({ out: line })),
        env,
      );
      expect(expected).not.toContain(token);
      expect(expected).not.toContain(pemBody);
      expect(expected).not.toContain("eyJhbGci");
      expect(expected.length).toBeGreaterThan(200_000);
      expect(processOutput([{ outLines: lines }], env)).toBe(expected);
      const noLf = lines.filter((line) => !line.includes("\n"));
      expect(processOutput([{ outText: noLf.join("\n") }], env)).toBe(
        processOutput(
          noLf.map((line) => ({ out: line })),
          env,
        ),
      );
      expect(processOutput([{ outText: "" }, { outText: "a\n" }], env)).toBe("\na\n\n");
    });
  }

  it("outJson writes what outText writes for JSON.stringify's text, controls and secrets among it", () => {
    // Values with C0 and C1 controls, DEL, U+2028, bidi marks, ESC, non-ASCII, a token and a key: in
    // some blocks of 64 KB only ASCII (the fast path), in others not.
    const values = Array.from({ length: 3000 }, (_, i) => ({
      id: `e${i}`,
      summary:
        i === 700
          ? `DEL\u007F here`
          : i === 1800
            ? `C1 \u0085 bidi \u202E line \u2028 esc \u001B[2J née`
            : i === 2500
              ? `Bearer ${token} and ${pem}`
              : `Event ${i} ${"x".repeat(i % 40)}`,
      tab: "\t",
    }));
    const json = JSON.stringify(values, null, 2);
    for (const color of ["0", "1"]) {
      const expected = processOutput([{ outText: json }], { FORCE_COLOR: color });
      expect(expected).not.toContain(token);
      expect(expected).toContain("\\u007f"); // DEL made visible, where JSON.stringify left it raw
      expect(processOutput([{ outJson: json }], { FORCE_COLOR: color })).toBe(expected);
    }
  });
});

let server: RunningEmulator;
let dir: string;
let key: string;
let usersFile: string;
const secretEvents = [
  { user: "user0003@example.com", description: `key: ${pem}` },
  { user: "user0021@example.com", description: `Authorization: Bearer ${token}` },
  { user: "user0040@example.com", description: `assertion ${jwt} pasted` },
  { user: "user0059@example.com", description: `see https://x.example/cb?access_token=${token}` },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-list-output-"));
  server = await startEmulator({
    scenario: {
      domain: "example.com",
      users: { count: 60, eventsEach: 20 },
      serviceAccounts: [{ name: "calendar-bot" }],
      grants: [
        { serviceAccount: "calendar-bot", scopes: [`${auth}calendar`, `${auth}calendar.readonly`] },
      ],
      events: secretEvents.map((e, i) => ({
        calendar: e.user,
        summary: `Secret ${i}`,
        start: "2026-03-02",
        end: "2026-03-03",
        description: e.description,
      })),
    } as never,
    port: 0,
    host: "127.0.0.1",
    keysDir: join(dir, "keys"),
  });
  key = server.keyFiles["calendar-bot"]?.json ?? "";
  usersFile = join(dir, "users.txt");
  await writeFile(usersFile, `${server.emulator.scenario.users.map((u) => u.email).join("\n")}\n`);
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("dwd events list --json over many users", () => {
  it("prints the same events as --ndjson, indented, with every key and token redacted", async () => {
    const env = cleanEnv({
      DWD_EMULATOR_HOST: new URL(server.url).host,
      DWD_CACHE_DIR: join(dir, "cache"),
      DWD_TOKEN_CACHE: "",
    });
    const args = ["events", "list", "--key", key, "--subjects-file", usersFile];
    const json = await dwd([...args, "--json"], env);
    expect(json.stderr).toMatch(
      /^summary: 60 users: 60 ok, 0 failed; 2 requests, 60 token exchanges, /,
    );
    expect(json.code).toBe(0);
    // The second run: tokens from the cache file (registered as secrets as they are read).
    const nd = await dwd([...args, "--ndjson"], env);
    expect(nd.stderr).toMatch(
      /^summary: 60 users: 60 ok, 0 failed; 2 requests, 0 token exchanges, /,
    );
    expect(nd.code).toBe(0);
    expect(json.stdout.length).toBeGreaterThan(500_000);
    const rows = nd.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as unknown);
    expect(rows).toHaveLength(60 * 20 + secretEvents.length);
    expect(json.stdout).toBe(`${JSON.stringify(rows, null, 2)}\n`);
    for (const secret of [pemBody, token, jwt, "x9Yx9Yx9Y", "c2lnbmF0dXJl"])
      expect(json.stdout).not.toContain(secret);
    const described = (rows as { subject: string; description?: string }[]).filter(
      (r) => r.description !== undefined,
    );
    expect(described.map((r) => [r.subject, r.description])).toEqual([
      ["user0003@example.com", "key: [redacted] private key"],
      ["user0021@example.com", "Authorization: Bearer [redacted]"],
      ["user0040@example.com", "assertion [redacted] pasted"],
      ["user0059@example.com", "see https://x.example/cb?access_token=[redacted]"],
    ]);
  });
});
