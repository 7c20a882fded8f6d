// The one place that touches the file system. `node:fs` works on Node, Deno and Bun; it is imported
// lazily so Web-only bundles never load it. Its callback functions, not `node:fs/promises`: Node has
// `node:fs` loaded at start-up, while `node:fs/promises` is a module of its own that drags in readline,
// the REPL's history and the file watchers (~1.2 ms of a short-lived process such as the dwd CLI).
//
// Bounded by construction: only a regular file is opened (a FIFO would block, /dev/zero never ends),
// its size is checked before reading, and at most `maxBytes + 1` bytes are ever read, so a file that
// grows after the check is still cut off.

import type { Stats } from "node:fs";

/** What a path names when it is not a regular file. */
export type FileKind =
  | "directory"
  | "FIFO (named pipe)"
  | "character device"
  | "block device"
  | "socket"
  | "special file";

/** Result of {@link readFileBytes}. */
export type ReadFileResult =
  | { ok: true; bytes: Uint8Array }
  /** Not a regular file. */
  | { ok: false; code: "ENOTREG"; kind: FileKind }
  /** Larger than `maxBytes`; `size` is what the file system reported (at least `maxBytes + 1`). */
  | { ok: false; code: "EFBIG"; size: number }
  /** The runtime's errno name ("ENOENT", "EACCES", …). */
  | { ok: false; code: string };

function kindOf(stats: Stats): FileKind {
  if (stats.isDirectory()) return "directory";
  if (stats.isFIFO()) return "FIFO (named pipe)";
  if (stats.isCharacterDevice()) return "character device";
  if (stats.isBlockDevice()) return "block device";
  if (stats.isSocket()) return "socket";
  return "special file";
}

/** A callback-style call as a promise. */
function call<T>(start: (callback: (error: Error | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, value) => (error ? reject(error) : resolve(value)));
  });
}

/** Reads a whole regular file of at most `maxBytes` bytes. Never throws. */
export async function readFileBytes(path: string, maxBytes: number): Promise<ReadFileResult> {
  try {
    // A literal specifier, so bundlers see it (the dwd CLI turns it into a lazy require).
    const fs = await import("node:fs");
    const before = await call<Stats>((done) => fs.stat(path, done));
    if (!before.isFile()) return { ok: false, code: "ENOTREG", kind: kindOf(before) };
    if (before.size > maxBytes) return { ok: false, code: "EFBIG", size: before.size };
    // O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it does not hang.
    const flags = (fs.constants?.O_RDONLY ?? 0) | (fs.constants?.O_NONBLOCK ?? 0);
    const fd = await call<number>((done) => fs.open(path, flags, done));
    try {
      const stats = await call<Stats>((done) => fs.fstat(fd, done));
      if (!stats.isFile()) return { ok: false, code: "ENOTREG", kind: kindOf(stats) };
      const buffer = new Uint8Array(maxBytes + 1);
      let total = 0;
      while (total < buffer.length) {
        const bytesRead = await call<number>((done) =>
          fs.read(fd, buffer, total, buffer.length - total, null, done),
        );
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      if (total > maxBytes) return { ok: false, code: "EFBIG", size: Math.max(stats.size, total) };
      return { ok: true, bytes: buffer.subarray(0, total) };
    } finally {
      await call<void>((done) => fs.close(fd, (error) => done(error, undefined)));
    }
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return { ok: false, code: typeof code === "string" ? code : "EIO" };
  }
}
