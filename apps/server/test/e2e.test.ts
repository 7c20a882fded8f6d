// End to end: the bundled server (and the source entry under Deno) on a real port, the embedded
// emulator behind it, driven over HTTP like an app would.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator } from "@dwd/emulator";
import { createCalendarClient } from "@dwd/calendar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAL, RO, expectNoSecrets, seen, sha256Hex } from "./helpers.ts";
import type { RunningServer, Runtime } from "./spawn.ts";
import { call, runServer, startServer, waitFor } from "./spawn.ts";

const BOOKING = "demo-booking-token";
const INTRUDER = "demo-intruder-token";
// Whether this build's @dwd/calendar client has the events and free/busy methods (contract 3).
const probe = createCalendarClient({
  tokenSource: { getToken: () => Promise.reject(new Error("unused")) },
}) as unknown as Record<string, unknown>;
const hasEvents = typeof probe.events === "object" && typeof probe.freebusy === "object";

const tmp = mkdtempSync(join(tmpdir(), "dwd-server-e2e-"));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  expectNoSecrets(seen);
});

for (const runtime of ["node", "deno"] as Runtime[]) {
  describe(`dwd-server --emulator (${runtime})`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer(runtime, ["--emulator", "--port", "0"]);
      await waitFor(async () => (await call(`${server.url}/readyz`)).status === 200);
    });
    afterAll(async () => {
      expect(await server.stop("SIGTERM")).toBe(0);
      // The demo tokens appear in the banner's curls, and nowhere else: no audit or log line has them.
      const logged = [...server.stdout.filter((l) => l.startsWith("{")), ...server.stderr].join(
        "\n",
      );
      expect(server.audit().length).toBeGreaterThan(10);
      expect(logged).not.toContain(BOOKING);
      expect(logged).not.toContain(INTRUDER);
    });
    const lastAudit = (): Record<string, unknown> => server.audit().at(-1)!;

    it("prints its URL first, then a ready-to-paste curl per route", () => {
      expect(server.stdout[0]).toBe(`dwd-server listening on ${server.url}`);
      const curls = server.stdout.filter((l) => l.trim().startsWith("curl "));
      for (const path of [
        "/calendarList/primary",
        "/calendars/primary/events",
        "/v1/freebusy",
        "/v1/availability",
        "/v1/token",
        "/v1/doctor",
        "/readyz",
      ]) {
        expect(curls.some((l) => l.includes(path))).toBe(true);
      }
      expect(curls[0]).toContain(`-H 'Authorization: Bearer ${BOOKING}'`);
    });

    it("the seed call: calendarList.get as the subject, one audit line", async () => {
      const r = await call(`${server.url}/v1/users/info@example.com/calendarList/primary`, {
        token: BOOKING,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id: "info@example.com", primary: true, accessRole: "owner" });
      expect(lastAudit()).toMatchObject({
        caller: "booking-app",
        subject: "info@example.com",
        operation: "calendarList.get",
        calendar: "primary",
        outcome: "ok",
        status: 200,
      });
    });

    it("the token broker hands out a token that the emulator's Calendar accepts", async () => {
      const r = await call(`${server.url}/v1/token`, {
        token: BOOKING,
        json: { subject: "ana@example.com", scopes: [RO] },
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        tokenType: "Bearer",
        subject: "ana@example.com",
        scopes: [RO],
      });
      expect(lastAudit()).toMatchObject({
        caller: "booking-app",
        operation: "token",
        subject: "ana@example.com",
        status: 200,
      });
      expect(JSON.stringify(server.audit())).not.toContain(String(r.body.accessToken));
    });

    const denials: {
      name: string;
      path: string;
      token?: string;
      json?: unknown;
      status: number;
      code: string;
      detail: string;
      caller?: string;
    }[] = [
      {
        name: "no token",
        path: "/v1/users/info@example.com/calendarList/primary",
        status: 401,
        code: "missing_token",
        detail:
          "No bearer token in the Authorization header: every request must carry the caller's",
      },
      {
        name: "a wrong token",
        path: "/v1/users/info@example.com/calendarList/primary",
        token: "wrong-token-123456",
        status: 401,
        code: "unknown_token",
        detail: "The bearer token matches no caller of this server",
      },
      {
        name: "a subject outside the policy",
        path: "/v1/users/ceo@other.org/calendarList/primary",
        token: BOOKING,
        status: 403,
        code: "subject_not_allowed",
        detail:
          'Caller "booking-app" may not act as "ceo@other.org": the subject is outside its policy',
        caller: "booking-app",
      },
      {
        name: "an operation outside the policy",
        path: "/v1/users/ana@example.com/calendars/primary/events/abc",
        token: BOOKING,
        status: 403,
        code: "operation_not_allowed",
        detail:
          'Caller "booking-app" may not call the "events.delete" operation: its policy allows "calendarList.get", "events.list", "events.insert", "freebusy", "availability", "token", "doctor"',
        caller: "booking-app",
      },
      {
        name: "a scope outside the policy",
        path: "/v1/token",
        token: BOOKING,
        json: {
          subject: "ana@example.com",
          scopes: ["https://www.googleapis.com/auth/gmail.readonly"],
        },
        status: 403,
        code: "scope_not_allowed",
        detail:
          'Caller "booking-app" may not use "https://www.googleapis.com/auth/gmail.readonly" in the "token" operation: its policy allows "https://www.googleapis.com/auth/calendar.readonly", "https://www.googleapis.com/auth/calendar"',
        caller: "booking-app",
      },
    ];
    for (const d of denials) {
      it(`refuses ${d.name}: ${d.status} ${d.code}, problem+json, audit line`, async () => {
        const r = await call(`${server.url}${d.path}`, {
          ...(d.token ? { token: d.token } : {}),
          ...(d.json ? { json: d.json } : {}),
          ...(d.code === "operation_not_allowed" ? { method: "DELETE" } : {}),
        });
        expect(r.status).toBe(d.status);
        expect(r.headers.get("content-type")).toBe("application/problem+json");
        expect(r.body).toMatchObject({
          type: `urn:dwd:problem:${d.code}`,
          status: d.status,
          code: d.code,
          detail: d.detail,
        });
        expect(typeof r.body.hint).toBe("string");
        expect(lastAudit()).toMatchObject({
          outcome: "denied",
          status: d.status,
          code: d.code,
          ...(d.caller ? { caller: d.caller } : {}),
        });
      });
    }

    it("refuses a caller over its rate: 429 with Retry-After (the intruder may make 5 requests a minute)", async () => {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 6; i++) {
        last = await call(`${server.url}/v1/users/info@example.com/calendarList/primary`, {
          token: INTRUDER,
        });
        statuses.push(last.status);
      }
      expect(statuses).toStrictEqual([403, 403, 403, 403, 403, 429]);
      expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(last!.body).toMatchObject({
        code: "rate_limited",
        detail: 'Caller "intruder" is over its rate of 5 requests per minute',
      });
      expect(lastAudit()).toMatchObject({
        caller: "intruder",
        outcome: "denied",
        status: 429,
        code: "rate_limited",
      });
    });

    it.runIf(hasEvents)(
      "events: insert with an Idempotency-Key lands once, then list finds it",
      async () => {
        const base = `${server.url}/v1/users/ana@example.com/calendars/primary/events`;
        const event = {
          summary: "Booked demo",
          start: { dateTime: "2026-12-01T10:00:00Z" },
          end: { dateTime: "2026-12-01T10:30:00Z" },
        };
        const first = await call(base, {
          token: BOOKING,
          json: event,
          headers: { "idempotency-key": `e2e-${runtime}` },
        });
        const again = await call(base, {
          token: BOOKING,
          json: event,
          headers: { "idempotency-key": `e2e-${runtime}` },
        });
        expect([first.status, again.status]).toStrictEqual([201, 200]);
        expect(again.body.id).toBe(first.body.id);
        const list = await call(
          `${base}?timeMin=2026-12-01T00:00:00Z&timeMax=2026-12-02T00:00:00Z&q=Booked`,
          { token: BOOKING },
        );
        expect(list.status).toBe(200);
        expect(
          (list.body.items as { id: string }[]).filter((e) => e.id === first.body.id),
        ).toHaveLength(1);
        expect(
          server
            .audit()
            .slice(-3)
            .map((a) => [a.operation, a.status]),
        ).toStrictEqual([
          ["events.insert", 201],
          ["events.insert", 200],
          ["events.list", 200],
        ]);
      },
    );

    it.runIf(hasEvents)("free/busy and availability across users", async () => {
      const range = { timeMin: "2026-12-01T00:00:00Z", timeMax: "2026-12-02T00:00:00Z" };
      await call(`${server.url}/v1/users/bob@example.com/calendars/primary/events`, {
        token: BOOKING,
        json: {
          summary: "Busy",
          start: { dateTime: "2026-12-01T09:00:00Z" },
          end: { dateTime: "2026-12-01T12:00:00Z" },
        },
        headers: { "idempotency-key": `busy-${runtime}` },
      });
      const fb = await call(`${server.url}/v1/freebusy`, {
        token: BOOKING,
        json: { subjects: ["ana@example.com", "bob@example.com"], ...range },
      });
      expect(fb.status).toBe(200);
      const subjects = fb.body.subjects as Record<
        string,
        { busy: { start: string; end: string }[] }
      >;
      expect(
        subjects["bob@example.com"]!.busy.map((b) => [Date.parse(b.start), Date.parse(b.end)]),
      ).toContainEqual([Date.parse("2026-12-01T09:00:00Z"), Date.parse("2026-12-01T12:00:00Z")]);
      const av = await call(`${server.url}/v1/availability`, {
        token: BOOKING,
        json: {
          subjects: ["ana@example.com", "bob@example.com"],
          ...range,
          durationMinutes: 60,
          stepMinutes: 60,
          timeZone: "UTC",
          workingHours: { start: "08:00", end: "14:00", days: [1, 2, 3, 4, 5, 6, 7] },
        },
      });
      expect(av.status).toBe(200);
      const starts = (av.body.slots as { start: string }[]).map((s) => s.start.slice(11, 16));
      expect(starts).toContain("08:00");
      expect(starts).not.toContain("09:00");
      expect(starts).not.toContain("11:00");
      expect(starts).toContain("12:00");
    });

    it("/v1/doctor, /readyz, /metrics and /openapi.json answer", async () => {
      const doctor = await call(`${server.url}/v1/doctor`, { token: BOOKING });
      expect(doctor.status).toBe(200);
      expect(doctor.body).toMatchObject({
        ok: true,
        subject: "info@example.com",
        missingScopes: [],
      });
      expect((await call(`${server.url}/readyz`)).body).toStrictEqual({
        ready: true,
        delegation: "checked: ok",
        cache: "memory",
        budgets: "memory",
      });
      const metrics = await call(`${server.url}/metrics`);
      expect(metrics.text).toMatch(
        /^dwd_policy_denials_total\{code="rate_limited",caller="intruder"\} 1$/m,
      );
      expect(metrics.text).toMatch(
        /^dwd_http_requests_total\{route="\/v1\/token",method="POST",status="200"\} \d+$/m,
      );
      expect((await call(`${server.url}/openapi.json`)).body.openapi).toBe("3.1.0");
    });
  });
}

