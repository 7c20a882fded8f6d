// userOrder: concurrent per-user work, output in the users' order, what waits bounded by the window.
// The property runs users that finish in a random order (some failing midway, after some of their
// items) through forEachSubject, as listAcrossUsers does, and checks the output order and the bound.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forEachSubject } from "../src/_internal/many-users.ts";
import { createProgress } from "../src/_internal/progress.ts";
import { userOrder } from "../src/_internal/user-order.ts";

const quiet = (): ReturnType<typeof createProgress> =>
  createProgress(0, { label: "", enabled: false, write: () => {} });

describe("userOrder()", () => {
  it("writes a later user's items only once every user before it has finished", () => {
    const out: string[] = [];
    const order = userOrder<string>(
      { item: (i, item) => out.push(`${i}:${item}`), done: (i) => out.push(`${i} done`) },
      4,
    );
    order.item(1, "b1");
    order.item(0, "a1");
    expect(out).toEqual(["0:a1"]); // user 0 is first: straight out; user 1's item waits
    order.item(2, "c1");
    order.finish(2, false); // user 2 failed after one item
    expect(out).toEqual(["0:a1"]);
    order.finish(0, true);
    expect(out).toEqual(["0:a1", "0 done", "1:b1"]); // user 1 is now first: its kept item goes out
    order.item(1, "b2");
    expect(out).toEqual(["0:a1", "0 done", "1:b1", "1:b2"]);
    order.finish(1, true);
    // A failed user's items up to its failure are written; it is never said done.
    expect(out).toEqual(["0:a1", "0 done", "1:b1", "1:b2", "1 done", "2:c1"]);
  });

  it("holds back a user more than `window` places ahead of the first unfinished one", async () => {
    const order = userOrder<string>({ item: () => {} }, 2);
    let started = false;
    await order.ready(1);
    const third = order.ready(2).then(() => (started = true));
    await Promise.resolve();
    expect(started).toBe(false);
    order.finish(1, true); // not the first: nothing moves
    await Promise.resolve();
    expect(started).toBe(false);
    order.finish(0, true);
    await third;
    expect(started).toBe(true);
  });

  it("property: any finishing order, failures mixed in: output in user order, bounded waiting", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            items: fc.integer({ min: 0, max: 4 }),
            failAfter: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
            delays: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 6 }),
        async (users, concurrency) => {
          const window = concurrency * 2;
          const out: [number, number][] = [];
          const said: number[] = [];
          const order = userOrder<number>(
            { item: (i, n) => out.push([i, n]), done: (i) => said.push(i) },
            window,
          );
          let head = 0;
          let mostAhead = 0;
          const done = new Set<number>();
          const subjects = users.map((_, i) => `u${i}@example.com`);
          const failures = await forEachSubject(
            subjects,
            async (_subject, index) => {
              await order.ready(index);
              mostAhead = Math.max(mostAhead, index - head);
              let ok = false;
              try {
                const user = users[index]!;
                for (let n = 0; n < user.items; n++) {
                  // Yield a random number of turns so users interleave and finish out of order.
                  for (let t = 0; t < (user.delays[n] ?? 0); t++) await Promise.resolve();
                  if (user.failAfter === n) throw new Error(`user ${index} fails`);
                  order.item(index, n);
                }
                ok = true;
              } finally {
                done.add(index);
                while (done.has(head)) head++;
                order.finish(index, ok);
              }
            },
            { concurrency, progress: quiet() },
          );
          // Every item of every user, users in order, each user's items in order, a failed user's up
          // to its failure.
          const expected = users.flatMap((u, i) =>
            Array.from(
              {
                length: u.failAfter !== undefined && u.failAfter < u.items ? u.failAfter : u.items,
              },
              (_, n): [number, number] => [i, n],
            ),
          );
          expect(out).toEqual(expected);
          expect(failures.map((f) => f.subject)).toEqual(
            subjects.filter((_, i) => {
              const u = users[i]!;
              return u.failAfter !== undefined && u.failAfter < u.items;
            }),
          );
          expect(said).toEqual(
            users.flatMap((u, i) =>
              u.failAfter !== undefined && u.failAfter < u.items ? [] : [i],
            ),
          );
          expect(mostAhead).toBeLessThan(window);
        },
      ),
      { numRuns: 200 },
    );
  });
});
