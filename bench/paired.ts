// Pair-by-pair comparison: runs A and B alternately, takes the ratio A/B of each pair, and reports the
// median ratio (plus each side's median). A pair shares the machine's state of the moment (load, cache),
// so the ratio is steadier than a ratio of two medians taken apart.

import { median } from "./stats.ts";

export interface Paired {
  /** Median wall of A, ms. */
  a: number;
  /** Median wall of B, ms. */
  b: number;
  /** Median of the per-pair ratios A/B. */
  ratio: number;
  /** Number of pairs. */
  pairs: number;
}

/** Runs one warm-up of each, then `pairs` pairs, alternating which side goes first. */
export async function paired(
  runA: () => Promise<number>,
  runB: () => Promise<number>,
  pairs: number,
): Promise<Paired> {
  await runA();
  await runB();
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    let ta: number;
    let tb: number;
    if (i % 2 === 0) {
      ta = await runA();
      tb = await runB();
    } else {
      tb = await runB();
      ta = await runA();
    }
    a.push(ta);
    b.push(tb);
    ratios.push(ta / tb);
  }
  return { a: median(a), b: median(b), ratio: median(ratios), pairs };
}
