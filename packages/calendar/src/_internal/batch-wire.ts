import { MAX_ANSWER_BYTES, decodedChunks } from "./decoded-body.ts";

/** One inner request of a batch. */
export interface BatchPart {
  contentId: string;
  method: string;
  /** Absolute path with query, e.g. `/calendar/v3/calendars/primary/events?maxResults=10`. */
  path: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** One inner response of a batch. */
export interface BatchPartAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

const CRLF = "\r\n";

/** Writes a `multipart/mixed` batch body: one `application/http` part per call. */
export function encodeBatch(parts: readonly BatchPart[], boundary: string): string {
  let out = "";
  for (const p of parts) {
    out += `--${boundary}${CRLF}Content-Type: application/http${CRLF}Content-ID: <${p.contentId}>${CRLF}${CRLF}`;
    out += `${p.method} ${p.path} HTTP/1.1${CRLF}`;
    for (const [name, value] of Object.entries(p.headers)) out += `${name}: ${value}${CRLF}`;
    out += CRLF;
    if (p.body !== undefined) out += p.body;
    out += CRLF;
  }
  return `${out}--${boundary}--${CRLF}`;
}

function headerBlock(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) map.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return map;
}

/** The Content-ID of a part's own (short) header block; "" without one. */
function contentIdOf(head: string): string {
  const at = head.toLowerCase().indexOf("content-id:");
  if (at === -1) return "";
  // Not at a line's start (another header's name ends so): read the block properly.
  if (at > 0 && head[at - 1] !== "\n") return headerBlock(head).get("content-id") ?? "";
  const end = head.indexOf("\n", at);
  return head.slice(at + "content-id:".length, end === -1 ? undefined : end).trim();
}

function splitHead(text: string): [string, string] {
  const m = /\r?\n\r?\n/.exec(text);
  return m === null ? [text, ""] : [text.slice(0, m.index), text.slice(m.index + m[0].length)];
}

/** The boundary of a `multipart/mixed; boundary=…` content type. */
export function boundaryOf(contentType: string | null): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  return m?.[1] ?? m?.[2];
}

/** One part's text (what follows its delimiter) as its Content-ID (without `response-`) and inner answer. */
function parsePart(chunk: string): [string, BatchPartAnswer] {
  const start = chunk.startsWith("\r\n") ? 2 : chunk.startsWith("\n") ? 1 : 0;
  const [outerHead, inner] = splitHead(start === 0 ? chunk : chunk.slice(start));
  const id = contentIdOf(outerHead)
    .replace(/^<|>$/g, "")
    .replace(/^response-/, "");
  const [innerHead, body] = splitHead(inner);
  const lineEnd = innerHead.indexOf("\n");
  const statusLine = lineEnd === -1 ? innerHead : innerHead.slice(0, lineEnd);
  const status = Number(/^HTTP\/[\d.]+\s+(\d{3})/.exec(statusLine)?.[1] ?? 0);
  // Most answers' headers are never asked for: they are read on first use.
  let headers: Map<string, string> | undefined;
  const end = body.endsWith("\r\n") ? 2 : body.endsWith("\n") ? 1 : 0;
  return [
    id,
    {
      status,
      headers: {
        get: (name) =>
          (headers ??= headerBlock(lineEnd === -1 ? "" : innerHead.slice(lineEnd + 1))).get(
            name.toLowerCase(),
          ) ?? null,
      },
      text: end === 0 ? body : body.slice(0, body.length - end),
    },
  ];
}

/**
 * Cuts a multipart body into its parts as its text arrives, in pieces of any size (a delimiter may
 * straddle two pieces). A part is handed on once the next delimiter is seen; the preamble and everything
 * from the closing delimiter on are dropped. Each part's text is copied once, whatever the pieces.
 */
export class PartSplitter {
  readonly #delimiter: string;
  /** The text of the current segment so far, and its last `delimiter.length - 1` characters. */
  #pieces: string[] = [];
  #tail = "";
  #delimiters = 0;
  #closed = false;

  constructor(boundary: string) {
    this.#delimiter = `--${boundary}`;
  }

  /** Takes the next piece of text; returns the parts it completed, in order. */
  push(text: string): string[] {
    const done: string[] = [];
    const d = this.#delimiter;
    let rest = text;
    while (!this.#closed && rest !== "") {
      // A delimiter that began in the tail is found in a short window; any other in `rest` itself (no
      // copy of the piece is made to search it).
      let at: number | undefined;
      if (this.#tail !== "") {
        const window = this.#tail + rest.slice(0, d.length - 1);
        const w = window.indexOf(d);
        if (w !== -1 && w < this.#tail.length) at = w - this.#tail.length; // < 0: began in the tail
      }
      if (at === undefined) {
        const i = rest.indexOf(d);
        if (i !== -1) at = i;
      }
      if (at === undefined) {
        this.#pieces.push(rest);
        const keep = d.length - 1;
        this.#tail =
          rest.length >= keep ? rest.slice(rest.length - keep) : (this.#tail + rest).slice(-keep);
        break;
      }
      // The segment ends where the delimiter begins: in `rest`, or back in the pieces before it.
      let segment: string;
      if (at >= 0) {
        const head = rest.slice(0, at);
        segment = this.#pieces.length === 0 ? head : this.#pieces.join("") + head;
      } else {
        const before = this.#pieces.join("");
        segment = before.slice(0, before.length + at);
      }
      this.#segment(segment, done);
      this.#pieces = [];
      this.#tail = "";
      rest = rest.slice(at + d.length);
    }
    return done;
  }

  /** The body ended: the part still open, if it is one (a body may lack its closing delimiter). */
  end(): string[] {
    const done: string[] = [];
    if (!this.#closed) this.#segment(this.#pieces.join(""), done);
    this.#closed = true;
    this.#pieces = [];
    return done;
  }

  #segment(text: string, done: string[]): void {
    const first = this.#delimiters++ === 0;
    if (first) return; // the preamble
    if (text.startsWith("--")) this.#closed = true;
    else done.push(text);
  }
}

/**
 * Reads a batch response into inner answers by Content-ID (Google answers `<response-ID>`; parts may
 * come in any order).
 */
export function parseBatch(text: string, boundary: string): Map<string, BatchPartAnswer> {
  const answers = new Map<string, BatchPartAnswer>();
  const splitter = new PartSplitter(boundary);
  for (const part of [...splitter.push(text), ...splitter.end()]) {
    const [id, answer] = parsePart(part);
    answers.set(id, answer);
  }
  return answers;
}

/**
 * Reads a batch response's body as it arrives and hands each inner answer on as soon as its part is
 * complete (by Content-ID, without `response-`), so a caller works on the first parts while the rest are
 * still on the way, and no whole-body text is ever made. A body still gzipped (a fetch that does not
 * inflate) is inflated as it is read. Rejects when the body fails, `signal` aborts, or the decoded
 * body passes `maxBytes` (`AnswerTooLargeError`); parts handed on before stay handed on.
 */
export async function readBatchAnswer(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  boundary: string,
  onPart: (id: string, answer: BatchPartAnswer) => void,
  signal: AbortSignal,
  maxBytes: number = MAX_ANSWER_BYTES,
): Promise<void> {
  const splitter = new PartSplitter(boundary);
  const decoder = new TextDecoder();
  const take = (parts: string[]): void => {
    for (const part of parts) onPart(...parsePart(part));
  };
  for await (const chunk of decodedChunks(body, { maxBytes, signal }))
    take(splitter.push(decoder.decode(chunk, { stream: true })));
  take(splitter.push(decoder.decode()));
  take(splitter.end());
}
