// Per-rank, per-step seeds: distinct random streams for every rank that a resumed run reproduces.

/** One round of a 32-bit integer hash (the "lowbias32" finaliser: every input bit affects every output bit). */
function mix32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * A 32-bit seed that is a pure function of (seed, rank, step): ranks draw different masks for their different
 * samples, and the run resumed at `step` draws what the uninterrupted run drew. Seeds beyond 32 bits are folded in
 * through their high word.
 *
 * @example const maskSeed = rankSeed(runSeed, group.rank, globalStep);
 */
export function rankSeed(seed: number, rank: number, step: number): number {
  const high = Math.floor(seed / 2 ** 32);
  let state = mix32(seed >>> 0);
  state = mix32(state ^ mix32(high + 0x9e3779b9));
  state = mix32(state ^ mix32(rank + 0x632be59b));
  return mix32(state ^ mix32(step + 0x85157af5));
}
