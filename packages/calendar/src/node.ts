/// <reference types="node" />
/**
 * `@dwd/calendar/node`: the runtime adapters of `@dwd/calendar` that need Node's modules: a sync store
 * in a JSON file (Node, Deno with `--allow-read --allow-write`, Bun), and `createNodeFetch()`, a `fetch`
 * over `node:http` that reads answers as they arrive (for Node; Deno keeps its own `fetch`).
 *
 * @example
 * ```ts
 * import { createCalendarClient, createEventSync } from "@dwd/calendar";
 * import { createFileSyncStore } from "@dwd/calendar/node";
 * const sync = createEventSync({ client: cal, store: createFileSyncStore(".dwd-sync.json"), calendarId: "primary" });
 * ```
 *
 * @module
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { SyncStore } from "./sync-store.ts";

/**
 * A {@link SyncStore} in one JSON file (`{ "<subject>|<calendarId>": "<syncToken>" }`), rewritten
 * atomically (temporary file, then rename) on every change. A missing file is an empty store.
 *
 * @param path Where the file lives.
 * @returns The store.
 * @example
 * ```ts
 * const store = createFileSyncStore("state/sync-tokens.json");
 * ```
 */
export function createFileSyncStore(path: string): SyncStore {
  let cache: Promise<Record<string, string>> | undefined;
  let writes: Promise<void> = Promise.resolve();
  const load = (): Promise<Record<string, string>> =>
    (cache ??= readFile(path, "utf8").then(
      (text) => {
        const data: unknown = JSON.parse(text);
        if (typeof data !== "object" || data === null || Array.isArray(data))
          throw new TypeError(`${path} does not hold a JSON object of sync tokens`);
        return data as Record<string, string>;
      },
      (error: { code?: string | undefined }) => {
        if (error.code === "ENOENT") return {};
        throw error;
      },
    )).catch((error: unknown) => {
      cache = undefined; // a failed read (unreadable, corrupt) is tried again by the next call
      throw error;
    });
  const save = (data: Record<string, string>): Promise<void> => {
    // Each write waits for the one before, failed or not: one failed write (a full disk, a missing
    // permission) fails that call only, and the store works again once the cause is gone.
    const write = writes.then(async () => {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${crypto.randomUUID()}.tmp`;
      try {
        await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
        await rename(tmp, path);
      } catch (error) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw error;
      }
    });
    writes = write.catch(() => undefined);
    return write;
  };
  return {
    async get(key) {
      return (await load())[key];
    },
    async set(key, token) {
      const data = await load();
      data[key] = token;
      await save(data);
    },
    async delete(key) {
      const data = await load();
      if (!(key in data)) return;
      delete data[key];
      await save(data);
    },
  };
}

export { createNodeFetch } from "./_internal/node-fetch.node.ts";
export type { NodeFetchOptions, NodeFetchResponse } from "./_internal/node-fetch.node.ts";
