import { isGzipped } from "./bytes.ts";

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

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart])
    .stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Reads a body as text. Runtime `fetch`es decode `Content-Encoding: gzip` themselves (and may keep the
 * header), so the bytes are sniffed: only a body that still starts with gzip's magic number is inflated.
 */
export async function readBody(response: CalendarFetchResponse): Promise<string> {
  if (response.arrayBuffer === undefined) return await response.text();
  const bytes = new Uint8Array(await response.arrayBuffer());
  return new TextDecoder().decode(isGzipped(bytes) ? await gunzip(bytes) : bytes);
}
