/* eslint-disable @typescript-eslint/no-unsafe-member-access -- JSON bodies are read as any */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createEmulator } from "../src/index.ts";
import { startEmulator } from "../src/node.ts";
import { harness, legacyError, read } from "./calendar-helpers.ts";
import { mint, signerFor } from "./helpers.ts";

const refused = (address: string): string =>
  legacyError(
    403,
    "global",
    "push.webhookUrlUnauthorized",
    `Unauthorized WebHook callback channel: ${address}`,
  );

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{
  server: Server;
  origin: string;
}> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("push channels deliver only where the options allow", () => {
  it("by default no address is allowed: 403 push.webhookUrlUnauthorized, no channel, nothing sent", async () => {
    let sent = 0;
    const h = await harness({
      pushFetch: () => {
        sent++;
        return Promise.resolve(new Response(null));
      },
    });
    const t = await h.token();
    const address = "https://hooks.example.com/x";
    const res = await h.call(t, "POST", "calendars/primary/events/watch", {
      body: { id: "c1", type: "web_hook", address },
    });
    expect(res.status).toBe(403);
    expect(res.text).toBe(refused(address));
    await h.emulator.pushIdle();
    expect(sent).toBe(0);
    const stop = await h.call(t, "POST", "channels/stop", { body: { id: "c1", resourceId: "x" } });
    expect(stop.status).toBe(404);
  });

  it("never the emulator's own origins or a control-API path, even when listed", async () => {
    const h = await harness({
      baseUrl: "http://127.0.0.1:8085",
      pushAllowedOrigins: [
        "http://127.0.0.1:8085",
        "http://localhost:8085",
        "http://127.0.0.1:9999",
      ],
      pushFetch: () => Promise.resolve(new Response(null)),
    });
    const t = await h.token();
    const addresses = [
      "http://localhost:8085/_emulator/reset",
      "http://127.0.0.1:8085/hook",
      "http://127.0.0.1:9999/_emulator/reset",
      "http://127.0.0.1:9999/%5Femulator/reset",
      "http://127.0.0.1:9999//_emulator/faults",
    ];
    for (const [i, address] of addresses.entries()) {
      const res = await h.call(t, "POST", "calendars/primary/events/watch", {
        body: { id: `own-${i}`, type: "web_hook", address },
      });
      expect({ address, status: res.status }).toEqual({ address, status: 403 });
      expect(res.text).toBe(refused(new URL(address).href));
    }
    const ok = await h.call(t, "POST", "calendars/primary/events/watch", {
      body: { id: "fine", type: "web_hook", address: "http://127.0.0.1:9999/hook" },
    });
    expect(ok.status).toBe(200);
  });

  it("over a socket, a watch aimed at the emulator's /_emulator/reset no longer resets it", async () => {
    const running = await startEmulator({ port: 0 });
    try {
      const bot = await signerFor(running.emulator, "calendar-bot", Date.now);
      const token = await mint(running.emulator, bot);
      const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
        fetch(`${running.url}/calendar/v3/${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: body === undefined ? null : JSON.stringify(body),
        });
      const inserted = await read(
        await call("POST", "calendars/primary/events", {
          summary: "keep me",
          start: { date: "2026-04-02" },
          end: { date: "2026-04-03" },
        }),
      );
      expect(inserted.status).toBe(200);
      const address = `${running.url}/_emulator/reset`;
      const res = await read(
        await call("POST", "calendars/primary/events/watch", {
          id: "r",
          type: "web_hook",
          address,
        }),
      );
      expect(res.status).toBe(403);
      expect(res.text).toBe(refused(address));
      await running.emulator.pushIdle();
      const still = await read(
        await call("GET", `calendars/primary/events/${String(inserted.json.id)}`),
      );
      expect(still.status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it("never follows a redirect from an allowed receiver", async () => {
    let reachedTarget = 0;
    const target = await listen((_req, res) => {
      reachedTarget++;
      res.writeHead(200).end();
    });
    const hook = await listen((_req, res) => {
      res.writeHead(307, { location: `${target.origin}/elsewhere` }).end();
    });
    try {
      const h = await harness({ pushAllowedOrigins: [hook.origin] });
      const t = await h.token();
      const res = await h.call(t, "POST", "calendars/primary/events/watch", {
        body: { id: "redir", type: "web_hook", address: `${hook.origin}/hook` },
      });
      expect(res.status).toBe(200);
      const flushed = await h.emulator.fetch(
        new Request(`${h.emulator.baseUrl}/_emulator/push/flush`, { method: "POST" }),
      );
      // The sync message met the 307 and counts as failed; the redirect's target was never reached.
      expect(await flushed.json()).toEqual({ delivered: 0, failed: 1, dropped: 0 });
      expect(reachedTarget).toBe(0);
    } finally {
      hook.server.close();
      target.server.close();
    }
  });

  it("refuses a pushAllowedOrigins entry that is not an http(s) origin", async () => {
    await expect(
      createEmulator({ pushAllowedOrigins: ["https://hooks.example.com/path"] }),
    ).rejects.toThrow(
      new RangeError(
        'pushAllowedOrigins must be an http(s) origin such as "http://127.0.0.1:8090", or "loopback", got "https://hooks.example.com/path"',
      ),
    );
  });
});
