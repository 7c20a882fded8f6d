// `--emulator` takes the emulator's port (issue 14, item 14): the embedded emulator listens where it is
// told, so the dwd CLI or a test can reach the same emulator.
import { afterAll, describe, expect, it } from "vitest";
import { expectNoSecrets, seen } from "./helpers.ts";
import { freePort } from "./redis.ts";
import { call, runServer, startServer, waitFor } from "./spawn.ts";

afterAll(() => expectNoSecrets(seen));

describe("dwd-server --emulator with a port", () => {
  for (const spelling of ["--emulator-port", "--emulator="]) {
    it(`${spelling}: the embedded emulator listens on that port`, async () => {
      const port = await freePort();
      const args =
        spelling === "--emulator="
          ? [`--emulator=${port}`, "--port", "0"]
          : ["--emulator", "--emulator-port", String(port), "--port", "0"];
      const server = await startServer("node", args);
      try {
        await waitFor(() => server.stdout.some((l) => l.startsWith("emulator (demo scenario")));
        expect(server.stdout).toContain(
          `emulator (demo scenario: info@, ana@, bob@example.com) at http://127.0.0.1:${port}`,
        );
        const scenario = await call(`http://127.0.0.1:${port}/_emulator/scenario`);
        expect(scenario.body.domain).toBe("example.com");
        await waitFor(async () => (await call(`${server.url}/readyz`)).status === 200);
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  }

  it("refuses --emulator-port without --emulator, and a port out of range (exit 2)", async () => {
    const alone = await runServer("node", [
      "--emulator-url",
      "http://127.0.0.1:1",
      "--emulator-port",
      "8085",
    ]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toBe(
      "error: --emulator-port is only for --emulator (the embedded emulator)\nhint: Add --emulator, or point --emulator-url at an emulator already running\n",
    );
    const range = await runServer("node", ["--emulator=70000"]);
    expect(range.code).toBe(2);
    expect(range.stderr).toBe(
      'error: --emulator-port must be an integer from 0 to 65535, got "70000"\nhint: Pass e.g. --emulator-port 8085\n',
    );
  });
});
