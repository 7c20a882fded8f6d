/**
 * `@dwd/emulator/node`: serves the emulator on a real port with `@hono/node-server` and writes every
 * service account's JSON and .p12 key file, `token_uri` pointing at the listening URL.
 * (On Deno: `Deno.serve(emulator.fetch)`.)
 *
 * @example
 * ```ts
 * import { startEmulator } from "@dwd/emulator/node";
 * const { url, keyFiles, close } = await startEmulator({ port: 0, keysDir: ".dwd-keys" });
 * console.log(url, keyFiles["calendar-bot"]?.json);
 * await close();
 * ```
 * @module
 */
import { createAdaptorServer } from "@hono/node-server";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Emulator, EmulatorOptions } from "./create-emulator.ts";
import { createEmulator } from "./create-emulator.ts";
import { EmulatorError } from "./emulator-error.ts";
import { isConnectionReset } from "./_internal/connection-reset.ts";
import { encodeForSocket } from "./_internal/gzip.ts";

/** Options of {@link startEmulator}: the emulator's own plus where to listen and write keys. */
export interface StartEmulatorOptions extends EmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number | undefined;
  /** Interface to bind, default `127.0.0.1`. */
  host?: string | undefined;
  /** When set, `<keysDir>/<account>.json` and `<account>.p12` (mode 0600) are written for every service account. */
  keysDir?: string | undefined;
}

/** Paths of one service account's key files. */
export interface KeyFilePaths {
  /** `<keysDir>/<account>.json`: Google's JSON key format, `token_uri` pointing at the emulator. */
  json: string;
  /** `<keysDir>/<account>.p12`: a legacy PKCS#12 key, password `notasecret`. */
  p12: string;
}

/** A listening emulator. */
export interface RunningEmulator {
  /** Listening URL, e.g. `http://127.0.0.1:40123` (also `emulator.baseUrl`, unless `publicUrl` is given). */
  url: string;
  /** The origin key files name in `token_uri`: `publicUrl` when given, else `url`. */
  publicUrl: string;
  /** The emulator behind the socket: its stats, faults and key material. */
  emulator: Emulator;
  /** Stops listening and drops keep-alive connections; resolves once closed. */
  close(): Promise<void>;
  /** Account name → key file paths (empty without `keysDir`). */
  keyFiles: Record<string, KeyFilePaths>;
}

function urlFor(host: string, port: number): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

async function writeSecret(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(path, data, { mode: 0o600 });
  await chmod(path, 0o600); // writeFile's mode applies only to new files
}

/**
 * Creates an emulator and serves it over HTTP.
 *
 * @param options - emulator options (`publicUrl` for a proxy in front) plus `port`, `host` and `keysDir`
 * @returns the URL, the emulator, `close()` and the written key files
 * @throws {EmulatorError} code `listen_failed` when the port cannot be bound; `invalid_scenario` as `createEmulator`
 * @example
 * ```ts
 * const running = await startEmulator({ scenario: "demo", port: 8085, keysDir: "./keys" });
 * ```
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const { port = 0, host = "127.0.0.1", keysDir, ...emulatorOptions } = options;
  const emulator = await createEmulator(emulatorOptions);
  const server = createAdaptorServer({
    // An injected connection reset rejects the fetch handler; on a socket it is a real reset.
    fetch: async (request: Request, env: { incoming: { socket: { destroy(): void } } }) => {
      try {
        return encodeForSocket(request, await emulator.fetch(request));
      } catch (err) {
        if (!isConnectionReset(err)) throw err;
        env.incoming.socket.destroy();
        return new Response(null, { status: 500 }); // never sent: the socket is gone
      }
    },
  }) as Server;

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    const onError = (cause: Error): void => {
      reject(
        new EmulatorError("listen_failed", `Cannot listen on "${host}:${port}": ${cause.message}`, {
          hint: "Pick another port (or 0 for a free one), or stop the process that holds it",
          cause,
        }),
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });

  const url = urlFor(host, address.port);
  // Behind a proxy the key files keep naming the public origin; the listening URL stays an accepted aud.
  if (options.publicUrl === undefined) emulator.baseUrl = url;
  else if (url !== emulator.baseUrl) emulator.listenUrl = url;
  const close = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.close((err) => (err === undefined ? resolve() : reject(err)));
      server.closeAllConnections();
    });

  const keyFiles: Record<string, KeyFilePaths> = {};
  try {
    if (keysDir !== undefined) {
      await mkdir(keysDir, { recursive: true });
      for (const account of emulator.scenario.serviceAccounts) {
        const paths = {
          json: join(keysDir, `${account.name}.json`),
          p12: join(keysDir, `${account.name}.p12`),
        };
        const json = await emulator.serviceAccountKeyJson(account.name);
        await writeSecret(paths.json, `${JSON.stringify(json, null, 2)}\n`);
        await writeSecret(paths.p12, await emulator.serviceAccountKeyP12(account.name));
        keyFiles[account.name] = paths;
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { url, publicUrl: emulator.baseUrl, emulator, close, keyFiles };
}
