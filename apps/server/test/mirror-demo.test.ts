// The whole loop on one machine (issue 15, item 1): `dwd-server --emulator --mirror FILE` watches the
// users in FILE with its own /v1/push as the address, the emulator posts notifications there, and
// availability is answered from the mirror. Needs the engine (mirror/engine.ts): until it is built,
// the test is skipped (createMirror refuses to be created), and runs as soon as it is.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createMirror } from "../src/mirror/engine.ts";
import { createMemoryMirrorStore } from "../src/mirror/store.ts";
import { expectNoSecrets, seen } from "./helpers.ts";
import { freePort } from "./redis.ts";
import { call, startServer, waitFor } from "./spawn.ts";

const DEMO = "demo-booking-token";

/** Whether the engine is built: the placeholder refuses to create a mirror. */
function engineBuilt(): boolean {
  try {
    void createMirror({
      config: {
        users: ["ana@example.com"],
        pushUrl: "http://127.0.0.1:9/v1/push",
        horizonDays: 90,
        channelTtlHours: 168,
        reconcileMinutes: 15,
        callsPerSecond: 10,
      },
      subjects: ["ana@example.com"],
      client: {} as never,
      store: createMemoryMirrorStore(),
      log: () => undefined,
    });
    return true;
  } catch (error) {
    return !/not built yet/.test(String(error));
  }
}

describe.skipIf(!engineBuilt())("dwd-server --emulator --mirror FILE (bundled)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "dwd-mirror-demo-"));
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    expectNoSecrets(seen);
  });

  it("watches the users in FILE, takes the emulator's notifications and answers from the mirror", async () => {
    const file = join(tmp, "users.txt");
    writeFileSync(file, "# mirrored\nana@example.com\nbob@example.com\n");
    const emulatorPort = await freePort();
    const emulator = `http://127.0.0.1:${emulatorPort}`;
    const server = await startServer("node", [
      "--emulator",
      "--emulator-port",
      String(emulatorPort),
      "--port",
      "0",
      "--mirror",
      file,
    ]);
    try {
      expect(server.stdout).toContain(
        `mirror: watching 2 user(s); notifications to ${server.url}/v1/push`,
      );
      const probe = await call(`${server.url}/v1/push`);
      expect([probe.status, probe.headers.get("x-dwd-push")]).toStrictEqual([405, "on"]);
      await waitFor(async () => {
        const r = await call(`${server.url}/readyz`);
        return (r.body.mirror as { state: string } | undefined)?.state === "ready";
      });

      const day = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
      const range = { timeMin: `${day}T00:00:00Z`, timeMax: `${day}T23:59:59Z` };
      const before = (await call(`${emulator}/_emulator/stats`)).body as {
        apiRequests: number;
        tokenRequests: number;
      };
      const first = await call(`${server.url}/v1/freebusy`, {
        token: DEMO,
        json: { subjects: ["ana@example.com", "bob@example.com"], ...range },
      });
      expect(first.status).toBe(200);
      const subjects = first.body.subjects as Record<string, { source: string }>;
      expect(subjects["ana@example.com"]!.source).toBe("mirror");
      expect(subjects["bob@example.com"]!.source).toBe("mirror");
      const after = (await call(`${emulator}/_emulator/stats`)).body as {
        apiRequests: number;
        tokenRequests: number;
      };
      expect([after.apiRequests, after.tokenRequests]).toStrictEqual([
        before.apiRequests,
        before.tokenRequests,
      ]);

      // A change made at Google (through the server, as ana) comes back through a notification.
      const start = `${day}T13:17:00.000Z`;
      const end = `${day}T13:47:00.000Z`;
      const created = await call(
        `${server.url}/v1/users/ana@example.com/calendars/primary/events`,
        {
          token: DEMO,
          json: { summary: "mirrored", start: { dateTime: start }, end: { dateTime: end } },
        },
      );
      expect(created.status).toBe(201);
      await waitFor(async () => {
        const r = await call(`${server.url}/v1/freebusy`, {
          token: DEMO,
          json: { subjects: ["ana@example.com"], ...range },
        });
        const ana = (
          r.body.subjects as Record<
            string,
            { source: string; busy: { start: string; end: string }[] }
          >
        )["ana@example.com"]!;
        return ana.source === "mirror" && ana.busy.some((b) => b.start <= start && b.end >= end);
      });
      const metrics = (await call(`${server.url}/metrics`)).text;
      expect(metrics).toMatch(/\ndwd_mirror_notifications_accepted_total [1-9]/);
      const doctor = await call(`${server.url}/v1/doctor`, { token: DEMO });
      const checks = doctor.body.checks as { id: string; status: string }[];
      expect(checks.find((c) => c.id === "push")?.status).toBe("pass");
      expect(checks.find((c) => c.id === "channels")?.status).toBe("pass");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
