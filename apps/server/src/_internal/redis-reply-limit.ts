/**
 * A bound on what one Redis reply may cost: ioredis buffers a reply until it is complete, so a Redis
 * (or something posing as one) that streams a 1 GB bulk string would take the replica to gigabytes.
 * Here the bytes received while a reply is still incomplete are counted; past the bound the
 * connection is destroyed — the waiting commands fail, the token cache and the budgets fall back to
 * memory, and ioredis reconnects.
 *
 * @module
 */

import type { Redis } from "ioredis";

/** What is read of ioredis's connection (its socket, its queue of commands awaiting replies). */
interface Internals {
  stream?: {
    on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
    destroy(error?: Error): void;
  };
  commandQueue?: { length: number; peekFront(): unknown };
}

/**
 * Destroys `redis`'s connection when more than `maxBytes` arrive without completing a reply.
 *
 * @param redis the client
 * @param maxBytes the bound (the token cache's entries are a few KB)
 * @param onExceeded told when a connection was destroyed
 */
export function limitReplyBytes(
  redis: Redis,
  maxBytes: number,
  onExceeded?: (bytes: number) => void,
): void {
  redis.on("connect", () => {
    const internals = redis as unknown as Internals;
    const stream = internals.stream;
    if (stream === undefined) return;
    let pending = 0;
    let head: unknown;
    // ioredis's decoder is prepended to the socket's listeners: this one runs after it has read the
    // chunk. A reply completed since the last chunk (the queue's head moved, or emptied) resets the count.
    stream.on("data", (chunk) => {
      const queue = internals.commandQueue;
      const front = queue?.peekFront();
      if (queue === undefined || queue.length === 0 || front !== head) {
        pending = 0;
        head = front;
        return;
      }
      pending += chunk.byteLength;
      if (pending > maxBytes) {
        onExceeded?.(pending);
        pending = 0;
        stream.destroy(new Error(`A Redis reply passed ${maxBytes} bytes before it was complete`));
      }
    });
  });
}
