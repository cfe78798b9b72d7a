import { assertInteger } from '@msn/errors';
// @file Masks as a pure function of (run seed, step), so a resumed run draws exactly the masks it would have drawn.

/**
 * The seed of step `step`'s token masks in a run seeded with `seed` (pass it as `maskSeed` to `msnTrainingStep`).
 * Deriving masks from the step instead of one running random stream makes them independent of how the run was
 * split into processes or resumed: restarting from a checkpoint after step n draws the masks of step n + 1.
 * The two numbers are mixed (32-bit multiply-xorshift, as in MurmurHash's finaliser) so neighbouring steps and
 * seeds give unrelated streams.
 *
 * @example msnTrainingStep(model, batch, { optimizer, maskSeed: maskSeedForStep(runSeed, globalStep) })
 * @throws {InvalidArgumentError} unless both are safe integers (step ≥ 0).
 */
export function maskSeedForStep(seed: number, step: number): number {
  assertInteger('maskSeedForStep', 'seed', seed, Number.MIN_SAFE_INTEGER);
  assertInteger('maskSeedForStep', 'step', step, 0);
  let hash = mix32((seed % 0x1_0000_0000) ^ 0x6d736e00);
  hash = mix32(hash ^ Math.floor(seed / 0x1_0000_0000));
  hash = mix32(hash ^ (step % 0x1_0000_0000));
  hash = mix32(hash ^ Math.floor(step / 0x1_0000_0000));
  return hash >>> 0;
}

function mix32(value: number): number {
  let hash = value | 0;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) | 0;
}
