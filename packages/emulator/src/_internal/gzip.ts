/**
 * Whether Google would gzip the answer to `request` (reference §4.6): a Calendar API call or batch whose
 * request accepts gzip and names gzip in its User-Agent (`my-app/1.0 (gzip)`); Google asks for both.
 */
export function wantsGzip(request: Request): boolean {
  const url = request.url;
  const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
  if (!path.startsWith("/calendar/v3/") && !path.startsWith("/batch/calendar/v3")) return false;
  if (!/gzip/i.test(request.headers.get("user-agent") ?? "")) return false;
  return (request.headers.get("accept-encoding") ?? "").split(",").some((entry) => {
    const [coding = "", ...params] = entry.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return coding === "gzip" && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/**
 * The answer as it goes over a socket: gzipped when Google would gzip it (`Content-Encoding: gzip`, no
 * `Content-Length`), else as it is. Only the served emulator (`@dwd/emulator/node`, the CLI) encodes:
 * `emulator.fetch` used in-process as a client's `fetch` answers as a fetch would, decoded.
 */
export function encodeForSocket(request: Request, response: Response): Response {
  if (response.body === null || response.headers.has("content-encoding")) return response;
  if (!wantsGzip(request)) return response;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.set("content-encoding", "gzip");
  const body = response.body.pipeThrough(new CompressionStream("gzip"));
  return new Response(body, { status: response.status, headers });
}
