// Samplers: which dataset indices an epoch visits, in which order (sequential or seeded shuffle).
import { assertInteger } from '@msn/errors';
import { CounterRandom, RANDOM_DOMAIN } from '@msn/random';

/** Chooses the dataset indices of one epoch. Loaders call `setEpoch` before asking for `indices()`. */
export interface Sampler {
  /** Number of indices per epoch. */
  readonly length: number;
  /** Selects the epoch whose order `indices()` returns. */
  setEpoch(epoch: number): void;
  /** The indices of the current epoch, in visiting order. */
  indices(): number[];
}

/**
 * 0, 1, …, datasetLength − 1 every epoch.
 * @example const sampler = new SequentialSampler(1000);
 * @throws {InvalidArgumentError} when `datasetLength` is not an integer >= 1.
 */
export class SequentialSampler implements Sampler {
  readonly length: number;

  constructor(datasetLength: number) {
    assertInteger('SequentialSampler', 'datasetLength', datasetLength, 1);
    this.length = datasetLength;
  }

  setEpoch(epoch: number): void {
    assertInteger('SequentialSampler.setEpoch', 'epoch', epoch, 0);
  }

  indices(): number[] {
    return Array.from({ length: this.length }, (_, index) => index);
  }
}

/** A uniformly random permutation of 0…count−1 that is a pure function of (seed, epoch). */
export function epochPermutation(count: number, seed: number, epoch: number): number[] {
  return CounterRandom.fromKey([RANDOM_DOMAIN.shuffle, seed, epoch]).permutation(count);
}

/**
 * A fresh permutation of all indices each epoch, a pure function of (seed, epoch).
 * @example const sampler = new RandomSampler(1000, { seed: 7 }); sampler.setEpoch(3);
 * @throws {InvalidArgumentError} for a length < 1 or a seed/epoch that is not a non-negative integer.
 */
export class RandomSampler implements Sampler {
  readonly length: number;
  readonly seed: number;
  private epoch = 0;

  constructor(datasetLength: number, options: { seed?: number } = {}) {
    assertInteger('RandomSampler', 'datasetLength', datasetLength, 1);
    const seed = options.seed ?? 0;
    assertInteger('RandomSampler', 'seed', seed, 0);
    this.length = datasetLength;
    this.seed = seed;
  }

  setEpoch(epoch: number): void {
    assertInteger('RandomSampler.setEpoch', 'epoch', epoch, 0);
    this.epoch = epoch;
  }

  indices(): number[] {
    return epochPermutation(this.length, this.seed, this.epoch);
  }
}
