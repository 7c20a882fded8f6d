// The one place that touches the file system. `node:fs/promises` works on Node, Deno and Bun; it is
// imported lazily so Web-only bundles never load it.

/** Result of {@link readFileBytes}: the bytes, or the runtime's errno name ("ENOENT", "EACCES", …). */
export type ReadFileResult = { ok: true; bytes: Uint8Array } | { ok: false; code: string };

/** Reads a whole file as bytes. Never throws. */
export async function readFileBytes(path: string): Promise<ReadFileResult> {
  try {
    // `as string` keeps the library's `"types": []` build free of Node typings.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- see above
    const fs = (await import("node:fs/promises" as string)) as { readFile(path: string): Promise<Uint8Array> };
    const data = await fs.readFile(path);
    return { ok: true, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return { ok: false, code: typeof code === "string" ? code : "EIO" };
  }
}
