// How deep a JSON value given on the command line may nest. Google's JSON front end parses into protocol
// buffers, whose parsers stop at a recursion depth of 100; an event needs 5 at most. Deeper input would
// reach recursive code (the event-ID hash, the request body) and overflow the stack, so it is refused
// where it is read, as bad input.

/** The deepest nesting accepted in `--body`, `--file` and NDJSON lines (objects and arrays). */
export const maxJsonDepth = 100;

/** How deeply `value` nests, counted without recursion; stops counting past `limit`. */
export function jsonDepth(value: unknown, limit = maxJsonDepth): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, here]);
  }
  return deepest;
}
