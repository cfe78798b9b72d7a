// A view of some images of another dataset (a small-data run, a held-out split), rebuildable in worker threads.
import { assertIndex, type DatasetSource, type ImageDataset } from './image-dataset';
import { InvalidArgumentError, assertInteger } from '@msn/errors';
import type { Sample } from './image';
import { seededPermutation } from './seeded-shuffle';

/**
 * The images `indices` of `parent`, in that order: `subset.get(i)` is `parent.get(indices[i])`. Labels and classes
 * are the parent's. When the parent can be rebuilt in worker threads (`toSource`), so can the subset.
 *
 * @example const small = new SubsetDataset(fashionMnist, [0, 5, 9]);
 * @example const first2000 = SubsetDataset.random(fashionMnist, 2000, { seed: 0 });
 * @throws {InvalidArgumentError} for an index outside the parent or repeated.
 */
export class SubsetDataset implements ImageDataset {
  readonly length: number;
  readonly classes?: readonly string[];
  readonly indices: readonly number[];

  constructor(
    readonly parent: ImageDataset,
    indices: readonly number[],
  ) {
    const caller = 'SubsetDataset';
    if (!Array.isArray(indices))
      throw new InvalidArgumentError({ caller, argument: 'indices', value: indices, expected: 'an array of image indices of the parent dataset' });
    const seen = new Set<number>();
    for (const index of indices) {
      if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
        throw new InvalidArgumentError({
          caller,
          argument: 'indices',
          value: index,
          expected: `integers in [0, ${parent.length - 1}] (the parent has ${parent.length} images)`,
        });
      }
      if (seen.has(index)) throw new InvalidArgumentError({ caller, argument: 'indices', value: index, expected: 'each index once' });
      seen.add(index);
    }
    this.indices = [...indices];
    this.length = indices.length;
    if (parent.classes !== undefined) this.classes = parent.classes;
    // Rebuildable in workers exactly when the parent is (otherwise the loader decodes on its own thread).
    const parentSource = parent.toSource?.bind(parent);
    if (parentSource !== undefined) this.toSource = () => ({ kind: 'subset', parent: parentSource(), indices: this.indices });
  }

  /** The parent's source with the indices; absent when the parent has none. */
  readonly toSource?: () => DatasetSource;

  /**
   * `size` images of `parent` drawn without replacement by a seeded shuffle (the same seed, the same images), in
   * ascending index order.
   * @throws {InvalidArgumentError} when `size` is not an integer in [1, parent.length].
   */
  static random(parent: ImageDataset, size: number, options: { seed?: number } = {}): SubsetDataset {
    if (!Number.isInteger(size) || size < 1 || size > parent.length) {
      throw new InvalidArgumentError({
        caller: 'SubsetDataset.random',
        argument: 'size',
        value: size,
        expected: `an integer in [1, ${parent.length}] (the parent's image count)`,
      });
    }
    const seed = options.seed ?? 0;
    assertInteger('SubsetDataset.random', 'seed', seed, 0);
    const order = seededPermutation(parent.length, seed);
    return new SubsetDataset(
      parent,
      order.slice(0, size).sort((left, right) => left - right),
    );
  }

  get(index: number): Promise<Sample | null> {
    try {
      assertIndex('SubsetDataset.get', index, this.length);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.parent.get(this.indices[index]!);
  }

  /** The parent's label of the subset's image `index`. */
  labelAt(index: number): number | undefined {
    assertIndex('SubsetDataset.labelAt', index, this.length);
    return this.parent.labelAt?.(this.indices[index]!);
  }

  reportSkipped(index: number, reason: string): void {
    this.parent.reportSkipped?.(this.indices[index]!, reason);
  }
}
