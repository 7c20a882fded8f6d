// An answer's bytes as the client reads them: inflated when they still start with gzip's magic number
// (a fetch that does not inflate), and bounded in their DECODED size — a gzip bomb of a few MB inflates
// to a gigabyte, so a bound on the bytes received alone does not hold. The inflating is pulled chunk by
// chunk, so it stops (and the transfer is cancelled) at the bound or when the caller's signal aborts.

import { isGzipped } from "./bytes.ts";
import { raceSignal } from "./deadline.ts";

/** Largest answer the client reads, in decoded bytes: 64 MiB (a batch of 100 full pages fits). */
export const MAX_ANSWER_BYTES: number = 64 * 1024 * 1024;

/** An answer larger than the client reads; `cause.code` is `EFBIG`, as a transport's own bound says. */
export class AnswerTooLargeError extends RangeError {
  /** The bound, in bytes. */
  readonly limit: number;
  constructor(limit: number) {
    super(`the answer is larger than ${limit.toLocaleString("en-US")} bytes once decoded`, {
      cause: { code: "EFBIG" },
    });
    this.name = "AnswerTooLargeError";
    this.limit = limit;
  }
}

type Reader = Pick<ReadableStreamDefaultReader<Uint8Array>, "read" | "cancel">;

function readerOf(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Reader {
  if ("getReader" in body) return body.getReader();
  const it = body[Symbol.asyncIterator]();
  return {
    read: async () => {
      const r = await it.next();
      return r.done === true ? { done: true, value: undefined } : { done: false, value: r.value };
    },
    cancel: async () => {
      await it.return?.();
    },
  };
}

/** The bytes of `start` and then the rest of `raw`, inflated. */
function inflate(start: Uint8Array, ended: boolean, raw: Reader): Reader {
  let first: Uint8Array | undefined = start;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (first !== undefined) {
        controller.enqueue(first);
        first = undefined;
        return;
      }
      const r = ended ? { done: true as const } : await raw.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => raw.cancel(reason),
  })
    .pipeThrough(new DecompressionStream("gzip") as ReadableWritablePair<Uint8Array, Uint8Array>)
    .getReader();
}

/**
 * The decoded chunks of `body`, at most `maxBytes` in all.
 *
 * @throws {AnswerTooLargeError} past the bound (the reading is cancelled)
 * @throws the signal's reason when it aborts; whatever the body's stream throws
 */
export async function* decodedChunks(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: { maxBytes?: number | undefined; signal?: AbortSignal | undefined } = {},
): AsyncGenerator<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_ANSWER_BYTES;
  const signal = options.signal;
  let reader = readerOf(body);
  const next = (): Promise<ReadableStreamReadResult<Uint8Array>> =>
    signal === undefined ? reader.read() : raceSignal(reader.read(), signal);
  let size = 0;
  const counted = (chunk: Uint8Array): Uint8Array => {
    size += chunk.length;
    if (size > maxBytes) throw new AnswerTooLargeError(maxBytes);
    return chunk;
  };
  let finished = false;
  try {
    // Enough of the start to tell gzip's magic number (pieces may be empty or one byte long).
    let chunk = await next();
    let start: Uint8Array = chunk.value ?? new Uint8Array(0);
    while (!chunk.done && start.length < 2) {
      chunk = await next();
      if (chunk.value !== undefined) {
        const joined = new Uint8Array(start.length + chunk.value.length);
        joined.set(start);
        joined.set(chunk.value, start.length);
        start = joined;
      }
    }
    if (isGzipped(start)) {
      reader = inflate(start, chunk.done, reader);
    } else {
      if (start.length > 0) yield counted(start);
      if (chunk.done) {
        finished = true;
        return;
      }
    }
    for (;;) {
      const r = await next();
      if (r.done) break;
      yield counted(r.value);
    }
    finished = true;
  } finally {
    // Stops the transfer and the inflating when the reading ends early (bound, abort, or a consumer
    // that stopped).
    if (!finished) reader.cancel().catch(() => {});
  }
}
