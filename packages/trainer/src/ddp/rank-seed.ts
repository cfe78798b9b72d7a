// Per-rank, per-step seeds: distinct random streams for every rank that a resumed run reproduces.
import { RANDOM_DOMAIN, deriveSeed } from '@msn/random';

/**
 * A 32-bit seed that is a pure function of (seed, rank, step): ranks draw different masks for their different
 * samples, and the run resumed at `step` draws what the uninterrupted run drew.
 *
 * @example const maskSeed = rankSeed(runSeed, group.rank, globalStep);
 */
export function rankSeed(seed: number, rank: number, step: number): number {
  return deriveSeed(RANDOM_DOMAIN.rankMasks, seed, rank, step);
}
