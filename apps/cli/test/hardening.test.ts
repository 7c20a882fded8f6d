// Hostile and malformed input against the bundled CLI: secrets never printed, every request bounded,
// bad input never an internal error, remote text made harmless (issue 8). Each test spawns dist/dwd.js.
import { demoScenario } from "@dwd/emulator";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import fc from "fast-check";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeLine } from "../src/_internal/io.ts";
import { cleanEnv, dwd, dwdPath } from "./helpers.ts";

const fixtureKeys = new URL("../../../packages/auth/test/fixtures/keys/", import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, fixtureKeys), "utf8");

// A calendar summary that would retitle the terminal, clear the screen and forge two output lines.
const hostileSummary = "Team\u001B]0;pwned\u0007\u001B[2J\r\nerror: forged line\u009B31m";
const user = "info@example.com";

let server: RunningEmulator;
let dir: string;
let botJson: string;
let env: Record<string, string>;

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  const s: Server = createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(() => resolve()));
    },
  };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.setEncoding("utf8").on("data", (d: string) => (text += d));
    req.on("end", () => resolve(text));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dwd-harden-"));
  const calendars = (demoScenario.calendars ?? []).map((c) =>
    c.id === user ? { ...c, summary: hostileSummary } : c,
  );
  server = await startEmulator({
    scenario: { ...demoScenario, calendars },
    port: 0,
    host: "127.0.0.1",
    keysDir: dir,
  });
  const bot = server.keyFiles["calendar-bot"];
  if (bot === undefined) throw new Error("no calendar-bot");
  botJson = bot.json;
  env = cleanEnv({ DWD_EMULATOR_HOST: new URL(server.url).host });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const noStack = (text: string): void => expect(text).not.toMatch(/^\s+at /m);
// eslint-disable-next-line no-control-regex
const rawControls = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** stderr is exactly one `error:` line and one `hint:` line. */
function oneErrorAndHint(stderr: string): [string, string] {
  const lines = stderr.split("\n");
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(/^error: \S/);
  expect(lines[1]).toMatch(/^hint: \S/);
  expect(lines[2]).toBe("");
  noStack(stderr);
  return [lines[0] ?? "", lines[1] ?? ""];
}

