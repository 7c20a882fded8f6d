import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, configSchema, parseConfig } from "../src/config.ts";

const hash = "a".repeat(64);
const valid = {
  delegation: { keyFile: "key.json", checkSubject: "info@example.com" },
  callers: [
    {
      name: "booking-app",
      tokenSha256: hash,
      subjects: ["*@example.com"],
      operations: ["freebusy"],
      scopes: ["https://www.googleapis.com/auth/calendar.readonly"],
    },
  ],
};

function refusal(json: unknown): ConfigError {
  try {
    parseConfig(json, "dwd-server.json");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("parseConfig accepted it");
}

describe("parseConfig()", () => {
  it("fills the defaults: 127.0.0.1, memory cache, stdout audit, limits", () => {
    const config = parseConfig(valid, "dwd-server.json");
    expect(config.listen).toStrictEqual({ host: "127.0.0.1", port: 8080 });
    expect(config.cache).toBe("memory");
    expect(config.audit).toBe("stdout");
    expect(config.limits).toStrictEqual({
      bodyBytes: 65536,
      subjectConcurrency: 4,
      subjectQueue: 32,
      upstreamTimeoutMs: 10_000,
      shutdownGraceMs: 10_000,
      requestTimeoutMs: 15_000,
    });
  });

  const cases: { name: string; json: unknown; field: string; message: string; hint: RegExp }[] = [
    {
      name: "a token instead of its hash",
      json: { ...valid, callers: [{ ...valid.callers[0], tokenSha256: "my-secret-token" }] },
      field: "callers[0].tokenSha256",
      message:
        'Cannot use the configuration "dwd-server.json": "callers[0].tokenSha256" must match ^[0-9a-f]{64}$ (64 lower-case hex digits)',
      hint: /dwd-server hash-token/,
    },
    {
      name: "an unknown operation",
      json: { ...valid, callers: [{ ...valid.callers[0], operations: ["events.nuke"] }] },
      field: "callers[0].operations[0]",
      message:
        'Cannot use the configuration "dwd-server.json": "callers[0].operations[0]" must be one of "calendarList.get", "events.list", "events.insert", "events.patch", "events.delete", "events.get", "events.update", "events.move", "events.instances", "freebusy", "availability", "token", "doctor", got "events.nuke"',
      hint: /^Use one of: calendarList\.get, /,
    },
    {
      name: "a subject pattern that is no email, domain or list",
      json: { ...valid, callers: [{ ...valid.callers[0], subjects: ["*"] }] },
      field: "callers[0].subjects[0]",
      message:
        'Cannot use the configuration "dwd-server.json": "callers[0].subjects[0]" must match ^(list:[A-Za-z0-9._-]+|\\*@[^@\\s]+\\.[^@\\s]+|[^@\\s*]+@[^@\\s]+\\.[^@\\s]+)$ (an email, "*@domain" or "list:NAME")',
      hint: /"\*@example\.com"/,
    },
    {
      name: "a list nobody defined",
      json: { ...valid, callers: [{ ...valid.callers[0], subjects: ["list:sales"] }] },
      field: "callers[0].subjects[0]",
      message:
        'Cannot use the configuration "dwd-server.json": "callers[0].subjects[0]" names the list "sales", which "subjectLists" does not define',
      hint: /list:sales/,
    },
    {
      name: "a missing delegation",
      json: { callers: valid.callers },
      field: "delegation",
      message: 'Cannot use the configuration "dwd-server.json": "delegation" is required',
      hint: /"delegation": \{ "keyFile"/,
    },
    {
      name: "keyless without the service account",
      json: { ...valid, delegation: { signer: "iam", checkSubject: "info@example.com" } },
      field: "delegation.serviceAccount",
      message:
        'Cannot use the configuration "dwd-server.json": "delegation.serviceAccount" is required with "signer": "iam"',
      hint: /service account's email/,
    },
    {
      name: "a cache that is neither memory nor Redis",
      json: { ...valid, cache: "memcached://x" },
      field: "cache",
      message:
        'Cannot use the configuration "dwd-server.json": "cache" must match ^(memory|rediss?://.+)$ ("memory" or a redis:// URL shared by replicas (tokens are encrypted with DWD_CACHE_KEY))',
      hint: /redis:\/\/127\.0\.0\.1:6379/,
    },
    {
      name: "a misspelt field",
      json: { ...valid, listen: { hots: "0.0.0.0" } },
      field: "listen.hots",
      message: 'Cannot use the configuration "dwd-server.json": "listen.hots" is not a known field',
      hint: /Remove the field or correct it/,
    },
    {
      name: "two callers with one token",
      json: { ...valid, callers: [valid.callers[0], { ...valid.callers[0], name: "other" }] },
      field: "callers[1].tokenSha256",
      message:
        'Cannot use the configuration "dwd-server.json": "callers[1].tokenSha256" is the same as another caller\'s',
      hint: /hash-token/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with the field, the problem and the fix`, () => {
      const error = refusal(c.json);
      expect(error.code).toBe("invalid_config");
      expect(error.issues[0]!.field).toBe(c.field);
      expect(error.message).toBe(c.message);
      expect(error.hint).toMatch(c.hint);
    });
  }

  it("reports every issue, not only the first", () => {
    const error = refusal({ ...valid, cache: 1, listen: { port: -1 } });
    expect(error.issues.map((i) => i.field)).toStrictEqual(["cache", "listen.port"]);
    expect(error.message).toMatch(/\(and 1 more: "listen\.port" must be at least 0, got -1\)$/);
  });
});

describe("dwd-server.schema.json", () => {
  it("is the schema parseConfig() validates with (written by the build)", () => {
    const file = JSON.parse(
      readFileSync(new URL("../dwd-server.schema.json", import.meta.url), "utf8"),
    ) as Record<string, unknown>;
    const { $schema, $id, title, ...rest } = file;
    expect([$schema, typeof $id, title]).toStrictEqual([
      "https://json-schema.org/draft/2020-12/schema",
      "string",
      "dwd-server configuration",
    ]);
    expect(rest).toStrictEqual(JSON.parse(JSON.stringify(configSchema)));
  });
});
