import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { harness } from "./helpers.ts";
import type { Harness } from "./helpers.ts";

/** An in-process server (the harness: emulator in process) listening on a real port, as dwd-server does. */
export interface Listening {
  url: string;
  h: Harness;
  close(): Promise<void>;
}

/**
 * Starts the harness's app behind the Node adapter on a free port of 127.0.0.1.
 *
 * @param options the harness's options
 * @returns its URL, the harness and a close function
 */
export async function listen(options: Parameters<typeof harness>[0] = {}): Promise<Listening> {
  const h = await harness(options);
  const http = createAdaptorServer({ fetch: h.server.fetch }) as Server;
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    h,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
