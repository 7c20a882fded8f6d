// The one place that touches the file system. `node:fs/promises` works on Node, Deno and Bun; it is
// imported lazily so Web-only bundles never load it.

/** Result of {@link readFileBytes}: the bytes, or the runtime's errno name ("ENOENT", "EACCES", …). */
export type ReadFileResult = { ok: true; bytes: Uint8Array } | { ok: false; code: string };

/** Reads a whole file as bytes. Never throws. */
export async function readFileBytes(path: string): Promise<ReadFileResult> {
  try {
    // A literal specifier, so bundlers see it (the dwd CLI turns it into a lazy require).
    const fs = await import("node:fs/promises");
    const data = await fs.readFile(path);
    return { ok: true, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return { ok: false, code: typeof code === "string" ? code : "EIO" };
  }
}
