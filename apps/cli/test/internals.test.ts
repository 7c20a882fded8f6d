import { DelegationError, KeyError } from "@dwd/auth";
import { CalendarApiError } from "@dwd/calendar";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultScopes, parseScopes } from "../src/_internal/args.ts";
import { colorEnabled } from "../src/_internal/io.ts";
import { createNodeFetch } from "@dwd/calendar/node";
import { reportError } from "../src/_internal/report-error.ts";
import { UsageError } from "../src/_internal/usage-error.ts";
import { captureIo, cleanEnv, dwd } from "./helpers.ts";

/** The transport with the CLI's default bounds: 30 s of silence or 30 s in all is a failure. */
const nodeFetch = createNodeFetch({ timeoutMs: 30_000 });

describe("reportError()", () => {
  const cases = [
    {
      name: "a KeyError is bad local input",
      error: new KeyError(
        "key_file_not_found",
        'Cannot load key "k.json": the file does not exist',
        { hint: "Check the path" },
      ),
      code: 2,
    },
    {
      name: "a UsageError is a usage error",
      error: new UsageError('Unknown command "x"', "Run dwd --help"),
      code: 2,
    },
    {
      name: "a DelegationError is a refusal",
      error: new DelegationError(
        "delegation_not_authorized",
        "Cannot get a token: not authorized",
        { scopes: [], hint: "Add it" },
      ),
      code: 1,
    },
    {
      name: "a CalendarApiError is a refusal",
      error: new CalendarApiError("not_found", "Cannot get calendar: not found", {
        status: 404,
        method: "calendar.calendarList.get",
        scopes: [],
        hint: "Check the ID",
      }),
      code: 1,
    },
  ];
  for (const c of cases) {
    it(`prints message and hint without a stack: ${c.name}`, () => {
      const io = captureIo({});
      expect(reportError(c.error, io)).toBe(c.code);
      expect(io.stderr).toEqual([`error: ${c.error.message}`, `hint: ${c.error.hint ?? ""}`]);
      expect(io.stdout).toEqual([]);
    });
  }

  it("prints the stack and a please-report line for a bug (exit 70)", () => {
    const io = captureIo({});
    expect(reportError(new TypeError("x is not a function"), io)).toBe(70);
    expect(io.stderr[0]).toBe("error: internal error: x is not a function");
    expect(io.stderr[1]).toBe("TypeError: x is not a function");
    expect(io.stderr[2]).toMatch(/^\s+at /);
    expect(io.stderr.at(-1)).toMatch(/^This is a bug in dwd: please report it/);
  });
});

describe("colorEnabled()", () => {
  const cases = [
    { tty: true, env: {}, expected: true },
    { tty: false, env: {}, expected: false },
    { tty: true, env: { NO_COLOR: "1" }, expected: false },
    { tty: true, env: { NO_COLOR: "" }, expected: true },
    { tty: false, env: { FORCE_COLOR: "1" }, expected: true },
    { tty: true, env: { FORCE_COLOR: "0" }, expected: false },
    { tty: true, env: { FORCE_COLOR: "1", NO_COLOR: "true" }, expected: false },
    { tty: true, env: { TERM: "dumb" }, expected: false },
  ];
  for (const c of cases) {
    it(`is ${String(c.expected)} on ${c.tty ? "a TTY" : "a pipe"} with ${JSON.stringify(c.env)}`, () => {
      expect(colorEnabled(c.tty, c.env)).toBe(c.expected);
    });
  }
});

describe("parseScopes()", () => {
  const cases = [
    { input: undefined, expected: [...defaultScopes] },
    { input: "calendar.readonly", expected: ["https://www.googleapis.com/auth/calendar.readonly"] },
    {
      input: "calendar, https://www.googleapis.com/auth/calendar.events calendar",
      expected: [
        "https://www.googleapis.com/auth/calendar",
        "https://www.googleapis.com/auth/calendar.events",
      ],
    },
  ];
  for (const c of cases)
    it(`parses ${JSON.stringify(c.input)}`, () =>
      expect(parseScopes(c.input, defaultScopes)).toEqual(c.expected));

  it("rejects an empty list", () => {
    expect(() => parseScopes(" , ", defaultScopes)).toThrow(
      expect.objectContaining({
        name: "UsageError",
        message: "Missing value for --scopes",
      }) as Error,
    );
  });
});

describe("bundle start-up", () => {
  it("dwd --help compiles no command code and loads no server built-ins", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dwd-probe-"));
    try {
      const probe = join(dir, "probe.mjs");
      await writeFile(
        probe,
        'process.on("exit", () => process.stderr.write(JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (http|https|http2|tls|zlib)$/.test(m)))));\n',
      );
      const r = await dwd(["--help"], cleanEnv({ NODE_OPTIONS: `--import ${probe}` }));
      expect(r.code).toBe(0);
      // No network built-ins for --help (node:vm, which runs chunks/main.js, is in startup.test.ts).
      expect(r.stderr).toBe("[]");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("createNodeFetch()", () => {
  it("fails like fetch (a TypeError with code ETIMEDOUT as cause) when a server accepts but never answers", async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const error = await createNodeFetch({ timeoutMs: 50 })(`http://127.0.0.1:${port}/token`, {
        method: "POST",
        body: "x",
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toBe("no complete answer within 0.05 s");
      expect(((error as TypeError).cause as { code?: string }).code).toBe("ETIMEDOUT");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("fails at the overall deadline when a server trickles its answer, never silent long enough for the idle timeout", async () => {
    const trickle = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const timer = setInterval(() => res.write(" "), 10);
      res.on("close", () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickle.listen(0, "127.0.0.1", resolve));
    const { port } = trickle.address() as { port: number };
    try {
      // The answer's headers resolve the call; the deadline still covers reading its body.
      const error = await createNodeFetch({ timeoutMs: 60_000, deadlineMs: 300 })(
        `http://127.0.0.1:${port}/token`,
        { method: "POST", body: "x" },
      )
        .then((res) => res.text())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(TypeError);
      expect((error as TypeError).message).toBe("no complete answer within 0.3 s");
      expect(((error as TypeError).cause as { code?: string }).code).toBe("ETIMEDOUT");
    } finally {
      trickle.closeAllConnections();
      await new Promise((resolve) => trickle.close(resolve));
    }
  });

  it("refuses an answer larger than maxBodyBytes", async () => {
    const big = createHttpServer((_req, res) => res.end("x".repeat(5000)));
    await new Promise<void>((resolve) => big.listen(0, "127.0.0.1", resolve));
    const { port } = big.address() as { port: number };
    try {
      const error = await createNodeFetch({ timeoutMs: 60_000, maxBodyBytes: 1000 })(
        `http://127.0.0.1:${port}/`,
      )
        .then((res) => res.text())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((error as TypeError).message).toBe("the answer is larger than 1000 bytes");
      expect(((error as TypeError).cause as { code?: string }).code).toBe("EFBIG");
    } finally {
      big.closeAllConnections();
      await new Promise((resolve) => big.close(resolve));
    }
  });

  it("reads status, headers and body of an answer", async () => {
    const server = createHttpServer((req, res) => {
      res.writeHead(418, { "x-dwd": "yes", date: "Wed, 25 Nov 2026 12:00:00 GMT" });
      req.pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    try {
      const res = await nodeFetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "héllo",
      });
      expect([
        res.status,
        res.ok,
        res.headers.get("X-DWD"),
        res.headers.get("date"),
        res.headers.get("nope"),
      ]).toEqual([418, false, "yes", "Wed, 25 Nov 2026 12:00:00 GMT", null]);
      expect(await res.text()).toBe("héllo");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
