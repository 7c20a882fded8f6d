/**
 * The upstream transport of dwd-server on Node: @dwd/calendar's `createNodeFetch` (node:http/node:https
 * with Node's keep-alive agents). Node's `fetch` (undici) runs every call through WHATWG request,
 * response and stream objects; for the small JSON answers of the token endpoint and the Calendar API,
 * that costs more than the rest of a proxied call (measured with bench/server.ts: ~0.5 ms of CPU per call
 * on the 2-core bench machine). Deno keeps its own `fetch` (start.ts chooses).
 *
 * No time bound of its own: the caller's `signal` aborts it (fetchWithTimeout's deadline, the calendar
 * client's own) and it rejects with the signal's reason, as `fetch` does; a network failure is a
 * `TypeError` whose cause is the system error, as `fetch`'s is. Answers are bounded to 64 MiB.
 *
 * @module
 */
import { createNodeFetch } from "@dwd/calendar/node";

/** Sends one request; its answer is read by whoever reads its body. */
export const nodeFetch: ReturnType<typeof createNodeFetch> = createNodeFetch();
