/**
 * An injected connection reset. The fetch handler cannot close a socket it does not have, so it
 * does what a client's `fetch` does when the server resets the connection: it rejects with
 * `TypeError("fetch failed")` whose `cause` has `code: "ECONNRESET"`. The Node adapter catches this
 * error and destroys the real socket instead, so a client on the wire sees the reset itself.
 */
const marker = Symbol.for("dwd.emulator.connectionReset");

/** Header the traffic layer sets on a response to drop (the request was processed, the answer is lost). */
export const dropHeader = "x-dwd-emulator-drop";

/** The error for a dropped response: what Node's and Deno's fetch reject with on a reset. */
export function connectionReset(): TypeError {
  const cause = Object.assign(new Error("read ECONNRESET"), {
    code: "ECONNRESET",
    errno: -104,
    syscall: "read",
  });
  const err = new TypeError("fetch failed", { cause });
  Object.defineProperty(err, marker, { value: true });
  return err;
}

/** True for an error made by {@link connectionReset}. */
export function isConnectionReset(err: unknown): boolean {
  return (
    typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[marker] === true
  );
}

/** Throws the reset when `res` was marked; returns it otherwise. */
export function deliver(res: Response): Response {
  if (res.headers.has(dropHeader)) {
    void res.body?.cancel();
    throw connectionReset();
  }
  return res;
}
