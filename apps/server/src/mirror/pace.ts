/**
 * The mirror's pace: a token bucket of Google calls per second over all its calls (start-up,
 * renewals, reconcile, notifications), so a thousand users do not trip Google's per-project quotas.
 *
 * @module
 */

/** A token bucket that callers wait on. */
export interface Pacer {
  /**
   * Resolves when one call may be made (at once while the bucket holds a token).
   *
   * @throws {Error} code `mirror_closed`, once {@link Pacer.close} was called
   */
  take(): Promise<void>;
  /** Ends every wait, now and later: `take()` rejects (the mirror is closing). */
  close(): void;
}

/**
 * A token bucket of `perSecond` calls per second, holding at most `perSecond` (a burst of one second).
 * Waiters are served in order.
 *
 * @param perSecond calls per second (> 0)
 * @param now the clock (ms)
 * @param sleep waits `ms` (tests hand in a fake)
 * @returns the pacer
 */
export function createPacer(
  perSecond: number,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Pacer {
  const capacity = Math.max(1, perSecond);
  let tokens = capacity;
  let at = now();
  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  let closing = (): void => undefined;
  const ended = new Promise<void>((resolve) => (closing = resolve));
  const closedError = (): Error =>
    Object.assign(new Error("the mirror is closing"), { code: "mirror_closed" });
  const refill = (): void => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - at) * perSecond) / 1000);
    at = t;
  };
  const one = async (): Promise<void> => {
    refill();
    while (tokens < 1 && !closed) {
      await Promise.race([sleep(Math.ceil(((1 - tokens) * 1000) / perSecond)), ended]);
      refill();
    }
    if (closed) throw closedError();
    tokens -= 1;
  };
  return {
    take() {
      const turn = tail.then(one);
      tail = turn.catch(() => undefined);
      return turn;
    },
    close() {
      closed = true;
      closing();
    },
  };
}
