// --json over many users, written as it comes: the very document JSON.stringify(items, null, 2) makes,
// in chunks of whole elements through Io.outJson (so through the one redaction).
import type { Io } from "./io.ts";

/** A JSON array written element by element. */
export interface JsonArrayStream {
  /** Adds one element; a chunk is written once `chunkItems` are ready. */
  add(value: object): void;
  /** Writes what is ready (every element but the last added, which waits for its comma or the `]`). */
  flush(): void;
  /** Writes the rest and closes the array (`[]` when nothing was added). Later calls do nothing. */
  finish(): void;
}

/** Elements held before a write when no flush comes (a user of many pages listed one at a time). */
export const streamChunkItems = 1000;

/**
 * Writes a JSON array as `JSON.stringify(values, null, 2)` would, byte for byte, holding only the
 * elements not yet written (at most `chunkItems` + 1): `[` with the first elements, each element
 * indented by two spaces, `]` at {@link JsonArrayStream.finish}. The elements added since the last write are stringified together, in one
 * call (as fast as stringifying the whole array), at a flush or every `chunkItems`; the last one is held
 * until the next (which decides whether it ends with a comma), so what has been written is always whole
 * elements: closed by `finish()`, it is a valid document whenever the run stops.
 */
export function jsonArrayStream(
  io: Pick<Io, "outJson">,
  chunkItems: number = streamChunkItems,
): JsonArrayStream {
  let pending: object[] = [];
  let started = false;
  let finished = false;
  // Every element but the last, each with its comma; `[` first on the first write.
  const write = (): void => {
    if (pending.length < 2) return;
    const out = pending.slice(0, -1);
    pending = pending.slice(-1);
    // "[\n  a,\n  b\n]": JSON.stringify writes a line break only between tokens, never in a string.
    const text = JSON.stringify(out, null, 2);
    const elements = `${text.slice(0, -2)},`;
    io.outJson(started ? elements.slice(2) : elements);
    started = true;
  };
  return {
    add(value) {
      if (finished) return;
      pending.push(value);
      if (pending.length > chunkItems) write();
    },
    flush: write,
    finish() {
      if (finished) return;
      finished = true;
      const rest = pending;
      pending = [];
      if (rest.length === 0) {
        io.outJson(started ? "]" : "[]");
        return;
      }
      const text = JSON.stringify(rest, null, 2);
      io.outJson(started ? text.slice(2) : text);
    },
  };
}
