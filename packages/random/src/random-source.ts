// Resolves the `seed` / `random` pair that every randomised function accepts.
import { InvalidArgumentError } from '@msn/errors';
import { createRandom, unseededRandom, type Random } from './stream-random';

/** Where a randomised function draws from: a seed for a fresh stream, or an existing stream to continue. */
export interface RandomSource {
  /** Seeds a fresh stream for this call (same seed, same result). */
  seed?: number | undefined;
  /** Continues an existing stream (e.g. one per training run, advanced by every call). */
  random?: Random | undefined;
}

export function resolveRandom(caller: string, source: RandomSource): Random {
  const { seed, random } = source;
  if (seed !== undefined && random !== undefined) {
    throw new InvalidArgumentError({ caller, argument: 'seed', value: seed, expected: "either 'seed' or 'random', not both" });
  }
  if (random !== undefined) {
    if (typeof random !== 'object' || random === null || typeof (random as Random).nextUint32 !== 'function') {
      throw new InvalidArgumentError({ caller, argument: 'random', value: random, expected: 'a Random from createRandom' });
    }
    return random;
  }
  if (seed === undefined) return unseededRandom();
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError({ caller, argument: 'seed', value: seed, expected: 'a safe integer' });
  }
  return createRandom(seed);
}
