// A seeded permutation for the subset builders: subsets must be reproducible and must not depend on Math.random.

/** `0 … length − 1` in an order fixed by `seed` (Fisher–Yates over a Numerical Recipes LCG). */
export function seededPermutation(length: number, seed: number): number[] {
  const order = Array.from({ length }, (_, index) => index);
  let state = (seed ^ 0x5ab5e7) >>> 0;
  for (let index = order.length - 1; index > 0; index--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const other = Math.floor((state / 0x1_0000_0000) * (index + 1));
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}
