// Process and runtime metrics under Prometheus' usual names, and W3C traceparent (issue 14, item 13).
import { afterAll, describe, expect, it } from "vitest";
import { BOOKING_TOKEN, expectNoSecrets, seen, sharedEmulator } from "./helpers.ts";
import { listen } from "./http.ts";
import { call, startServer, waitFor } from "./spawn.ts";

afterAll(() => expectNoSecrets(seen));

describe("/metrics of the bundled server", () => {
  it("has the process and runtime families prom-client's default metrics use", async () => {
    const server = await startServer("node", ["--emulator", "--port", "0"]);
    try {
      await waitFor(async () => (await call(`${server.url}/readyz`)).status === 200);
      const text = (await call(`${server.url}/metrics`)).text;
      const value = (name: string): number =>
        Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
      expect(value("process_cpu_seconds_total")).toBeGreaterThan(0);
      expect(value("process_cpu_user_seconds_total")).toBeGreaterThan(0);
      expect(value("process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
      expect(value("nodejs_heap_size_used_bytes")).toBeGreaterThan(1_000_000);
      expect(value("nodejs_heap_size_total_bytes")).toBeGreaterThanOrEqual(
        value("nodejs_heap_size_used_bytes"),
      );
      expect(value("nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
      expect(value("process_start_time_seconds")).toBeGreaterThan(1_700_000_000);
      expect(text).toContain("# TYPE nodejs_gc_duration_seconds histogram");
      expect(text).toContain("# TYPE process_cpu_seconds_total counter");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("traceparent", () => {
  it("is accepted, written in the audit line, and passed upstream with this server's span", async () => {
    const { emulator } = await sharedEmulator();
    const upstream: { url: string; traceparent?: string }[] = [];
    const server = await listen({
      fetch: (url, init) => {
        upstream.push({
          url,
          ...(init?.headers?.traceparent ? { traceparent: init.headers.traceparent } : {}),
        });
        return emulator.fetch(new Request(url, init));
      },
    });
    try {
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      upstream.length = 0;
      const r = await call(`${server.url}/v1/users/bob@example.com/calendarList/primary`, {
        token: BOOKING_TOKEN,
        headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
      expect(r.status).toBe(200);
      const audit = server.h.audit.at(-1)!;
      expect(audit).toMatchObject({ traceId });
      const spanId = String(audit.spanId);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(spanId).not.toBe("00f067aa0ba902b7");
      // The token exchange and the API call, both with the trace and this server's span as parent.
      expect(upstream.length).toBeGreaterThanOrEqual(1);
      for (const u of upstream) expect(u.traceparent).toBe(`00-${traceId}-${spanId}-01`);

      // Malformed: ignored (no trace in the audit line, none upstream), the request served.
      upstream.length = 0;
      const bad = await call(`${server.url}/v1/users/bob@example.com/calendarList/primary`, {
        token: BOOKING_TOKEN,
        headers: { traceparent: "00-xyz-00f067aa0ba902b7-01" },
      });
      expect(bad.status).toBe(200);
      expect(server.h.audit.at(-1)!.traceId).toBeUndefined();
      expect(upstream.every((u) => u.traceparent === undefined)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
