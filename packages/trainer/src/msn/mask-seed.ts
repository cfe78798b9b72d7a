import { assertInteger } from '@msn/errors';
import { RANDOM_DOMAIN, deriveSeed } from '@msn/random';
// @file Masks as a pure function of (run seed, step), so a resumed run draws exactly the masks it would have drawn.

/**
 * The seed of step `step`'s token masks in a run seeded with `seed` (pass it as `maskSeed` to `msnTrainingStep`).
 * Deriving masks from the step instead of one running random stream makes them independent of how the run was
 * split into processes or resumed: restarting from a checkpoint after step n draws the masks of step n + 1.
 * The two numbers are hashed together (`deriveSeed`) so neighbouring steps and seeds give unrelated streams.
 *
 * @example msnTrainingStep(model, batch, { optimizer, maskSeed: maskSeedForStep(runSeed, globalStep) })
 * @throws {InvalidArgumentError} unless both are safe integers (step ≥ 0).
 */
export function maskSeedForStep(seed: number, step: number): number {
  assertInteger('maskSeedForStep', 'seed', seed, Number.MIN_SAFE_INTEGER);
  assertInteger('maskSeedForStep', 'step', step, 0);
  return deriveSeed(RANDOM_DOMAIN.stepMasks, seed, step);
}
