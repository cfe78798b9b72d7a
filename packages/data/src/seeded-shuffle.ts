// A seeded permutation for the subset builders: subsets must be reproducible and must not depend on Math.random.
import { CounterRandom, RANDOM_DOMAIN } from '@msn/random';

/** `0 … length − 1` in an order fixed by `seed` (a non-negative safe integer). */
export function seededPermutation(length: number, seed: number): number[] {
  return CounterRandom.fromKey([RANDOM_DOMAIN.subset, seed]).permutation(length);
}
