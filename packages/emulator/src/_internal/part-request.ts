// The request of one batch part, as the Calendar routes read it. A batch of 50 parts made 50 WHATWG
// Requests: ~20 µs each (URL and header conversions, an AbortSignal), the largest cost of a part after
// the routing (bench/calendar-events-list.ts, profiled). The routes read a part's URL, method and
// headers; a real Request is made only when something reads the body.

const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// A header value: no NUL, CR or LF, and only byte-sized characters (what a Request accepts).
const badValue = /[\0\r\n]|[^\0-\xff]/;

/** The headers of a part: lower-case names, read-only. */
class PartHeaders {
  readonly #map: ReadonlyMap<string, string>;

  constructor(map: ReadonlyMap<string, string>) {
    this.#map = map;
  }

  get(name: string): string | null {
    return this.#map.get(name.toLowerCase()) ?? null;
  }

  has(name: string): boolean {
    return this.#map.has(name.toLowerCase());
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) callback(value, name);
  }

  *entries(): IterableIterator<[string, string]> {
    yield* [...this.#map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/**
 * A part's request: `url`, `method` and `headers` as a Request has them, the body's readers from a real
 * Request made on first use. Undefined when a header name or value is one no request can carry.
 */
export function partRequest(
  url: string,
  method: string,
  headers: ReadonlyMap<string, string>,
  body: string | null,
): Request | undefined {
  for (const [name, value] of headers)
    if (!token.test(name) || badValue.test(value)) return undefined;
  let real: Request | undefined;
  const made = (): Request => (real ??= new Request(url, { method, headers: [...headers], body }));
  const part = {
    url,
    method,
    headers: new PartHeaders(headers),
    get body() {
      return made().body;
    },
    get bodyUsed() {
      return made().bodyUsed;
    },
    get signal() {
      return made().signal;
    },
    text: () => made().text(),
    json: () => made().json(),
    arrayBuffer: () => made().arrayBuffer(),
    blob: () => made().blob(),
    formData: () => made().formData(),
    clone: () => made().clone(),
  };
  return part as unknown as Request;
}
