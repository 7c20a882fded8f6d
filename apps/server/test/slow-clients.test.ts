// A client that sends its request slowly is cut off: the bundled server answers 408 and closes the
// connection once `limits.requestTimeoutMs` has passed without the whole request (Node's defaults,
// 300 s and 60 s, let clients that trickle bytes hold connections for minutes).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator } from "@dwd/emulator";
import { afterAll, describe, expect, it } from "vitest";
import { RO, sha256Hex } from "./helpers.ts";
import { startServer } from "./spawn.ts";

const tmp = mkdtempSync(join(tmpdir(), "dwd-slow-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Sends `head` and a part of the body, then nothing; resolves with what the server wrote before it closed. */
function trickle(url: string, head: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let got = "";
    socket.on("data", (d: Buffer) => (got += d.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(got));
  });
}

describe("slow clients", () => {
  it("answers 408 and closes a connection whose body stops coming (limits.requestTimeoutMs)", async () => {
    const emulator = await createEmulator({ scenario: "demo" });
    writeFileSync(
      join(tmp, "key.json"),
      JSON.stringify(await emulator.serviceAccountKeyJson("calendar-bot")),
      { mode: 0o600 },
    );
    const file = join(tmp, "dwd-server.json");
    writeFileSync(
      file,
      JSON.stringify({
        listen: { port: 0 },
        delegation: {
          keyFile: "key.json",
          checkSubject: "info@example.com",
          tokenUri: "http://127.0.0.1:9/token",
          calendarRoot: "http://127.0.0.1:9/calendar/v3",
        },
        callers: [
          {
            name: "app",
            tokenSha256: await sha256Hex("slow-test-token-1234"),
            subjects: ["*@example.com"],
            operations: ["freebusy"],
            scopes: [RO],
          },
        ],
        limits: { requestTimeoutMs: 500 },
      }),
    );
    const server = await startServer("node", ["--config", file]);
    try {
      // A caller's headers and 10 of 100 announced body bytes, then silence.
      const answer = await trickle(
        server.url,
        'POST /v1/freebusy HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer slow-test-token-1234\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"subjects',
      );
      expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
      // Headers that never end meet the same fate.
      const partial = await trickle(server.url, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a");
      expect(partial.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
