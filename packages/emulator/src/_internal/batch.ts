import { randomBytes, toHex } from "./base64.ts";
import { framedBody, markBatchPart, utf8Of } from "./batch-parts.ts";
import { calendarError } from "./calendar-errors.ts";
import type { EmulatorRuntime } from "./emulator-runtime.ts";
import { apiHeaders } from "./headers.ts";
import { partRequest } from "./part-request.ts";
import { joinUtf8, utf8Length } from "./utf8.ts";

/** A streamed batch answer is written in pieces of at least this many bytes (the last may be shorter). */
export const flushBytes: number = 64 * 1024;

/** Google's limit of calls in one batch request. */
export const maxBatchParts = 1000;

/**
 * Largest header section of one part (its MIME headers, request line and inner headers), bytes. A
 * request's own headers are bounded by the server (Node: 16 KiB, else 431); Google's bound for a part is
 * not documented, so this one is generous: no real client comes near it, and a part over it is a bad
 * request on its own (400 "Bad Request") while the other parts run.
 */
export const maxPartHeaderBytes: number = 64 * 1024;

const reasons: Record<number, string> = {
  200: "OK",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

interface Part {
  contentId?: string | undefined;
  method: string;
  target: string;
  /** The part's own headers, names lower-cased; repeated ones joined with ", " (as Headers does). */
  headers: Map<string, string>;
  body: string;
  /** True when the part's header section is over {@link maxPartHeaderBytes}: answered 400 unread. */
  oversized?: boolean | undefined;
}

function splitHead(text: string): { head: string[]; body: string } {
  const normalized = text.replace(/^\r?\n/, "");
  const m = /\r?\n\r?\n/.exec(normalized);
  if (m === null) return { head: normalized.split(/\r?\n/).filter((l) => l !== ""), body: "" };
  return {
    head: normalized.slice(0, m.index).split(/\r?\n/),
    body: normalized.slice(m.index + m[0].length),
  };
}

function headerLines(lines: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return headers;
}

/** Parses a multipart/mixed batch body into its inner HTTP requests; undefined when it is not one. */
export function parseBatch(contentType: string, body: string): Part[] | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!/^multipart\/mixed/i.test(contentType) || boundary === undefined) return undefined;
  const chunks = body.split(`--${boundary}`);
  const parts: Part[] = [];
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith("--")) break;
    const outer = splitHead(chunk);
    const inner = splitHead(outer.body);
    // Lengths in UTF-16 units; a header is ASCII, and anything else only makes it longer in bytes.
    const headBytes = [...outer.head, ...inner.head].reduce((n, line) => n + line.length + 2, 0);
    if (headBytes > maxPartHeaderBytes) {
      parts.push({ method: "GET", target: "/", headers: new Map(), body: "", oversized: true });
      continue;
    }
    const partHeaders = headerLines(outer.head);
    const requestLine = inner.head[0] ?? "";
    const rl = /^([A-Z]+)\s+(\S+)(?:\s+HTTP\/\d(?:\.\d)?)?$/.exec(requestLine.trim());
    if (rl === null) return undefined;
    const part: Part = {
      method: rl[1] ?? "GET",
      target: rl[2] ?? "/",
      headers: headerLines(inner.head.slice(1)),
      body: inner.body.replace(/\r?\n$/, ""),
    };
    const id = partHeaders.get("content-id");
    if (id !== undefined) part.contentId = id;
    parts.push(part);
  }
  return parts;
}

/** An inner HTTP response: its status line and headers, and its body (text, or kept bytes) with its UTF-8 length. */
async function serialize(
  res: Response,
): Promise<{ head: string; body: readonly (string | Uint8Array)[]; bytes: number }> {
  const status = `HTTP/1.1 ${res.status} ${reasons[res.status] ?? ""}`.trimEnd();
  const framed = framedBody(res);
  if (framed !== undefined) {
    const lines = [status, ...framed.headerLines, `Content-Length: ${framed.body.bytes}`];
    // A kept body is sent as its kept bytes; any other is written from its text straight into the piece.
    const body = framed.body.keep === true ? [utf8Of(framed.body)] : framed.body.pieces;
    return { head: lines.join("\r\n"), body, bytes: framed.body.bytes };
  }
  const body = res.status === 204 || res.status === 304 ? "" : await res.text();
  const bytes = utf8Length(body);
  const lines = [status];
  for (const [k, v] of res.headers) {
    if (["date", "server", "vary", "expires", "cache-control"].includes(k)) continue;
    lines.push(
      `${k.replace(/(^|-)([a-z])/g, (_s, d: string, c: string) => d + c.toUpperCase())}: ${v}`,
    );
  }
  if (body !== "") lines.push(`Content-Length: ${bytes}`);
  return { head: lines.join("\r\n"), body: [body], bytes };
}

