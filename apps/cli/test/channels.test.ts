// dwd events watch / dwd channels stop: the bundled dwd against the emulator on a real port, with a
// receiver on another port that records what the emulator posts to it.
import type { RunningEmulator } from "@dwd/emulator/node";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dwd, startTestEmulator } from "./helpers.ts";
import type { TestEmulator } from "./helpers.ts";

let t: TestEmulator;
let server: RunningEmulator;
let receiver: Server;
let hook: string;
let env: Record<string, string>;
let bot: string;
const received: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    req.on("end", () => res.end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // The emulator delivers only to allowed origins: the receiver's.
  t = await startTestEmulator("channels", {
    start: { pushAllowedOrigins: [new URL(hook).origin] },
  });
  ({ server, bot, env } = t);
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await t.close();
});

describe("dwd events watch / channels stop", () => {
  it("opens a channel with a random ID and token, notifications carry them, and stop ends them", async () => {
    const as = ["--key", bot, "--subject", "ana@example.com"];
    const watch = await dwd(
      ["events", "watch", "primary", ...as, "--address", hook, "--json"],
      env,
    );
    expect(watch.stderr).toBe("");
    expect(watch.code).toBe(0);
    const channel = JSON.parse(watch.stdout) as { id: string; resourceId: string; token: string };
    expect(channel.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(channel.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(channel.resourceId).not.toBe("");

    await server.emulator.pushIdle();
    expect(received.map((h) => h["x-goog-resource-state"])).toEqual(["sync"]);
    const created = await dwd(
      [
        "events",
        "create",
        "primary",
        ...as,
        "--body",
        '{"summary":"x","start":{"date":"2026-12-01"},"end":{"date":"2026-12-02"}}',
      ],
      env,
    );
    expect(created.code).toBe(0);
    await server.emulator.pushIdle();
    expect(received).toHaveLength(2);
    expect(received[1]).toMatchObject({
      "x-goog-channel-id": channel.id,
      "x-goog-channel-token": channel.token,
      "x-goog-resource-id": channel.resourceId,
      "x-goog-resource-state": "exists",
    });

    const stop = await dwd(
      ["channels", "stop", ...as, "--id", channel.id, "--resource-id", channel.resourceId],
      env,
    );
    expect(stop).toEqual({ code: 0, stdout: "", stderr: `stopped channel ${channel.id}\n` });
    await dwd(
      [
        "events",
        "create",
        "primary",
        ...as,
        "--body",
        '{"summary":"y","start":{"date":"2026-12-03"},"end":{"date":"2026-12-04"}}',
      ],
      env,
    );
    await server.emulator.pushIdle();
    expect(received).toHaveLength(2);
  });

  it("bad addresses, IDs and missing flags are usage errors", async () => {
    const as = ["--key", bot, "--subject", "ana@example.com"];
    expect(await dwd(["events", "watch", "primary", ...as, "--address", "ftp://x"], env)).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'error: Invalid --address "ftp://x": not an https URL\nhint: Google delivers notifications to a public https:// address with a valid certificate\n',
    });
    expect(
      (
        await dwd(
          ["events", "watch", "primary", ...as, "--address", hook, "--channel-id", "a b"],
          env,
        )
      ).code,
    ).toBe(2);
    expect(await dwd(["channels", "stop", ...as, "--id", "x"], env)).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: Missing --resource-id\nhint: Give e.g. --resource-id ret08u3rv24htgh289g\n",
    });
  });
});
