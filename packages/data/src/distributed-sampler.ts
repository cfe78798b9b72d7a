// DistributedSampler: torch's per-rank shard of one shared permutation per epoch.
import { InvalidArgumentError, assertBoolean, assertInteger, assertOptions } from '@msn/errors';
import { epochPermutation, type Sampler } from './sampler';

/** Options of {@link DistributedSampler}. */
export interface DistributedSamplerOptions {
  /** Number of samples in the dataset. */
  datasetLength: number;
  /** This process's rank, 0 ≤ rank < worldSize. */
  rank: number;
  /** Number of processes. */
  worldSize: number;
  /** Shuffle with one permutation per epoch, identical on every rank. @default true */
  shuffle?: boolean;
  /** Seed of the permutation; must be the same on every rank. @default 0 */
  seed?: number;
  /**
   * `false`: pad the index list by wrapping around to its start until it divides evenly, so some samples
   * appear twice in an epoch. `true`: drop the tail so it divides evenly (some samples are not seen that
   * epoch). @default false
   */
  dropLast?: boolean;
}

/**
 * torch's `DistributedSampler`: every rank draws the same permutation of 0…N−1 for the epoch (a pure
 * function of seed and epoch; call `setEpoch` each epoch or every epoch repeats the order), evens its
 * length out to T = worldSize · numSamples (padding by wrapping around, or dropping the tail with
 * `dropLast`), and takes the interleaved shard `list[rank], list[rank + worldSize], …`. Shards are
 * disjoint slots of equal size `numSamples` = ceil(N / worldSize) (padding) or floor(N / worldSize)
 * (dropLast); together they cover every index at least once when padding.
 *
 * @example
 * const sampler = new DistributedSampler({ datasetLength: 60000, rank, worldSize: 2, seed: 1 });
 * sampler.setEpoch(epoch); // or let the DataLoader do it
 * @throws {InvalidArgumentError} for a rank outside [0, worldSize), worldSize < 1 or other bad options.
 */
export class DistributedSampler implements Sampler {
  readonly datasetLength: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices per rank per epoch (torch's `num_samples`). */
  readonly length: number;
  /** Indices over all ranks per epoch (torch's `total_size`). */
  readonly totalSize: number;
  private epoch = 0;

  constructor(options: DistributedSamplerOptions) {
    const caller = 'DistributedSampler';
    assertOptions(caller, options, ['datasetLength', 'rank', 'worldSize', 'shuffle', 'seed', 'dropLast'], '{ datasetLength, rank, worldSize, … }');
    const { datasetLength, rank, worldSize, shuffle = true, seed = 0, dropLast = false } = options;
    assertInteger(caller, 'datasetLength', datasetLength, 1);
    assertInteger(caller, 'worldSize', worldSize, 1);
    assertInteger(caller, 'rank', rank, 0);
    if (rank >= worldSize) {
      throw new InvalidArgumentError({ caller, argument: 'rank', value: rank, expected: `an integer in [0, ${worldSize - 1}] (worldSize ${worldSize})` });
    }
    assertBoolean(caller, 'shuffle', shuffle);
    assertInteger(caller, 'seed', seed, 0);
    assertBoolean(caller, 'dropLast', dropLast);
    if (dropLast && datasetLength < worldSize) {
      throw new InvalidArgumentError({
        caller,
        argument: 'datasetLength',
        value: datasetLength,
        expected: `at least worldSize (${worldSize}) samples with dropLast, or every rank would get none`,
      });
    }
    this.datasetLength = datasetLength;
    this.rank = rank;
    this.worldSize = worldSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    this.length = dropLast ? Math.floor(datasetLength / worldSize) : Math.ceil(datasetLength / worldSize);
    this.totalSize = this.length * worldSize;
  }

  /** Selects the epoch; all ranks must use the same epoch to get disjoint shards. */
  setEpoch(epoch: number): void {
    assertInteger('DistributedSampler.setEpoch', 'epoch', epoch, 0);
    this.epoch = epoch;
  }

  /** This rank's `length` indices for the current epoch. */
  indices(): number[] {
    const order = this.shuffle ? epochPermutation(this.datasetLength, this.seed, this.epoch) : Array.from({ length: this.datasetLength }, (_, index) => index);
    const shard: number[] = [];
    for (let position = this.rank; position < this.totalSize; position += this.worldSize) {
      // Positions past the end wrap around to the start of the same order (torch's padding).
      shard.push(order[position % this.datasetLength]!);
    }
    return shard;
  }
}
