// Node's compile cache for dwd's chunks. A chunk's code (the emulator's, node-forge's, ~250 KB each) is
// compiled by V8 on every run; with the cache, Node keeps V8's code cache of each chunk in the user's cache
// directory and the next run reads it back instead of compiling. (The command chunks, seed.js and
// commands.js, keep their own cache in the same folder: script-chunk.ts.) Turned on just before a command's
// chunk is imported (`dwd --help` loads no chunk and pays nothing), so the entry itself is not cached.
// Best effort: a cache directory that cannot be made or written (read-only, a file in the way, a full
// disk) leaves the cache off, silently, and dwd runs as it would without it. NODE_DISABLE_COMPILE_CACHE=1
// turns it off (Node's own switch); so does DWD_COMPILE_CACHE=off.
import { join } from "node:path";
import { userCacheDir } from "./cache-dir.ts";

/** The slice of node:module this module uses (absent on runtimes without a compile cache, e.g. Deno). */
interface ModuleWithCache {
  enableCompileCache?: (dir?: string) => { status: number; message?: string };
}

let enabled: boolean | undefined;

/**
 * Turns Node's compile cache on for the modules imported from now on, in `<cache dir>/node-compile-cache`
 * (Node keeps one folder per Node version and checks each entry against its source). Once per process;
 * returns whether the cache is on. Never throws.
 */
export function enableCompileCache(env: Record<string, string | undefined>): boolean {
  enabled ??= tryEnable(env);
  return enabled;
}

function tryEnable(env: Record<string, string | undefined>): boolean {
  if (["off", "0", "false", "no"].includes((env["DWD_COMPILE_CACHE"] ?? "").toLowerCase()))
    return false;
  try {
    // getBuiltinModule, not an import: an ES import of a built-in builds its facade at start-up.
    const module = process.getBuiltinModule("node:module") as ModuleWithCache;
    const result = module.enableCompileCache?.(join(userCacheDir(env), "node-compile-cache"));
    return result?.status === 1 || result?.status === 2; // ENABLED, ALREADY_ENABLED
  } catch {
    return false; // a cache directory that cannot be worked out (no home directory): run without
  }
}