describe("dwd-server lifecycle (node bundle)", () => {
  it("SIGTERM stops accepting, finishes the request in flight, exits 0", async () => {
    // An emulator behind a gate: its Calendar answers only when the test opens it.
    const emulator = await createEmulator({ scenario: "demo" });
    let open: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const gate = new Promise<void>((resolve) => (open = resolve));
    const http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void (async () => {
          if (req.url?.startsWith("/calendar/v3/users/me/calendarList/ana")) {
            arrived();
            await gate;
          }
          const request = new Request(`${emulator.baseUrl}${req.url}`, {
            method: req.method,
            headers: req.headers as Record<string, string>,
            ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
          });
          const response = await emulator.fetch(request);
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        })();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    emulator.baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const keyFile = join(tmp, "calendar-bot.json");
    writeFileSync(keyFile, JSON.stringify(await emulator.serviceAccountKeyJson("calendar-bot")), {
      mode: 0o600,
    });
    try {
      const server = await startServer("node", [
        "--emulator-url",
        emulator.baseUrl,
        "--key",
        keyFile,
        "--port",
        "0",
      ]);
      await expect
        .poll(async () => (await call(`${server.url}/readyz`)).status, {
          timeout: 30_000,
          interval: 50,
        })
        .toBe(200);
      const inFlight = call(`${server.url}/v1/users/ana@example.com/calendarList/ana@example.com`, {
        token: BOOKING,
      });
      await reached;
      server.child.kill("SIGTERM");
      await expect
        .poll(
          () =>
            server.stderr.some((l) =>
              l.includes("SIGTERM: no new connections; finishing 1 request(s) in flight"),
            ),
          { timeout: 10_000, interval: 20 },
        )
        .toBe(true);
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
      open();
      const r = await inFlight;
      expect(r.status).toBe(200);
      expect(r.body.id).toBe("ana@example.com");
      expect(await server.exited).toBe(0);
      expect(server.audit().at(-1)).toMatchObject({
        operation: "calendarList.get",
        subject: "ana@example.com",
        status: 200,
      });
    } finally {
      open();
      http.close();
      http.closeAllConnections();
    }
  });

  it("keyless: a configuration with signer iam signs through the IAM Credentials API as the ADC caller", async () => {
    const { startEmulator } = await import("@dwd/emulator/node");
    const dir = mkdtempSync(join(tmp, "keyless-"));
    const emu = await startEmulator({ scenario: "demo", keysDir: join(dir, "keys") });
    const bot = emu.emulator.serviceAccount("calendar-bot").email;
    const token = "keyless-app-token-1234";
    const file = join(dir, "dwd-server.json");
    writeFileSync(
      file,
      JSON.stringify({
        listen: { port: 0 },
        delegation: { signer: "iam", serviceAccount: bot, checkSubject: "info@example.com" },
        callers: [
          {
            name: "keyless-app",
            tokenSha256: await sha256Hex(token),
            subjects: ["*@example.com"],
            operations: ["calendarList.get", "doctor"],
            scopes: [RO],
          },
        ],
      }),
    );
    const env = (caller: string) => ({
      DWD_EMULATOR_HOST: new URL(emu.url).host,
      GOOGLE_APPLICATION_CREDENTIALS: emu.keyFiles[caller]!.json,
      HOME: dir,
    });
    try {
      // deployer holds Token Creator on calendar-bot: ready, and the seed call works as info@.
      const server = await startServer("node", ["--config", file], env("deployer"));
      try {
        await waitFor(async () => (await call(`${server.url}/readyz`)).status === 200);
        const r = await call(`${server.url}/v1/users/info@example.com/calendarList/primary`, {
          token,
        });
        expect(r.status).toBe(200);
        expect(r.body.id).toBe("info@example.com");
        expect(emu.emulator.stats.byEndpoint["iam.signJwt"] ?? 0).toBeGreaterThan(0);
      } finally {
        await server.stop();
      }
      // intruder does not: never ready, and the doctor names the role and the gcloud line.
      const refused = await startServer("node", ["--config", file], env("intruder"));
      try {
        await waitFor(
          async () => (await call(`${refused.url}/v1/doctor`, { token })).status === 503,
        );
        const doctor = await call(`${refused.url}/v1/doctor`, { token });
        expect(JSON.stringify(doctor.body)).toContain("roles/iam.serviceAccountTokenCreator");
        expect((await call(`${refused.url}/readyz`)).status).toBe(503);
      } finally {
        await refused.stop();
      }
    } finally {
      await emu.close();
    }
  }, 60_000);

  it("SIGHUP reloads the policy from the configuration without dropping the server", async () => {
    const emulator = await createEmulator({ scenario: "demo" });
    const http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void (async () => {
          const response = await emulator.fetch(
            new Request(`${emulator.baseUrl}${req.url}`, {
              method: req.method,
              headers: req.headers as Record<string, string>,
              ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
            }),
          );
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        })();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    emulator.baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmp, "hup-"));
    writeFileSync(
      join(dir, "key.json"),
      JSON.stringify(await emulator.serviceAccountKeyJson("calendar-bot")),
      { mode: 0o600 },
    );
    const caller = async (name: string, token: string) => ({
      name,
      tokenSha256: await sha256Hex(token),
      subjects: ["*@example.com"],
      operations: ["calendarList.get"],
      scopes: [RO, CAL],
    });
    const config = async (name: string, token: string) =>
      JSON.stringify({
        listen: { port: 0 },
        delegation: {
          keyFile: "key.json",
          checkSubject: "info@example.com",
          calendarRoot: `${emulator.baseUrl}/calendar/v3`,
        },
        callers: [await caller(name, token)],
      });
    const file = join(dir, "dwd-server.json");
    writeFileSync(file, await config("app-v1", "first-token-abcdef"));
    try {
      const server = await startServer("node", ["--config", file]);
      const path = `${server.url}/v1/users/ana@example.com/calendarList/primary`;
      expect((await call(path, { token: "first-token-abcdef" })).status).toBe(200);
      writeFileSync(file, await config("app-v2", "second-token-abcdef"));
      server.child.kill("SIGHUP");
      await expect
        .poll(
          () => server.stderr.some((l) => l.includes("SIGHUP: policy reloaded (1 caller(s))")),
          { timeout: 10_000, interval: 20 },
        )
        .toBe(true);
      expect((await call(path, { token: "first-token-abcdef" })).status).toBe(401);
      expect((await call(path, { token: "second-token-abcdef" })).status).toBe(200);
      // A broken file is refused and the policy in force stays.
      writeFileSync(file, "{ not json");
      server.child.kill("SIGHUP");
      await expect
        .poll(() => server.stderr.some((l) => l.includes("SIGHUP: kept the current policy")), {
          timeout: 10_000,
          interval: 20,
        })
        .toBe(true);
      expect((await call(path, { token: "second-token-abcdef" })).status).toBe(200);
      expect(await server.stop()).toBe(0);
    } finally {
      http.close();
      http.closeAllConnections();
    }
  });

  it("refuses a bad configuration at start: error, hint, exit 2", async () => {
    const file = join(tmp, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({
        delegation: { keyFile: "k.json", checkSubject: "info@example.com" },
        callers: [
          {
            name: "a",
            tokenSha256: "plain-token",
            subjects: ["*@example.com"],
            operations: ["freebusy"],
            scopes: [RO],
          },
        ],
      }),
    );
    const r = await runServer("node", ["--config", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `error: Cannot use the configuration "${file}": "callers[0].tokenSha256" must match ^[0-9a-f]{64}$ (64 lower-case hex digits)\n` +
        'hint: Run `printf %s "$TOKEN" | dwd-server hash-token` and paste the 64 hex digits it prints (never the token itself)\n',
    );
  });

  it("hash-token prints the SHA-256 of the token on stdin", async () => {
    const r = await runServer("node", ["hash-token"], "first-token-abcdef\n");
    expect(r).toStrictEqual({
      code: 0,
      stdout: `${await sha256Hex("first-token-abcdef")}\n`,
      stderr: "",
    });
    const empty = await runServer("node", ["hash-token"], "");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe(
      'error: No token on standard input: hash-token reads the token from stdin\nhint: Pipe it in without a newline: printf %s "$TOKEN" | dwd-server hash-token\n',
    );
  });

  it("refuses conflicting modes with exit 2", async () => {
    const r = await runServer("node", ["--emulator", "--config", "x.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: --config, --emulator and --emulator-url exclude each other\nhint: Give exactly one of them\n",
    );
  });
});