describe("no secret in any output", () => {
  const pemKey = fixture("google-auth-library-nodejs-private.pem");
  const jsonKey = fixture("google-auth-library-python-service_account.json");
  const keyBody = (pem: string): string =>
    pem
      .split("\n")
      .filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l))
      .join("");

  for (const [kind, text] of [
    ["JSON", jsonKey],
    ["PEM", pemKey],
  ] as const) {
    for (const args of [
      ["token", "--subject", user],
      ["calendars", "list", "--subject", user],
      ["doctor", "--subject", user],
      ["doctor", "--subject", user, "--json"],
    ]) {
      it(`GOOGLE_APPLICATION_CREDENTIALS holding the ${kind} key's text: dwd ${args.join(" ")} exits 2 and says so, printing no key`, async () => {
        const r = await dwd(
          args,
          cleanEnv({
            GOOGLE_APPLICATION_CREDENTIALS: text,
            DWD_EMULATOR_HOST: new URL(server.url).host,
          }),
        );
        expect(r.code).toBe(2);
        const all = r.stdout + r.stderr;
        expect(all).not.toContain("PRIVATE KEY");
        expect(all).not.toContain('private_key"');
        const b64 = keyBody(
          kind === "PEM" ? text : (JSON.parse(text) as { private_key: string }).private_key,
        );
        for (let i = 0; i + 32 <= b64.length; i += 32)
          expect(all).not.toContain(b64.slice(i, i + 32));
        const message = `Cannot load key from GOOGLE_APPLICATION_CREDENTIALS: it holds the key's text (${text.length} characters), not the path of a key file`;
        if (args[0] === "doctor" && args.includes("--json")) {
          const report = JSON.parse(r.stdout) as {
            steps: { id: string; status: string; code?: string; detail: string }[];
          };
          expect(report.steps[0]).toMatchObject({
            id: "key",
            status: "fail",
            code: "key_text_not_path",
            detail: message,
          });
        } else if (args[0] === "doctor") {
          expect(r.stdout).toContain(`FAIL  key       ${message}`);
        } else {
          const [error, hint] = oneErrorAndHint(r.stderr);
          expect(error).toBe(`error: ${message}`);
          expect(hint).toBe(
            "hint: Save the key to a file and give its path (GOOGLE_APPLICATION_CREDENTIALS=key.json)",
          );
        }
      });
    }
  }

  it("a token echoed by a calendar API is redacted, even an opaque one the token endpoint issued", async () => {
    const opaque = "opaqueTokenFromAnotherEndpoint0123";
    const token = await listen((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ access_token: opaque, expires_in: 3600, token_type: "Bearer" }));
    });
    const api = await listen((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const auth = req.headers.authorization ?? "";
      res.end(
        JSON.stringify({
          kind: "calendar#calendarListEntry",
          id: user,
          summary: `header ${auth}; bare ${auth.slice(7)}`,
        }),
      );
    });
    try {
      const r = await dwd(
        [
          "calendars",
          "get",
          user,
          "--key",
          botJson,
          "--subject",
          user,
          "--token-uri",
          `${token.url}/token`,
          "--api-root",
          api.url,
        ],
        cleanEnv(),
      );
      expect(r).toEqual({
        code: 0,
        stdout: "header Bearer [redacted]; bare [redacted]\n",
        stderr: "",
      });
    } finally {
      await token.close();
      await api.close();
    }
  });

  it("a token endpoint that echoes the assertion in its error: the assertion is not printed", async () => {
    const bodies: string[] = [];
    const token = await listen((req, res) => {
      void body(req).then((text) => {
        bodies.push(text);
        res.writeHead(400, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: "invalid_grant",
            error_description: `Bad request: ${decodeURIComponent(text)}`,
          }),
        );
      });
    });
    try {
      const r = await dwd(
        [
          "calendars",
          "get",
          user,
          "--key",
          botJson,
          "--subject",
          user,
          "--token-uri",
          `${token.url}/token`,
        ],
        cleanEnv(),
      );
      expect(r.code).toBe(1);
      const assertion = new URLSearchParams(bodies[0]).get("assertion") ?? "";
      expect(assertion).toMatch(/^eyJ/);
      for (const part of assertion.split("."))
        expect(r.stdout + r.stderr).not.toContain(part.slice(0, 40));
    } finally {
      await token.close();
    }
  });

  it(
    "property: key material, tokens and assertions fed through every input path never reach stdout or stderr",
    { timeout: 240_000 },
    async () => {
      const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{24,60}$/);
      const secret = fc.oneof(
        b64url.map((s) => `ya29.${s}`),
        fc.tuple(b64url, b64url, b64url).map(([a, b, c]) => `eyJ${a}.${b}.${c}`),
        fc.constantFrom(
          pemKey,
          fixture("oauth2client-privatekey.pem"),
          fixture("google-p12-pem-key.pem"),
          jsonKey,
        ),
      );
      const opaque = fc.stringMatching(/^[A-Za-z0-9]{24,40}$/);
      // Where the secret enters; each returns the argv, the environment and, for echo paths, the servers.
      type Path =
        | "flag-subject"
        | "positional"
        | "key-flag"
        | "credentials-env"
        | "timeout-flag"
        | "api-root-flag"
        | "token-error-echo"
        | "api-echo";
      const paths: Path[] = [
        "flag-subject",
        "positional",
        "key-flag",
        "credentials-env",
        "timeout-flag",
        "api-root-flag",
        "token-error-echo",
        "api-echo",
      ];
      const commands = [
        ["calendars", "get", user],
        ["calendars", "list"],
        ["doctor"],
        ["doctor", "--json"],
        ["token"],
      ];

      let echoSecret = "";
      const tokenEcho = await listen((req, res) => {
        void body(req).then((text) => {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              error: "invalid_grant",
              error_description: `${echoSecret} for ${decodeURIComponent(text)}`,
            }),
          );
        });
      });
      const tokenIssuer = await listen((_req, res) => {
        res.writeHead(200, { "content-type": "application/json", date: new Date().toUTCString() });
        res.end(
          JSON.stringify({ access_token: echoSecret, expires_in: 3600, token_type: "Bearer" }),
        );
      });
      const apiEcho = await listen((req, res) => {
        const auth = req.headers.authorization ?? "";
        const text = `${auth} ${auth.slice(7)}`;
        const ok = (req.url ?? "").length % 2 === 0;
        res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
        res.end(
          JSON.stringify(
            ok
              ? {
                  kind: "calendar#calendarList",
                  items: [{ id: "x", summary: text }],
                  id: "x",
                  summary: text,
                }
              : {
                  error: {
                    code: 401,
                    message: text,
                    errors: [{ reason: "authError", message: text }],
                  },
                },
          ),
        );
      });
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...paths),
            fc.constantFrom(...commands),
            secret,
            opaque,
            async (path, command, value, opaqueToken) => {
              const needsSubject = command[0] === "doctor" || path !== "flag-subject";
              let args = [
                ...command,
                "--key",
                botJson,
                ...(needsSubject && path !== "flag-subject" ? ["--subject", user] : []),
              ];
              let runEnv = env;
              let shown = value;
              switch (path) {
                case "flag-subject":
                  args = [...command, "--key", botJson, "--subject", value];
                  break;
                case "positional":
                  args = [...args, value];
                  break;
                case "key-flag":
                  args = [...command, "--key", value, "--subject", user];
                  break;
                case "credentials-env":
                  args = [...command, "--subject", user];
                  runEnv = { ...env, GOOGLE_APPLICATION_CREDENTIALS: value };
                  break;
                case "timeout-flag":
                  args = [...args, "--timeout", value];
                  break;
                case "api-root-flag":
                  args = [...args, "--api-root", `not a url ${value}`];
                  break;
                case "token-error-echo":
                  echoSecret = value;
                  args = [...args, "--token-uri", `${tokenEcho.url}/token`];
                  break;
                case "api-echo":
                  echoSecret = shown = opaqueToken;
                  args = [
                    ...args,
                    "--token-uri",
                    `${tokenIssuer.url}/token`,
                    "--api-root",
                    apiEcho.url,
                  ];
                  break;
              }
              const r = await dwd(args, runEnv);
              // `dwd token` prints the token it was asked for: that one output is the point of the command.
              const output =
                path === "api-echo" && command[0] === "token" && r.code === 0
                  ? r.stderr
                  : r.stdout + r.stderr;
              expect(r.code === 70, output).toBe(false);
              noStack(output);
              const pieces = shown.includes("PRIVATE KEY")
                ? (keyBody(
                    shown.includes("\\n")
                      ? (JSON.parse(shown) as { private_key: string }).private_key
                      : shown,
                  ).match(/.{32}/g) ?? [])
                : [shown];
              for (const piece of pieces)
                expect(output, `${path} ${command.join(" ")}`).not.toContain(piece);
              expect(output).not.toContain("PRIVATE KEY-----\n");
            },
          ),
          { numRuns: 24, seed: 8 },
        );
      } finally {
        await tokenEcho.close();
        await tokenIssuer.close();
        await apiEcho.close();
      }
    },
  );
});

