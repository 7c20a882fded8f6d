import { describe, expect, it } from "vitest";
import { emulatorStart, faultsFromFlags, pushAllowFromFlag } from "../src/commands/emulator.ts";
import { UsageError } from "../src/_internal/usage-error.ts";
import { captureIo } from "./helpers.ts";

describe("faultsFromFlags()", () => {
  const ok = [
    { name: "no flags", flags: {}, faults: undefined },
    { name: "--latency 50", flags: { latency: "50" }, faults: { latencyMs: 50 } },
    {
      name: "--fault-rate 0.2 spreads over five kinds",
      flags: { faultRate: "0.2" },
      faults: { errorRates: { "429": 0.04, "403": 0.04, "500": 0.04, "503": 0.04, reset: 0.04 } },
    },
    {
      name: "--fault per kind overrides the spread",
      flags: { faultRate: "0.1", fault: "429=0.1,reset=0.05" },
      faults: { errorRates: { "429": 0.1, "403": 0.02, "500": 0.02, "503": 0.02, reset: 0.05 } },
    },
    {
      name: "--fault-seed",
      flags: { fault: "503=1", faultSeed: "42" },
      faults: { errorRates: { "503": 1 }, seed: 42 },
    },
  ];
  for (const c of ok) {
    it(`reads ${c.name}`, () => {
      const got = faultsFromFlags(c.flags);
      if (c.faults === undefined) expect(got).toBeUndefined();
      else {
        expect(Object.keys(got ?? {}).sort()).toEqual(Object.keys(c.faults).sort());
        const rates = (c.faults.errorRates ?? {}) as Record<string, number>;
        for (const [k, v] of Object.entries(rates))
          expect(got?.errorRates?.[k as "429"]).toBeCloseTo(v, 10);
        expect(got?.latencyMs).toBe(c.faults.latencyMs);
        expect(got?.seed).toBe(c.faults.seed);
      }
    });
  }

  const bad = [
    {
      flags: { latency: "fast" },
      message: 'Invalid --latency "fast": not a number of milliseconds',
      hint: "Give whole milliseconds from 0 to 600000, e.g. --latency 50",
    },
    {
      flags: { faultRate: "1.5" },
      message: 'Invalid --fault-rate "1.5": not a rate from 0 to 1',
      hint: "Give a fraction of calls, e.g. --fault-rate 0.2",
    },
    {
      flags: { fault: "418=0.1" },
      message: 'Invalid --fault "418=0.1": unknown kind "418"',
      hint: "Use kinds 429, 403, 500, 503, reset as KIND=RATE, e.g. --fault 429=0.1,reset=0.05",
    },
    {
      flags: { fault: "429=0.7,503=0.7" },
      message: "Invalid fault rates: they add up to 1.4, more than 1",
      hint: "Lower the rates so that together they are at most 1",
    },
  ];
  for (const c of bad) {
    it(`refuses ${JSON.stringify(c.flags)} with a usage error`, () => {
      let thrown: unknown;
      try {
        faultsFromFlags(c.flags);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).message).toBe(c.message);
      expect((thrown as UsageError).hint).toBe(c.hint);
    });
  }
});

describe("push fault flags: --push-drop and --push-delay-ms", () => {
  it("reads a drop rate, a fixed delay and a delay range, with the shared seed", () => {
    expect(faultsFromFlags({ pushDrop: "0.3", pushDelayMs: "200", faultSeed: "7" })).toEqual({
      pushDropRate: 0.3,
      pushDelayMs: 200,
      seed: 7,
    });
    expect(faultsFromFlags({ pushDelayMs: "50-500" })).toEqual({ pushDelayMs: [50, 500] });
  });

  const bad = [
    {
      flags: { pushDrop: "2" },
      message: 'Invalid --push-drop "2": not a rate from 0 to 1',
      hint: "Give a fraction of notifications, e.g. --push-drop 0.3",
    },
    {
      flags: { pushDelayMs: "soon" },
      message: 'Invalid --push-delay-ms "soon": not milliseconds or a range MIN-MAX',
      hint: "Give whole milliseconds from 0 to 600000, or a range, e.g. --push-delay-ms 200 or --push-delay-ms 50-500",
    },
    {
      flags: { pushDelayMs: "500-50" },
      message: 'Invalid --push-delay-ms "500-50": not milliseconds or a range MIN-MAX',
      hint: "Give whole milliseconds from 0 to 600000, or a range, e.g. --push-delay-ms 200 or --push-delay-ms 50-500",
    },
  ];
  for (const c of bad) {
    it(`refuses ${JSON.stringify(c.flags)} with a usage error`, () => {
      expect(() => faultsFromFlags(c.flags)).toThrow(UsageError);
      try {
        faultsFromFlags(c.flags);
      } catch (err) {
        expect({ message: (err as UsageError).message, hint: (err as UsageError).hint }).toEqual({
          message: c.message,
          hint: c.hint,
        });
      }
    });
  }
});

describe("pushAllowFromFlag(): loopback origins only", () => {
  it("takes loopback and origins on 127.0.0.1, localhost and [::1]", () => {
    expect(pushAllowFromFlag(undefined)).toBeUndefined();
    expect(
      pushAllowFromFlag("loopback, http://127.0.0.1:8090,https://localhost:9443,http://[::1]:80"),
    ).toEqual(["loopback", "http://127.0.0.1:8090", "https://localhost:9443", "http://[::1]:80"]);
  });

  it("refuses an origin outside the machine, and anything that is no origin", () => {
    const hint =
      "Give loopback origins without a path, comma-separated, or loopback for any: e.g. --push-allow loopback or --push-allow http://127.0.0.1:8090";
    const cases: [string, string][] = [
      [
        "loopback,https://hooks.example.com",
        'Invalid --push-allow "https://hooks.example.com": not a loopback origin (the emulator never posts outside the machine)',
      ],
      [
        "http://127.0.0.1:8090/hook",
        'Invalid --push-allow "http://127.0.0.1:8090/hook": not an http(s) origin',
      ],
      ["everywhere", 'Invalid --push-allow "everywhere": not an http(s) origin'],
    ];
    for (const [value, message] of cases) {
      let thrown: unknown;
      try {
        pushAllowFromFlag(value);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(UsageError);
      expect({
        message: (thrown as UsageError).message,
        hint: (thrown as UsageError).hint,
      }).toEqual({
        message,
        hint,
      });
    }
  });
});

describe("emulatorStart() with faults", () => {
  it("serves with the faults given and shows them at /_emulator/faults", async () => {
    const io = captureIo({});
    let stop: () => void = () => undefined;
    const until = new Promise<void>((resolve) => (stop = resolve));
    const dir = `/tmp/dwd-cli-faults-${process.pid}`;
    const done = emulatorStart(
      {
        scenario: "demo",
        port: 0,
        host: "127.0.0.1",
        keysDir: dir,
        faults: { latencyMs: 5, errorRates: { "429": 0.1 } },
        until,
      },
      io,
    );
    // Wait for the first stdout line (the URL); a failed start rejects `done` and ends the wait.
    while (io.stdout.length === 0)
      await Promise.race([new Promise((r) => setTimeout(r, 10)), done]);
    const url = io.stdout[0] ?? "";
    const faults = (await (await fetch(`${url}/_emulator/faults`)).json()) as Record<
      string,
      unknown
    >;
    expect(faults).toMatchObject({ latencyMs: 5, errorRates: { "429": 0.1 } });
    expect(io.stderr.join("\n")).toContain(`PUT ${url}/_emulator/faults`);
    stop();
    expect(await done).toBe(0);
  }, 60_000);
});
