// --json over many users, written as it comes: the very document JSON.stringify(items, null, 2) makes,
// one element at a time, in chunks of whole lines through Io.outText (so through the one redaction).
import type { Io } from "./io.ts";

/** Characters gathered before a write (Io.outText writes in blocks of the same size). */
export const streamChunkChars = 64 * 1024;

/** A JSON array written element by element. */
export interface JsonArrayStream {
  /** Adds one element; a chunk is written once `chunkChars` are ready. */
  add(value: object): void;
  /** Writes what is ready (every element but the last added, which waits for its comma or the `]`). */
  flush(): void;
  /** Writes the rest and closes the array (`[]` when nothing was added). Later calls do nothing. */
  finish(): void;
}

/**
 * Writes a JSON array as `JSON.stringify(values, null, 2)` would, byte for byte, without holding the
 * values: `[` before the first element, each element indented by two spaces, `]` at {@link
 * JsonArrayStream.finish}. The last element added is held until the next one (which decides whether it
 * ends with a comma), so what has been written is always whole elements: closed by `finish()`, it is a
 * valid document whenever the run stops.
 */
export function jsonArrayStream(
  io: Pick<Io, "outText">,
  chunkChars: number = streamChunkChars,
): JsonArrayStream {
  let ready: string[] = [];
  let size = 0;
  let held: string | undefined;
  let started = false;
  let finished = false;
  const write = (): void => {
    if (ready.length === 0) return;
    const text = ready.join("\n");
    ready = [];
    size = 0;
    io.outText(text);
  };
  const push = (text: string): void => {
    ready.push(text);
    size += text.length + 1;
  };
  return {
    add(value) {
      if (finished) return;
      if (!started) {
        started = true;
        push("[");
      }
      if (held !== undefined) push(`${held},`);
      // JSON.stringify writes a line break only between tokens (never inside a string), so indenting
      // each line indents the element as the whole document's stringify would.
      held = `  ${JSON.stringify(value, null, 2).replace(/\n/g, "\n  ")}`;
      if (size >= chunkChars) write();
    },
    flush: write,
    finish() {
      if (finished) return;
      finished = true;
      if (!started) push("[]");
      else {
        if (held !== undefined) push(held);
        push("]");
      }
      held = undefined;
      write();
    },
  };
}
