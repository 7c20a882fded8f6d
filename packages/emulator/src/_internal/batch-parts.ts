// The inner requests of a batch, and the bodies of their answers. A batch frames each answer's text
// itself, so an answer to a part keeps its body as text (with its UTF-8 length) instead of as bytes
// that would only be decoded again.

const parts = new WeakSet<Request>();
/**
 * The body of an answer to a batch part, kept as the pieces of its text (a list of events is the list's
 * head and each event's kept JSON: joined once, into the whole batch), and the header lines the batch
 * frames it with.
 */
export interface FramedBody {
  pieces: readonly string[];
  /** UTF-8 length of the pieces together. */
  bytes: number;
  /** `Name: value` lines of the part's answer (no Date, Server or caching headers: the batch's own apply). */
  headerLines: readonly string[];
}

const framed = new WeakMap<Response, FramedBody>();

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
