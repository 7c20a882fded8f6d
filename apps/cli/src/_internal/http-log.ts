// What the CLI's HTTP transport did: a count of requests and token exchanges for the summary of a run
// over many users, and with --verbose (or DWD_LOG=http) one line per request and per answer on stderr,
// like gcloud's --log-http. Nothing secret is written: no header is shown (the Authorization header
// carries the token), a token request's body is shown with its assertion redacted, and every line
// passes through io.err, which redacts whatever else looks like a secret.
import { REDACTED } from "@dwd/auth";
import type { RetryEvent } from "@dwd/calendar";

/** What went over the wire in one run. */
export interface HttpStats {
  /** HTTP requests to the Calendar API (a batch request counts once). */
  requests: number;
  /** Requests to the token endpoint. */
  tokenExchanges: number;
  /** Calls (or batch parts) sent again after a transient failure. */
  retries: number;
}

/** The least a transport's request and answer must offer to be observed. */
type Init = { method?: string; body?: unknown };
type Answer = { status: number; headers: { get(name: string): string | null } };

/** Where the lines go and how the token endpoint is told apart. */
export interface HttpLogOptions {
  /** Writes one line (stderr); absent: nothing is logged, only counted. */
  log?: ((line: string) => void) | undefined;
  /** The token endpoint: its requests count as token exchanges. */
  tokenUri: string;
  /** Clock in ms, for durations. */
  now?: () => number;
}

const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`);

/** A request body as logged: a token request's form with the assertion redacted; else its size. */
function describeBody(body: unknown, token: boolean): string {
  if (typeof body !== "string" || body === "") return "";
  if (!token) return `  (${body.length} bytes)`;
  const form = new URLSearchParams(body);
  const shown = [...form.keys()].map((k) => `${k}=${k === "grant_type" ? form.get(k) : REDACTED}`);
  return `  ${shown.join("&")}`;
}

/**
 * Wraps a transport so each request is counted, and logged when `log` is given: `--> METHOD URL` before
 * it goes out, `<-- STATUS METHOD URL in N ms` (with `Retry-After` when the answer has one), or
 * `<-- failed METHOD URL after N ms: why` when no answer came.
 */
export function observeFetch<I extends Init, A extends Answer>(
  fetch: (url: string, init?: I) => Promise<A>,
  stats: HttpStats,
  options: HttpLogOptions,
): (url: string, init?: I) => Promise<A> {
  const now = options.now ?? Date.now;
  const { log, tokenUri } = options;
  return async (url, init) => {
    const token = url === tokenUri;
    if (token) stats.tokenExchanges++;
    else stats.requests++;
    const method = init?.method ?? "GET";
    const started = now();
    log?.(`http: --> ${method} ${url}${describeBody(init?.body, token)}`);
    try {
      const answer = await fetch(url, init);
      const retryAfter = answer.headers.get("retry-after");
      log?.(
        `http: <-- ${answer.status} ${method} ${url} in ${ms(now() - started)}${retryAfter !== null ? `  retry-after: ${retryAfter}` : ""}`,
      );
      return answer;
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
      const why =
        typeof cause === "string" ? cause : error instanceof Error ? error.message : String(error);
      log?.(`http: <-- failed ${method} ${url} after ${ms(now() - started)}: ${why}`);
      throw error;
    }
  };
}

/** The line a retry gets: which call, as whom, why, and how long the client waits. */
export function retryLine(event: RetryEvent, retries: number): string {
  const who = event.subject !== undefined ? ` as "${event.subject}"` : "";
  const status =
    event.error.status !== undefined && event.error.status > 0 ? `${event.error.status} ` : "";
  return `retry ${event.attempt} of ${retries}: ${event.method}${who}${event.inBatch ? " (batch part)" : ""} failed with ${status}${event.error.code}; trying again in ${ms(event.delayMs)}`;
}

/** `--verbose` or `DWD_LOG=http` (a comma-separated list that names `http`). */
export function verboseFrom(
  args: Record<string, unknown>,
  env: Record<string, string | undefined>,
): boolean {
  if (args["verbose"] === true) return true;
  return (env["DWD_LOG"] ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .includes("http");
}
