// Reading what an endpoint answers, bounded. A token, a signed JWT or a metadata answer is a few KB;
// a fetch that inflates `Content-Encoding: gzip` (the runtime's does) would otherwise hand a 1 MB gzip
// bomb on as a gigabyte of text. So the body is read as it arrives, its decoded bytes counted, and the
// reading stops at the bound. Redirects are refused: a request that carries an assertion, a token or a
// refresh token is sent to the address dwd chose, and nowhere else.

import type { FetchLikeResponse } from "../fetch-like.ts";

/** Largest answer read from a token endpoint, IAM or the metadata server, in decoded bytes. */
export const MAX_ANSWER_BYTES: number = 1024 * 1024;

/** The answer was larger than the bound; carries `cause.code` `EFBIG` like a transport's own bound. */
export class AnswerTooLargeError extends RangeError {
  /** The bound, in bytes. */
  readonly limit: number;
  constructor(limit: number) {
    super(`the answer is larger than ${limit.toLocaleString("en-US")} bytes`, {
      cause: { code: "EFBIG" },
    });
    this.name = "AnswerTooLargeError";
    this.limit = limit;
  }
}

/** Whether `status` is a redirect dwd refuses to follow (304 Not Modified is not one). */
export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

async function* chunksOf(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (!("getReader" in body)) {
    yield* body;
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    // Stops the transfer (and any inflating) when the reading ends early.
    reader.cancel().catch(() => {});
  }
}

/**
 * The answer's text, at most `maxBytes` decoded bytes: read chunk by chunk from `body` when the fetch
 * exposes it (the transfer is cancelled at the bound), else through `text()` and checked afterwards.
 *
 * @throws {AnswerTooLargeError} past the bound
 */
export async function readAnswer(
  response: FetchLikeResponse,
  maxBytes: number = MAX_ANSWER_BYTES,
): Promise<string> {
  const body = response.body;
  if (body === undefined || body === null) {
    const text = await response.text();
    if (text.length > maxBytes) throw new AnswerTooLargeError(maxBytes);
    return text;
  }
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  const it = chunksOf(body)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const r = await it.next();
      if (r.done === true) break;
      size += r.value.length;
      if (size > maxBytes) throw new AnswerTooLargeError(maxBytes);
      text += decoder.decode(r.value, { stream: true });
    }
  } finally {
    await it.return(undefined);
  }
  return text + decoder.decode();
}

/**
 * Reads and drops what is left of an answer dwd will not use (a redirect's body), at most 64 KiB, so
 * its connection is freed (a keep-alive socket left unread holds a short-lived process open).
 */
export async function discardAnswer(response: FetchLikeResponse): Promise<void> {
  await readAnswer(response, 64 * 1024).catch(() => undefined);
}
