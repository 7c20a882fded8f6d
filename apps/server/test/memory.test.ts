// Bounded memory (issue 14, item 3): per-user budgets are forgotten once full again; a Redis that
// streams a reply without end cannot take the server's memory. Over HTTP, as dwd-server listens.
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { BOOKING_TOKEN, CACHE_KEY, expectNoSecrets, seen, testConfig } from "./helpers.ts";
import { listen } from "./http.ts";
import { call, startServer, waitFor } from "./spawn.ts";

afterAll(() => expectNoSecrets(seen));

const gauge = async (url: string, name: string): Promise<number> => {
  const text = (await call(`${url}/metrics`)).text;
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1]);
};

describe("per-user rate budgets", () => {
  it("are forgotten once they have refilled: 300 users' budgets, a minute later, are gone", async () => {
    const base = await testConfig();
    const server = await listen({
      config: {
        ...base,
        limits: { ...base.limits, subjectRate: { requests: 10, per: "minute" } },
      },
    });
    try {
      const users = Array.from({ length: 300 }, (_, i) => `gone${i}@example.com`);
      for (let i = 0; i < users.length; i += 50) {
        const r = await call(`${server.url}/v1/freebusy`, {
          token: BOOKING_TOKEN,
          json: {
            subjects: users.slice(i, i + 50),
            timeMin: "2026-12-01T00:00:00Z",
            timeMax: "2026-12-02T00:00:00Z",
          },
        });
        expect(r.status).toBe(200); // each unknown user's answer is its own error
      }
      // 300 users and the caller.
      expect(await gauge(server.url, "dwd_rate_budgets_tracked")).toBe(301);
      server.h.clock.now += 61_000;
      const r = await call(`${server.url}/v1/freebusy`, {
        token: BOOKING_TOKEN,
        json: {
          subjects: ["ana@example.com"],
          timeMin: "2026-12-01T00:00:00Z",
          timeMax: "2026-12-02T00:00:00Z",
        },
      });
      expect(r.status).toBe(200);
      // Only this request's: the caller and ana.
      expect(await gauge(server.url, "dwd_rate_budgets_tracked")).toBe(2);
    } finally {
      await server.close();
    }
  });
});

/** The commands (RESP arrays of bulk strings) in one chunk, as clients send them. */
function commandsIn(text: string): string[][] {
  const out: string[][] = [];
  const parts = text.split("\r\n");
  for (let i = 0; i < parts.length; i++) {
    if (!parts[i]!.startsWith("*")) continue;
    const command: string[] = [];
    for (let k = Number(parts[i]!.slice(1)); k > 0; k--) {
      command.push(parts[i + 2] ?? "");
      i += 2;
    }
    out.push(command);
  }
  return out;
}

/**
 * Something posing as Redis: answers the handshake, then answers GET with a 1 GB bulk string that it
 * streams as fast as the reader takes it. Counts what it could send.
 */
function hostileRedis(): Promise<{ port: number; sent: () => number; close: () => void }> {
  let sent = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    let streaming = false;
    socket.on("data", (data: Buffer) => {
      if (streaming) return;
      for (const command of commandsIn(data.toString("latin1"))) {
        const name = command[0]?.toUpperCase();
        if (name === "GET") {
          streaming = true;
          socket.write("$1073741824\r\n");
          const piece = Buffer.alloc(64 * 1024, 120);
          const pump = (): void => {
            while (!socket.destroyed && sent < 1_073_741_824) {
              sent += piece.length;
              if (!socket.write(piece)) return void socket.once("drain", pump);
            }
          };
          pump();
          return;
        }
        if (name === "HELLO") socket.write("-ERR unknown command 'hello'\r\n");
        else if (name === "INFO") {
          const info = "# Server\r\nredis_version:7.0.0\r\nloading:0\r\n";
          socket.write(`$${info.length}\r\n${info}\r\n`);
        } else if (name === "EVAL" || name === "EVALSHA") socket.write(":0\r\n");
        else socket.write("+OK\r\n");
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as { port: number }).port,
        sent: () => sent,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

describe("a Redis that streams a 1 GB reply", () => {
  it("costs the server at most its reply bound: the connection is dropped, the request answered from memory", async () => {
    const redis = await hostileRedis();
    const server = await startServer(
      "node",
      ["--emulator", "--port", "0", "--cache", `redis://127.0.0.1:${redis.port}`],
      { DWD_CACHE_KEY: CACHE_KEY },
    );
    try {
      await waitFor(async () => (await call(`${server.url}/readyz`)).status === 200);
      const r = await call(`${server.url}/v1/users/ana@example.com/calendarList/primary`, {
        token: "demo-booking-token",
      });
      expect(r.status).toBe(200);
      // The server read about 1 MB of the reply and hung up; the rest never left the fake (a few
      // socket buffers aside). Unbounded, it reads on: hundreds of MB within the second.
      expect(redis.sent()).toBeLessThan(16 * 1024 * 1024);
      const rssMb =
        Number(
          (await import("node:fs"))
            .readFileSync(`/proc/${server.child.pid}/statm`, "utf8")
            .split(" ")[1],
        ) *
        (4096 / 1024 / 1024);
      expect(rssMb).toBeLessThan(400);
      expect(server.child.exitCode).toBeNull();
    } finally {
      await server.stop();
      redis.close();
    }
  });
});
