// The inner requests of a batch, and the bodies of their answers. A batch frames each answer itself, so
// an answer to a part keeps its body as JSON text (pieces, with their UTF-8 length) instead of as a
// Response body; the batch writes it into its own bytes once.

import { joinUtf8 } from "./utf8.ts";

const parts = new WeakSet<Request>();

/**
 * A serialized JSON body: the pieces of its text (a list of events is the list's head and each event's
 * kept JSON), their UTF-8 length together, and its bytes once they were made (see {@link utf8Of}). A
 * kept body (a page of events.list) keeps its bytes, so answering it again copies them instead of
 * encoding the text again.
 */
export interface JsonText {
  readonly pieces: readonly string[];
  /** UTF-8 length of the pieces together. */
  readonly bytes: number;
  utf8?: Uint8Array<ArrayBuffer> | undefined;
  /** True for a body answered again and again (a kept page): a batch then sends its kept bytes. */
  keep?: boolean | undefined;
}

/** The body of an answer to a batch part, and the header lines the batch frames it with. */
export interface FramedBody {
  body: JsonText;
  /** `Name: value` lines of the part's answer (no Date, Server or caching headers: the batch's own apply). */
  headerLines: readonly string[];
}

const framed = new WeakMap<Response, FramedBody>();

/** The UTF-8 bytes of `body`, made once and kept with it. */
export function utf8Of(body: JsonText): Uint8Array<ArrayBuffer> {
  return (body.utf8 ??= joinUtf8(body.pieces, body.bytes));
}

/** Marks `request` as one part of a batch. */
export function markBatchPart(request: Request): void {
  parts.add(request);
}

/** True when `request` is one part of a batch. */
export function isBatchPart(request: Request): boolean {
  return parts.has(request);
}

/** An answer whose body and headers the batch will frame itself: a bare Response, the rest kept. */
export function framedAnswer(status: number, body: FramedBody): Response {
  const res = new Response(null, { status });
  framed.set(res, body);
  return res;
}

/** What `framedAnswer` kept for an answer, else undefined. */
export function framedBody(res: Response): FramedBody | undefined {
  return framed.get(res);
}
