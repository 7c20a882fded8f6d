// Output in the order of the users while their work runs concurrently: the first unfinished user's items
// go straight out; a later user's items wait in memory until every user before it has finished. A user
// more than `window` places after the first unfinished one does not start until it comes within reach,
// so what waits is bounded by the items of `window` users, never by the number of users.

/** The reorder point between concurrent per-user work and ordered output. */
export interface UserOrder<T> {
  /** Resolves when user `index` may start (it is within `window` of the first unfinished user). */
  ready(index: number): Promise<void>;
  /** One item of user `index`: written now if every user before it has finished, else kept. */
  item(index: number, item: T): void;
  /** User `index` is done (`ok`: it succeeded): the next users' kept items go out. */
  finish(index: number, ok: boolean): void;
}

/** Where a {@link UserOrder} writes, in the users' order. */
export interface UserOrderOutput<T> {
  /** Writes one item of user `index`. */
  item(index: number, item: T): void;
  /** User `index` succeeded and every item of it has been written. */
  done?(index: number): void;
}

/**
 * Makes a {@link UserOrder} over `emit` (the output, in the users' order).
 *
 * @param output writes each item, and says each user done, in the users' order
 * @param window how far ahead of the first unfinished user work may start (at least 1)
 * @returns the reorder point
 */
export function userOrder<T>(output: UserOrderOutput<T>, window: number): UserOrder<T> {
  const emit = (index: number, item: T): void => output.item(index, item);
  const kept = new Map<number, T[]>();
  /** Finished users not yet reached, and whether each succeeded. */
  const finished = new Map<number, boolean>();
  const waiting = new Map<number, () => void>();
  let head = 0;
  const wake = (): void => {
    for (const [index, go] of waiting)
      if (index < head + window) {
        waiting.delete(index);
        go();
      }
  };
  return {
    ready(index) {
      if (index < head + window) return Promise.resolve();
      return new Promise((resolve) => waiting.set(index, resolve));
    },
    item(index, item) {
      if (index === head) {
        emit(index, item);
        return;
      }
      const list = kept.get(index);
      if (list === undefined) kept.set(index, [item]);
      else list.push(item);
    },
    finish(index, ok) {
      finished.set(index, ok);
      for (let done = finished.get(head); done !== undefined; done = finished.get(head)) {
        finished.delete(head);
        if (done) output.done?.(head);
        head++;
        const list = kept.get(head);
        if (list !== undefined) {
          kept.delete(head);
          for (const item of list) emit(head, item);
        }
      }
      wake();
    },
  };
}
