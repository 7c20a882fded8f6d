/** A call's deadline and the caller's signal, as one signal, plus what to say when it fires. */
export interface Deadline {
  signal: AbortSignal;
  /** True when our own timeout fired (not the caller's signal). */
  timedOut(): boolean;
  /** Stops the timer. */
  clear(): void;
}

/** Combines the caller's signal with a timeout of `ms` (none when `ms` is 0 or Infinity). */
export function createDeadline(ms: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  let fired = false;
  const timer =
    Number.isFinite(ms) && ms > 0
      ? setTimeout(() => {
          fired = true;
          controller.abort(new DOMException(`No answer within ${ms} ms`, "TimeoutError"));
        }, ms)
      : undefined;
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted === true) onAbort();
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => fired,
    clear() {
      if (timer !== undefined) clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}

/** Settles with `promise`, or rejects with the signal's reason once it aborts (for fetches that ignore signals). */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