describe("every request is bounded", () => {
  let trickle: { url: string; close: () => Promise<void> };
  beforeAll(async () => {
    // Sends a byte every 50 ms: never silent long enough for an idle timeout, never finished.
    trickle = await listen((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const timer = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(timer));
    });
  });
  afterAll(async () => {
    await trickle.close();
  });

  const cases: { name: string; args: string[]; extraEnv: Record<string, string> }[] = [
    { name: "--timeout 1s", args: ["--timeout", "1s"], extraEnv: {} },
    { name: "DWD_TIMEOUT_MS=1000", args: [], extraEnv: { DWD_TIMEOUT_MS: "1000" } },
  ];
  for (const c of cases) {
    it(`a token endpoint that trickles its answer fails at the overall deadline (${c.name}): exit 1`, async () => {
      const r = await dwd(
        [
          "token",
          "--key",
          botJson,
          "--subject",
          user,
          "--token-uri",
          `${trickle.url}/token`,
          ...c.args,
        ],
        cleanEnv(c.extraEnv),
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      const [error] = oneErrorAndHint(r.stderr);
      // The token source's own deadline is the same --timeout, started before the request (at signing):
      // it is the one that fires.
      expect(error).toBe(
        `error: Cannot get a token for "${user}": the token endpoint "${trickle.url}/token" did not finish its answer within 1 s`,
      );
    });
  }

  it.runIf(process.platform !== "win32")(
    "--key naming a FIFO exits 2 at once (it is never opened)",
    async () => {
      const fifo = join(dir, "key.fifo");
      spawnSync("mkfifo", [fifo]);
      expect(existsSync(fifo)).toBe(true);
      const r = await dwd(["token", "--key", fifo, "--subject", user], env);
      expect(r.code).toBe(2);
      const [error, hint] = oneErrorAndHint(r.stderr);
      expect(error).toBe(
        `error: Cannot load key "${fifo}": it is a FIFO (named pipe), not a regular file`,
      );
      expect(hint).toBe("hint: Give the path of the key file as downloaded (JSON, .p12 or PEM)");
    },
  );

  it.runIf(existsSync("/dev/zero"))("--key /dev/zero exits 2 at once (never read)", async () => {
    const r = await dwd(["calendars", "list", "--key", "/dev/zero"], env);
    expect(r.code).toBe(2);
    expect(oneErrorAndHint(r.stderr)[0]).toBe(
      'error: Cannot load key "/dev/zero": it is a character device, not a regular file',
    );
  });

  it("a key file larger than any key exits 2 without being read (code key_too_large in doctor --json)", async () => {
    const big = join(dir, "big.json");
    await writeFile(big, "x".repeat(1024 * 1024 + 1));
    const r = await dwd(["doctor", "--key", big, "--subject", user, "--json"], env);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as {
      steps: { id: string; code?: string; detail: string }[];
    };
    expect(report.steps[0]).toMatchObject({
      id: "key",
      code: "key_too_large",
      detail: `Cannot load key "${big}": the file is 1048577 bytes, larger than any key (at most 1048576 bytes)`,
    });
  });
});

