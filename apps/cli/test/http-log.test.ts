import { describe, expect, it } from "vitest";
import type { HttpStats } from "../src/_internal/http-log.ts";
import { retriesArg } from "../src/_internal/args.ts";
import { observeFetch, verboseFrom } from "../src/_internal/http-log.ts";
import { summaryLine } from "../src/_internal/many-users.ts";
import { UsageError } from "../src/_internal/usage-error.ts";

const tokenUri = "http://127.0.0.1:9/token";
const headers = (values: Record<string, string>) => ({
  get: (name: string): string | null => values[name] ?? null,
});

describe("observeFetch()", () => {
  it("counts API requests and token exchanges apart, and logs each exchange without secrets", async () => {
    const stats: HttpStats = { requests: 0, tokenExchanges: 0, retries: 0 };
    const lines: string[] = [];
    let clock = 0;
    const fetch = observeFetch(
      (url: string) => {
        clock += 12;
        return Promise.resolve({
          status: url === tokenUri ? 200 : 429,
          headers: headers(url === tokenUri ? {} : { "retry-after": "2" }),
        });
      },
      stats,
      { log: (l) => lines.push(l), tokenUri, now: () => clock },
    );
    await fetch(tokenUri, {
      method: "POST",
      body: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    });
    await fetch("http://127.0.0.1:9/calendar/v3/users/me/calendarList", {
      method: "GET",
      headers: { authorization: "Bearer ya29.secret-token" },
    } as { method: string });
    expect(stats).toEqual({ requests: 1, tokenExchanges: 1, retries: 0 });
    expect(lines).toEqual([
      "http: --> POST http://127.0.0.1:9/token  grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=[redacted]",
      "http: <-- 200 POST http://127.0.0.1:9/token in 12 ms",
      "http: --> GET http://127.0.0.1:9/calendar/v3/users/me/calendarList",
      "http: <-- 429 GET http://127.0.0.1:9/calendar/v3/users/me/calendarList in 12 ms  retry-after: 2",
    ]);
    expect(lines.join("\n")).not.toMatch(/eyJ|ya29|Bearer/);
  });

  it("logs a request that got no answer with the system error's code, and still rejects", async () => {
    const stats: HttpStats = { requests: 0, tokenExchanges: 0, retries: 0 };
    const lines: string[] = [];
    const reset = new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
    const fetch = observeFetch(
      () => Promise.reject<{ status: number; headers: { get: () => null } }>(reset),
      stats,
      { log: (l) => lines.push(l), tokenUri, now: () => 0 },
    );
    await expect(fetch("http://127.0.0.1:9/batch/calendar/v3", { method: "POST" })).rejects.toBe(
      reset,
    );
    expect(lines.at(-1)).toBe(
      "http: <-- failed POST http://127.0.0.1:9/batch/calendar/v3 after 0 ms: ECONNRESET",
    );
    expect(stats.requests).toBe(1);
  });
});

describe("--verbose, DWD_LOG and --retries", () => {
  it("--verbose or DWD_LOG naming http turns the log on", () => {
    expect(verboseFrom({ verbose: true }, {})).toBe(true);
    expect(verboseFrom({}, { DWD_LOG: "http" })).toBe(true);
    expect(verboseFrom({}, { DWD_LOG: "cache, HTTP" })).toBe(true);
    expect(verboseFrom({}, { DWD_LOG: "https" })).toBe(false);
    expect(verboseFrom({}, {})).toBe(false);
  });
  it("--retries takes 0 to 10", () => {
    expect(retriesArg({})).toBeUndefined();
    expect(retriesArg({ retries: "0" })).toBe(0);
    expect(retriesArg({ retries: "10" })).toBe(10);
    for (const bad of ["11", "-1", "2.5", "three"]) {
      const run = (): unknown => retriesArg({ retries: bad });
      expect(run).toThrow(UsageError);
      expect(run).toThrow(`Invalid --retries "${bad}": not a number from 0 to 10`);
    }
  });
});

describe("summaryLine()", () => {
  it("says users ok and failed, requests, token exchanges, retries and time, in words that agree", () => {
    expect(
      summaryLine({
        users: 200,
        failed: 2,
        requests: 5,
        tokenExchanges: 201,
        retries: 3,
        elapsedMs: 4_230,
      }),
    ).toBe(
      "summary: 200 users: 198 ok, 2 failed; 5 requests, 201 token exchanges, 3 retries; 4.2 s",
    );
    expect(
      summaryLine({
        users: 1,
        failed: 0,
        requests: 1,
        tokenExchanges: 1,
        retries: 1,
        elapsedMs: 12_600,
      }),
    ).toBe("summary: 1 user: 1 ok, 0 failed; 1 request, 1 token exchange, 1 retry; 13 s");
  });
});