/** Google's `<response-…>` form of a part's Content-ID. */
function responseId(id: string): string {
  if (id.startsWith("<"))
    return id.length > 1 && id.endsWith(">") ? `<response-${id.slice(1, -1)}>` : id;
  return id === "" ? id : `<response-${id}>`;
}

/**
 * `POST /batch/calendar/v3`: runs each part of a multipart/mixed body as its own Calendar call
 * (in order; each succeeds or fails alone). Outer headers other than `Content-*` apply to every
 * part unless the part sets its own, so an inner `Authorization` makes one batch act as many users.
 * Answers multipart/mixed with `Content-ID: <response-…>` per part.
 */
export async function handleBatch(
  runtime: EmulatorRuntime,
  request: Request,
  dispatch: (r: Request) => Promise<Response>,
): Promise<Response> {
  const { ctx } = runtime;
  const nowMs = ctx.clock();
  ctx.stats.batchRequests++;
  ctx.stats.byEndpoint["batch"] = (ctx.stats.byEndpoint["batch"] ?? 0) + 1;
  const parts = parseBatch(request.headers.get("content-type") ?? "", await request.text());
  if (parts === undefined || parts.length === 0) {
    return calendarError(
      400,
      "badRequest",
      `Invalid multipart request with ${parts?.length ?? 0} mime parts.`,
      nowMs,
    );
  }
  if (parts.length > maxBatchParts) {
    return calendarError(
      400,
      "batchSizeTooLarge",
      `A batch request cannot contain more than ${maxBatchParts} requests.`,
      nowMs,
    );
  }
  ctx.stats.batchParts += parts.length;
  const origin = new URL(request.url).origin;
  const boundary = `batch_${toHex(randomBytes(12))}`;
  const inherited = [...request.headers].filter(([k]) => !k.startsWith("content-") && k !== "host");
  /** A part's answer as its pieces (framing text, body bytes or text) and their UTF-8 length. */
  const answer = async (
    part: Part,
  ): Promise<{ pieces: (string | Uint8Array)[]; bytes: number }> => {
    // The outer request's headers, each overridden by the part's own.
    const headers = new Map(inherited);
    for (const [k, v] of part.headers) headers.set(k, v);
    let url: URL;
    try {
      // A part's target is a path; an absolute one is taken for its path and query only.
      url = new URL(part.target, origin);
      if (url.origin !== origin) url = new URL(url.pathname + url.search, origin);
    } catch {
      url = new URL("/calendar/v3/invalid", origin);
    }
    const hasBody = part.body !== "" && part.method !== "GET" && part.method !== "DELETE";
    // A header name or value no HTTP request can carry: this part is a bad request, the rest run.
    const inner = partRequest(url.href, part.method, headers, hasBody ? part.body : null);
    let res: Response;
    if (inner === undefined || part.oversized === true)
      res = calendarError(400, "badRequest", "Bad Request", nowMs);
    else {
      markBatchPart(inner);
      try {
        res = url.pathname.startsWith("/calendar/v3/")
          ? await dispatch(inner)
          : calendarError(404, "notFound", "Not Found", nowMs);
      } catch {
        res = calendarError(500, "backendError", "Backend Error", nowMs);
      }
    }
    const id = part.contentId === undefined ? "" : `Content-ID: ${responseId(part.contentId)}\r\n`;
    const out = await serialize(res);
    const framing = `--${boundary}\r\nContent-Type: application/http\r\n${id}\r\n${out.head}\r\n\r\n`;
    return { pieces: [framing, ...out.body, "\r\n"], bytes: utf8Length(framing) + out.bytes + 2 };
  };
  // The answers are written as they are made, in pieces of at least `flushBytes` (chunked: the length
  // is not known before the last part), so the first answers are on their way while later parts still
  // run. The parts run in order whether or not anyone reads.
  const write = async (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    let pending: (string | Uint8Array)[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      controller.enqueue(joinUtf8(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
    };
    for (const part of parts) {
      const out = await answer(part);
      pending.push(...out.pieces);
      pendingBytes += out.bytes;
      if (pendingBytes >= flushBytes) flush();
    }
    const end = `--${boundary}--\r\n`;
    pending.push(end);
    pendingBytes += end.length;
    flush();
    controller.close();
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      write(controller).catch((error: unknown) => controller.error(error));
    },
  });
  const headers = apiHeaders(nowMs);
  headers.set("Content-Type", `multipart/mixed; boundary=${boundary}`);
  return new Response(body, { status: 200, headers });
}
