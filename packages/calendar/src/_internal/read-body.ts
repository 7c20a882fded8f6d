import { AnswerTooLargeError, MAX_ANSWER_BYTES, decodedChunks } from "./decoded-body.ts";

/**
 * A response as the client reads it: Web `Response` fits; `arrayBuffer` lets the client gunzip itself,
 * and `body` lets it read a batch answer as it arrives.
 */
export interface CalendarFetchResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer?: (() => Promise<ArrayBuffer>) | undefined;
  /** The body as it arrives; a batch answer is read from it part by part when present. */
  readonly body?: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null | undefined;
}

/**
 * Reads a body as text, at most {@link MAX_ANSWER_BYTES} decoded bytes. Runtime `fetch`es decode
 * `Content-Encoding: gzip` themselves (and may keep the header), so the bytes are sniffed: only a body
 * that still starts with gzip's magic number is inflated. The body is read as it arrives (`body`, else
 * `arrayBuffer()`), so the bound and the signal stop the reading and the inflating, not only the wait.
 *
 * @throws {AnswerTooLargeError} past the bound
 */
export async function readBody(
  response: CalendarFetchResponse,
  options: { maxBytes?: number | undefined; signal?: AbortSignal | undefined } = {},
): Promise<string> {
  const maxBytes = options.maxBytes ?? MAX_ANSWER_BYTES;
  const body =
    response.body ??
    (response.arrayBuffer === undefined
      ? undefined
      : [new Uint8Array(await response.arrayBuffer())]);
  if (body === undefined || body === null) {
    const text = await response.text();
    if (text.length > maxBytes) throw new AnswerTooLargeError(maxBytes);
    return text;
  }
  const decoder = new TextDecoder();
  const parts: string[] = [];
  for await (const chunk of decodedChunks(toStream(body), { maxBytes, ...options }))
    parts.push(decoder.decode(chunk, { stream: true }));
  parts.push(decoder.decode());
  return parts.join("");
}

function toStream(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array[],
): ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> {
  if (!Array.isArray(body)) return body;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of body) controller.enqueue(chunk);
      controller.close();
    },
  });
}
