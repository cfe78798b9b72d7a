// @file 32-bit seeds as pure functions of integers (run seed, rank, step …), for streams a resumed run must redraw.
import { InvalidArgumentError } from '@msn/errors';
import { CounterRandom } from './counter-random';

/**
 * A 32-bit seed that is a pure function of `domain` (one of RANDOM_DOMAIN) and `parts` (any safe integers): the
 * first draw of the counter-based stream keyed by them, so neighbouring parts give unrelated seeds.
 *
 * @example const maskSeed = deriveSeed(RANDOM_DOMAIN.stepMasks, runSeed, step);
 * @throws {InvalidArgumentError} for a part that is not a safe integer.
 */
export function deriveSeed(domain: number, ...parts: readonly number[]): number {
  const key = [domain];
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) {
      throw new InvalidArgumentError({ caller: 'deriveSeed', argument: 'parts', value: parts, expected: 'safe integers' });
    }
    // The sign as its own key entry: the stream keys take non-negative integers.
    key.push(part < 0 ? 1 : 0, Math.abs(part));
  }
  return CounterRandom.fromKey(key).nextUint32();
}
