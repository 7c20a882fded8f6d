import { apiHeaders } from "./headers.ts";

/**
 * Google's front end refuses a request body over 10 MiB, before any API sees it: 400 "Request payload
 * size exceeds the limit: 10485760 bytes." (captured from Google's front end, e.g. Sheets; the same ESF
 * serves Calendar). A batch is one request, so its parts together share the limit.
 */
export const maxBodyBytes: number = 10 * 1024 * 1024;

/** The front end's answer to a body over the limit. */
export function payloadTooLarge(nowMs: number, limit: number = maxBodyBytes): Response {
  const message = `Request payload size exceeds the limit: ${limit} bytes.`;
  const body = {
    error: {
      code: 400,
      message,
      errors: [{ message, domain: "global", reason: "badRequest" }],
      status: "INVALID_ARGUMENT",
    },
  };
  return new Response(JSON.stringify(body), { status: 400, headers: apiHeaders(nowMs) });
}

/**
 * Reads a request's body up to `limit` bytes and gives a request holding it; `undefined` when the body
 * is longer (a `Content-Length` over the limit is refused unread, a stream is cancelled one chunk
 * past it), so an endless or huge upload never sits in memory.
 */
export async function boundedRequest(
  request: Request,
  limit: number = maxBodyBytes,
): Promise<Request | undefined> {
  if (request.body === null) return request;
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    await request.body.cancel().catch(() => undefined);
    return undefined;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: bytes,
  });
}
