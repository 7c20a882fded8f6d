// The CLI's HTTP transport is @dwd/calendar's `createNodeFetch` (node:http/node:https). Why not `fetch`:
// Node loads its `fetch` (undici) on first use, which costs a short-lived process ~35 ms, a third of a
// whole `dwd calendars get` against a local emulator (measured with `--cpu-prof`); `node:http` is in
// Node's start-up snapshot. Every request the CLI makes is bounded in time (silence and total) and in
// the size of its answer.
import { createNodeFetch } from "@dwd/calendar/node";

export { createNodeFetch };

/** A transport with the default bounds: 30 s of silence or 30 s in all is a failure. */
export const nodeFetch: ReturnType<typeof createNodeFetch> = createNodeFetch({ timeoutMs: 30_000 });
