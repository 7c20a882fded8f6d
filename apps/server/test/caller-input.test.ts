// Input that is the caller's fault is the caller's error (issue 14, item 4): over HTTP, as dwd-server
// listens; the configuration's hostile names at start and on SIGHUP with the bundled server.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator } from "@dwd/emulator/node";
import type { RunningEmulator } from "@dwd/emulator/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../src/config.ts";
import { BOOKING_TOKEN, RO, expectNoSecrets, seen, sha256Hex, testConfig } from "./helpers.ts";
import type { Listening } from "./http.ts";
import { listen } from "./http.ts";
import { call, runServer, startServer } from "./spawn.ts";

const tmp = mkdtempSync(join(tmpdir(), "dwd-caller-input-"));
let server: Listening;
beforeAll(async () => {
  const base = await testConfig();
  server = await listen({ config: { ...base, limits: { ...base.limits, bodyBytes: 65_536 } } });
});
afterAll(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
  expectNoSecrets(seen);
});

const prototypeNames = ["constructor", "toString", "__proto__", "hasOwnProperty"];

describe("request bodies", () => {
  it("a deeply nested event body (10,000 arrays in 20 KB) is 400 invalid_json, not retried, not a Google outage", async () => {
    const before = server.h.emulator.stats.apiRequests;
    const nested = `{"start":{"dateTime":"2026-12-01T09:00:00Z"},"end":{"dateTime":"2026-12-01T10:00:00Z"},"extendedProperties":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    const r = await fetch(`${server.url}/v1/users/ana@example.com/calendars/primary/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${BOOKING_TOKEN}`, "content-type": "application/json" },
      body: nested,
    });
    const body = (await r.json()) as Record<string, unknown>;
    expect(r.status).toBe(400);
    expect(body).toMatchObject({
      code: "invalid_json",
      detail: "Cannot read the body: it nests objects and arrays deeper than 32 levels",
      hint: "Send a flatter JSON object (a Calendar event needs fewer than 10 levels)",
    });
    expect(server.h.emulator.stats.apiRequests).toBe(before);
    expect(server.h.audit.at(-1)).toMatchObject({
      outcome: "invalid",
      status: 400,
      code: "invalid_json",
    });
  });

  for (const name of prototypeNames) {
    it(`a body field named "${name}" is an unknown field (400), in free/busy and in the token broker`, async () => {
      const fb = await fetch(`${server.url}/v1/freebusy`, {
        method: "POST",
        headers: { authorization: `Bearer ${BOOKING_TOKEN}`, "content-type": "application/json" },
        // Written as text: an object literal's __proto__ would set the prototype, not a field.
        body: `{"subjects":["ana@example.com"],"timeMin":"2026-12-01T00:00:00Z","timeMax":"2026-12-02T00:00:00Z","${name}":{"x":1}}`,
      });
      expect(fb.status).toBe(400);
      expect(await fb.json()).toMatchObject({
        code: "invalid_request",
        errors: [{ field: name, problem: "is not a known field" }],
      });
      const token = await fetch(`${server.url}/v1/token`, {
        method: "POST",
        headers: { authorization: `Bearer ${BOOKING_TOKEN}`, "content-type": "application/json" },
        body: `{"subject":"ana@example.com","scopes":["${RO}"],"${name}":"x"}`,
      });
      expect(token.status).toBe(400);
      expect(await token.json()).toMatchObject({
        detail: `The request is invalid: "${name}" is not a known field`,
      });
    });
  }
});

describe("audit lines", () => {
  it("escape U+202E, C1 controls and U+2028 from the path as the CLI does, and still parse to the same record", async () => {
    const calendar = "a\u202Eb\u0085c\u2028d\u009Be";
    const r = await call(
      `${server.url}/v1/users/ana@example.com/calendars/${encodeURIComponent(calendar)}/events`,
      { token: BOOKING_TOKEN },
    );
    expect(r.body).toMatchObject({ status: 404, code: "not_found" });
    const line = server.h.auditLines.at(-1)!;
    expect(line).toContain(String.raw`"calendar":"a\u202eb\u0085c\u2028d\u009be"`);
    expect(line).not.toMatch(/[\u007F-\u009F\u2028\u2029\u202A-\u202E]/);
    expect((JSON.parse(line) as { calendar: string }).calendar).toBe(calendar);
  });
});

describe("configuration entries named like Object.prototype's members", () => {
  const key = (): Promise<Record<string, unknown>> =>
    testConfig().then(async (c) => ({
      delegation: { keyFile: "k.json", checkSubject: "info@example.com" },
      callers: [
        {
          name: "a",
          tokenSha256: await sha256Hex("x-token-0001"),
          subjects: ["*@example.com"],
          operations: c.callers[0]!.operations,
          scopes: [RO],
        },
      ],
    }));
  for (const name of prototypeNames) {
    it(`"list:${name}" naming no list is refused with the field and the fix`, async () => {
      const config = await key();
      (config.callers as { subjects: string[] }[])[0]!.subjects = [`list:${name}`];
      expect(() => parseConfig(config, "x.json")).toThrow(ConfigError);
      expect(() => parseConfig(config, "x.json")).toThrow(
        `Cannot use the configuration "x.json": "callers[0].subjects[0]" names the list "${name}", which "subjectLists" does not define`,
      );
    });
  }

  it(`an unknown top-level field named "constructor" is refused`, async () => {
    const config: unknown = JSON.parse(
      `{"constructor":{"a":1},${JSON.stringify(await key()).slice(1)}`,
    );
    expect(() => parseConfig(config, "x.json")).toThrow(
      `Cannot use the configuration "x.json": "constructor" is not a known field`,
    );
  });

  describe("the bundled server", () => {
    let emulator: RunningEmulator;
    beforeAll(async () => {
      emulator = await startEmulator({ keysDir: tmp, scenario: "demo" });
    });
    afterAll(async () => {
      await emulator.close();
    });
    const config = async (subjects: string[], lists: string) =>
      `{"listen":{"port":0},"delegation":{"keyFile":${JSON.stringify(emulator.keyFiles["calendar-bot"]!.json)},"checkSubject":"info@example.com","tokenUri":"${emulator.url}/token","calendarRoot":"${emulator.url}/calendar/v3"},"subjectLists":${lists},"callers":[{"name":"app","tokenSha256":"${await sha256Hex("hup-token-000001")}","subjects":${JSON.stringify(subjects)},"operations":["calendarList.get"],"scopes":["${RO}"]}]}`;

    it("refuses list:toString at start with exit 2 and one line, no stack trace", async () => {
      const file = join(tmp, "to-string.json");
      writeFileSync(file, await config(["list:toString"], "{}"));
      const r = await runServer("node", ["--config", file]);
      expect(r.code).toBe(2);
      expect(r.stderr.split("\n")[0]).toBe(
        `error: Cannot use the configuration "${file}": "callers[0].subjects[0]" names the list "toString", which "subjectLists" does not define`,
      );
      expect(r.stderr).not.toContain("    at ");
    });

    it("on SIGHUP, a file naming list:constructor is refused and the policy in force stays; a __proto__ list works", async () => {
      const file = join(tmp, "hup.json");
      writeFileSync(file, await config(["list:__proto__"], '{"__proto__":["ana@example.com"]}'));
      const s = await startServer("node", ["--config", file]);
      const ana = `${s.url}/v1/users/ana@example.com/calendarList/primary`;
      expect((await call(ana, { token: "hup-token-000001" })).status).toBe(200);
      const bob = await call(`${s.url}/v1/users/bob@example.com/calendarList/primary`, {
        token: "hup-token-000001",
      });
      expect(bob.body).toMatchObject({ status: 403, code: "subject_not_allowed" });
      writeFileSync(file, await config(["list:constructor"], '{"hasOwnProperty":[]}'));
      s.child.kill("SIGHUP");
      await expect
        .poll(() => s.stderr.some((l) => l.includes("SIGHUP: kept the current policy")), {
          timeout: 10_000,
          interval: 20,
        })
        .toBe(true);
      expect(s.stderr.join("\n")).toContain(
        'names the list \\"constructor\\", which \\"subjectLists\\" does not define',
      );
      expect(s.child.exitCode).toBeNull();
      expect((await call(ana, { token: "hup-token-000001" })).status).toBe(200);
      expect(await s.stop()).toBe(0);
    });
  });
});
