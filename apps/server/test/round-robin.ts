// A tiny round-robin load balancer on loopback, in front of dwd-server replicas as their push address
// (and for callers): used by the mirror's end-to-end tests and by bench/mirror.ts. Node only, no test
// framework, so the bench can import it.
import { createServer, request } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The `X-Goog-*` headers of a notification the proxy passed on. */
export interface PushSeen {
  channelId: string;
  channelToken: string;
  resourceId: string;
  resourceState: string;
  messageNumber: string;
}

/** A running proxy. */
export interface RoundRobin {
  url: string;
  /** Requests answered, by target origin. */
  forwarded: Map<string, number>;
  /** The notifications (POST /v1/push) passed on, in order. */
  pushes: PushSeen[];
  close: () => Promise<void>;
}

/**
 * A tiny load balancer on loopback: each request goes to the next live target in turn; a target that
 * refuses the connection is skipped (as a balancer's health check would), so a killed replica costs
 * no request. `targets` is read on every request.
 */
export async function startRoundRobin(targets: () => string[]): Promise<RoundRobin> {
  let next = 0;
  const forwarded = new Map<string, number>();
  const pushes: PushSeen[] = [];
  const forward = (
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    tries: number,
  ): void => {
    const list = targets();
    if (tries >= list.length) {
      res.writeHead(502).end();
      return;
    }
    const target = new URL(list[next++ % list.length]!);
    let answered = false;
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        answered = true;
        forwarded.set(target.origin, (forwarded.get(target.origin) ?? 0) + 1);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => {
      if (answered) res.destroy();
      else forward(req, body, res, tries + 1);
    });
    out.end(body);
  };
  const server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/v1/push")
      pushes.push({
        channelId: String(req.headers["x-goog-channel-id"]),
        channelToken: String(req.headers["x-goog-channel-token"]),
        resourceId: String(req.headers["x-goog-resource-id"]),
        resourceState: String(req.headers["x-goog-resource-state"]),
        messageNumber: String(req.headers["x-goog-message-number"]),
      });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => forward(req, Buffer.concat(chunks), res, 0));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    pushes,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