describe("bad input is never an internal error: one error and one hint line, exit 2", () => {
  const cases: {
    name: string;
    args: (ctx: { file: string }) => string[];
    error: string | ((ctx: { file: string }) => string);
  }[] = [
    {
      name: "calendars get --api-root 'not a url'",
      args: () => ["calendars", "get", user, "--key", botJson, "--api-root", "not a url"],
      error: 'Invalid --api-root "not a url": not an http:// or https:// URL',
    },
    {
      name: "doctor --api-root 'not a url'",
      args: () => ["doctor", "--key", botJson, "--subject", user, "--api-root", "not a url"],
      error: 'Invalid --api-root "not a url": not an http:// or https:// URL',
    },
    {
      name: "--api-root file:///etc",
      args: () => ["calendars", "list", "--key", botJson, "--api-root", "file:///etc"],
      error: 'Invalid --api-root "file:///etc": not an http:// or https:// URL',
    },
    {
      name: "--token-uri 'not a url'",
      args: () => ["token", "--key", botJson, "--token-uri", "not a url"],
      error: 'Invalid --token-uri "not a url": not an http:// or https:// URL',
    },
    {
      name: "--token-uri file:///etc/passwd",
      args: () => ["token", "--key", botJson, "--token-uri", "file:///etc/passwd"],
      error: 'Invalid --token-uri "file:///etc/passwd": not an http:// or https:// URL',
    },
    // (Not ".../token": @dwd/auth's redactSecrets takes `token": x` for a secret field; reported to its owner.)
    {
      name: "--token-uri ftp://",
      args: () => [
        "calendars",
        "get",
        user,
        "--key",
        botJson,
        "--token-uri",
        "ftp://example.com/oauth2",
      ],
      error: 'Invalid --token-uri "ftp://example.com/oauth2": not an http:// or https:// URL',
    },
    {
      name: 'calendars get ""',
      args: () => ["calendars", "get", "", "--key", botJson, "--subject", user],
      error: "Missing calendar ID: it is empty",
    },
    {
      name: "--key given twice",
      args: () => ["token", "--key", botJson, "--key", botJson],
      error: "Option --key is given more than once for dwd token",
    },
    {
      name: "--subject given twice",
      args: () => [
        "calendars",
        "list",
        "--key",
        botJson,
        "--subject",
        user,
        "--subject=ana@example.com",
      ],
      error: "Option --subject is given more than once for dwd calendars list",
    },
    {
      name: "a bad --timeout",
      args: () => ["token", "--key", botJson, "--timeout", "soon"],
      error: 'Invalid --timeout "soon": not a duration between 1 ms and 24 h',
    },
    {
      name: "--keys-dir naming an existing file",
      args: ({ file }) => ["emulator", "start", "--keys-dir", file],
      error: ({ file }) => `Cannot write keys to "${file}": it exists and is not a directory`,
    },
    {
      name: "--keys-dir under a file",
      args: ({ file }) => ["emulator", "start", "--keys-dir", join(file, "keys")],
      error: ({ file }) =>
        `Cannot write keys to "${join(file, "keys")}": a part of the path is a file, not a directory`,
    },
    {
      name: "--keys-dir /dev/null",
      args: () => ["emulator", "start", "--keys-dir", "/dev/null"],
      error: 'Cannot write keys to "/dev/null": it exists and is not a directory',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const ctx = { file: join(dir, "a-file") };
      await writeFile(ctx.file, "not a directory");
      const r = await dwd(c.args(ctx), env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(oneErrorAndHint(r.stderr)[0]).toBe(
        `error: ${typeof c.error === "string" ? c.error : c.error(ctx)}`,
      );
    });
  }

  it("a key whose token_uri is not http(s) exits 2 before anything is sent", async () => {
    const key = join(dir, "file-token-uri.json");
    await writeFile(
      key,
      JSON.stringify({
        ...(JSON.parse(await readFile(botJson, "utf8")) as object),
        token_uri: "file:///etc/passwd",
      }),
    );
    const r = await dwd(["token", "--key", key], cleanEnv());
    expect(r.code).toBe(2);
    expect(oneErrorAndHint(r.stderr)[0]).toBe(
      'error: Invalid token_uri "file:///etc/passwd" in the key: not an http:// or https:// URL',
    );
  });

  describe.runIf(existsSync("/dev/full"))(
    "stderr that cannot be written keeps the outcome's exit code",
    () => {
      // Spawned asynchronously: the emulator serving the refusal runs in this very process.
      const run = async (args: string[]): Promise<number | null> => {
        const full = openSync("/dev/full", "w");
        try {
          const child = spawn(process.execPath, [dwdPath, ...args], {
            stdio: ["ignore", "ignore", full],
            env,
          });
          return await new Promise((resolve) => child.on("close", resolve));
        } finally {
          closeSync(full);
        }
      };
      it("bad input: 2", async () =>
        expect(await run(["calendars", "get", "x", "--key", "/nonexistent/key.json"])).toBe(2));
      it("a refusal: 1", async () =>
        expect(await run(["calendars", "get", user, "--key", botJson])).toBe(1));
    },
  );
});

