/**
 * A tiny reverse proxy in front of a listening emulator, for faults the emulator does not inject
 * itself: per-subject token-endpoint failures (an answer, or a reset connection) and a reset of a
 * batch request. Everything else passes through byte for byte, `Host` included, so the emulator
 * accepts assertions addressed to the proxy's token URI.
 */
import { createServer, request } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does with one request instead of passing it on. */
export type Fault =
  "pass" | "reset" | { status: number; body: unknown; headers?: Record<string, string> };

/** The proxy's rules, asked for every token request and every batch request. */
export interface FaultRules {
  /** `subject`: the assertion's `sub` (undefined without one); `n`: 0 for the first token request. */
  token?(subject: string | undefined, n: number): Fault;
  /** `n`: 0 for the first batch request. */
  batch?(n: number): Fault;
}

/** A listening proxy. */
export interface FaultProxy {
  url: string;
  rules: FaultRules;
  /** Requests seen, and how many were spoiled. */
  counts: { token: number; batch: number; spoiledToken: number; spoiledBatch: number };
  close(): Promise<void>;
}

/** The `sub` claim of a jwt-bearer assertion in a form body, if any. */
function subjectOf(form: string): string | undefined {
  const assertion = new URLSearchParams(form).get("assertion") ?? "";
  const payload = assertion.split(".")[1] ?? "";
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      sub?: unknown;
    };
    return typeof claims.sub === "string" ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

function answer(res: ServerResponse, fault: Exclude<Fault, "pass" | "reset">): void {
  const body = typeof fault.body === "string" ? fault.body : JSON.stringify(fault.body);
  res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
  res.end(body);
}

/**
 * Starts the proxy on a free port of 127.0.0.1.
 *
 * @param target the emulator's URL, e.g. `http://127.0.0.1:40123`
 * @param rules what to spoil (changeable later through `proxy.rules`)
 * @returns the proxy
 */
export async function startFaultProxy(target: string, rules: FaultRules = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  const counts = { token: 0, batch: 0, spoiledToken: 0, spoiledBatch: 0 };
  const proxy: FaultProxy = { url: "", rules, counts, close: () => Promise.resolve() };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? "/";
      let fault: Fault = "pass";
      if (req.method === "POST" && path === "/token") {
        fault = proxy.rules.token?.(subjectOf(body.toString("utf8")), counts.token++) ?? "pass";
        if (fault !== "pass") counts.spoiledToken++;
      } else if (req.method === "POST" && path.startsWith("/batch/")) {
        fault = proxy.rules.batch?.(counts.batch++) ?? "pass";
        if (fault !== "pass") counts.spoiledBatch++;
      }
      if (fault === "reset") {
        req.socket.destroy();
        return;
      }
      if (fault !== "pass") {
        answer(res, fault);
        return;
      }
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on("error", () => req.socket.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
