/** `Date` header value for a server-clock instant. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Headers Google's token endpoint sends (JSON, no-cache, its security headers), with a Date from the emulated clock. */
export function tokenHeaders(nowMs: number): Headers {
  return new Headers({
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-cache, no-store, max-age=0, must-revalidate",
    Pragma: "no-cache",
    Expires: "Mon, 01 Jan 1990 00:00:00 GMT",
    Date: httpDate(nowMs),
    Server: "ESF",
  });
}

/** Headers of a Calendar API JSON response. */
export function apiHeaders(nowMs: number): Headers {
  return new Headers({
    "Content-Type": "application/json; charset=UTF-8",
    "Cache-Control": "private, max-age=0, must-revalidate, no-transform",
    Expires: httpDate(nowMs),
    Date: httpDate(nowMs),
    Vary: "Origin, X-Origin, Referer",
    Server: "ESF",
  });
}