describe("remote text is made harmless in text output, exact in --json", () => {
  const visible = "Team\\u001b]0;pwned\\u0007\\u001b[2J\\r\\nerror: forged line\\u009b31m";

  it("calendars get prints the summary on one line with control characters visible", async () => {
    const r = await dwd(["calendars", "get", user, "--key", botJson, "--subject", user], env);
    expect(r).toEqual({ code: 0, stdout: `${visible}\n`, stderr: "" });
  });

  it("calendars list likewise", async () => {
    const r = await dwd(["calendars", "list", "--key", botJson, "--subject", user], env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(rawControls);
    // Piped, a list is tab-separated with no header: one line per entry, the summary made visible in it.
    const lines = r.stdout.split("\n").filter((line) => line !== "");
    expect(
      lines.filter((line) => line.startsWith(user) && line.includes(`\t${visible}`)),
    ).toHaveLength(1);
  });

  it("doctor likewise", async () => {
    const r = await dwd(["doctor", "--key", botJson, "--subject", user], env);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(rawControls);
    expect(r.stdout).toContain(
      `PASS  calendar  calendarList.get("${user}") as "${user}": "${visible}" (owner)\n`,
    );
  });

  it("--json keeps the exact text (JSON escapes it)", async () => {
    const get = await dwd(
      ["calendars", "get", user, "--key", botJson, "--subject", user, "--json"],
      env,
    );
    expect(get.stdout).not.toMatch(rawControls);
    expect((JSON.parse(get.stdout) as { summary: string }).summary).toBe(hostileSummary);
    const list = await dwd(
      ["calendars", "list", "--key", botJson, "--subject", user, "--json"],
      env,
    );
    expect((JSON.parse(list.stdout) as { summary: string }[]).map((e) => e.summary)).toContain(
      hostileSummary,
    );
  });

  it("a subject with escapes and CR/LF stays inside one error line", async () => {
    const subject = "x@example.com\r\nerror: forged\u001B]0;t\u0007";
    const r = await dwd(
      ["calendars", "get", "primary", "--key", botJson, "--subject", subject],
      env,
    );
    expect(r.code).toBe(2);
    const [error] = oneErrorAndHint(r.stderr);
    expect(error).toContain('"x@example.com\\r\\nerror: forged\\u001b]0;t\\u0007"');
    expect(r.stderr).not.toMatch(rawControls);
  });

  it("safeLine() keeps dwd's and citty's own styles on a colored stream and makes every other escape visible", () => {
    const styled =
      "\u001B[4m\u001B[1mUSAGE\u001B[22m\u001B[24m \u001B[90mdwd\u001B[39m \u001B[31merror:\u001B[39m";
    expect(safeLine(styled, true)).toBe(styled);
    expect(safeLine(styled, false)).not.toContain("\u001B");
    expect(safeLine("a\u001B]0;t\u0007\u001B[2J\u001B[8mb\r\nc", true)).toBe(
      "a\\u001b]0;t\\u0007\\u001b[2J\\u001b[8mb\\r\\nc",
    );
    expect(safeLine("Bearer ya29.abcdefghijklmnop", true)).toBe("Bearer [redacted]");
  });

  it("a hostile summary's escapes stay visible even on a colored stream", async () => {
    const r = await dwd(["calendars", "get", user, "--key", botJson, "--subject", user], {
      ...env,
      FORCE_COLOR: "1",
    });
    expect(r.stdout).toBe(`${visible}\n`);
  });

  it("a calendar ID with CR/LF stays inside one error line", async () => {
    const r = await dwd(
      [
        "calendars",
        "get",
        "nope\r\nerror: forged@example.com",
        "--key",
        botJson,
        "--subject",
        user,
      ],
      env,
    );
    expect(r.code).toBe(1);
    expect(oneErrorAndHint(r.stderr)[0]).toContain("nope\\r\\nerror: forged@example.com");
  });
});
