/** One inner request of a batch. */
export interface BatchPart {
  contentId: string;
  method: string;
  /** Absolute path with query, e.g. `/calendar/v3/calendars/primary/events?maxResults=10`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
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

function splitHead(text: string): [string, string] {
  const m = /\r?\n\r?\n/.exec(text);
  return m === null ? [text, ""] : [text.slice(0, m.index), text.slice(m.index + m[0].length)];
}

/** The boundary of a `multipart/mixed; boundary=…` content type. */
export function boundaryOf(contentType: string | null): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  return m?.[1] ?? m?.[2];
}

/**
 * Reads a batch response into inner answers by Content-ID (Google answers `<response-ID>`; parts may
 * come in any order).
 */
export function parseBatch(text: string, boundary: string): Map<string, BatchPartAnswer> {
  const answers = new Map<string, BatchPartAnswer>();
  const delimiter = `--${boundary}`;
  for (const chunk of text.split(delimiter).slice(1)) {
    if (chunk.startsWith("--")) break;
    const [outerHead, inner] = splitHead(chunk.replace(/^\r?\n/, ""));
    const rawId = headerBlock(outerHead).get("content-id") ?? "";
    const id = rawId.replace(/^<|>$/g, "").replace(/^response-/, "");
    const [innerHead, body] = splitHead(inner);
    const [statusLine = "", ...headerLines] = innerHead.split(/\r?\n/);
    const status = Number(/^HTTP\/[\d.]+\s+(\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers = headerBlock(headerLines.join("\n"));
    answers.set(id, {
      status,
      headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
      text: body.replace(/\r?\n$/, ""),
    });
  }
  return answers;
}
