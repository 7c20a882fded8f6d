/** `Date` header value for a server-clock instant. */
export function httpDate(ms: number): string {
  // Answers within one second share the text (toUTCString costs microseconds; a batch asks hundreds).
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toUTCString();
  }
  return lastText;
}

let lastSecond = Number.NaN;
let lastText = "";

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
