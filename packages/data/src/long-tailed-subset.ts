// A long-tailed view of a balanced labelled dataset: class sizes that fall as a power law of the class's rank.
import { datasetLabels } from './dataset-labels';
import { InvalidArgumentError, assertInteger, assertKnownKeys } from '@msn/errors';
import type { ImageDataset } from './image-dataset';
import { seededPermutation } from './seeded-shuffle';
import { SubsetDataset } from './subset-dataset';

/**
 * Class sizes of a long tail: the class of rank r (0 = largest) keeps `round(largest · (r + 1)^−a)` images, at least
 * one, with a = ln(ratio) / ln(classes), so the largest class is `ratio` times the smallest. Ten classes at ratio 100
 * give a = 2: 6000, 1500, 667, 375, 240, 167, 122, 94, 74, 60 from 6000. Ratio 1 keeps every class at `largest`.
 * @throws {InvalidArgumentError} for fewer than two classes, a ratio below 1 or a largest size below 1.
 */
export function longTailClassSizes(classes: number, largest: number, ratio: number): number[] {
  const caller = 'longTailClassSizes';
  assertInteger(caller, 'classes', classes, 2);
  assertInteger(caller, 'largest', largest, 1);
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 1) {
    throw new InvalidArgumentError({ caller, argument: 'ratio', value: ratio, expected: 'a finite number >= 1 (largest class / smallest class)' });
  }
  const exponent = Math.log(ratio) / Math.log(classes);
  return Array.from({ length: classes }, (_, rank) => Math.max(1, Math.round(largest * (rank + 1) ** -exponent)));
}

/** Options of {@link LongTailedSubset.from}. */
export interface LongTailOptions {
  /** Largest class size / smallest class size (e.g. 100). */
  ratio: number;
  /** Orders the classes (which is the head) and picks the images of each. @default 0 */
  seed?: number;
  /** Images of the largest class. @default the parent's smallest class size (every class can supply it) */
  largest?: number;
}

/** Classes of one part of the tail: `head` (the largest third of the ranks), `medium`, `tail`. */
export interface ClassGroup {
  name: 'head' | 'medium' | 'tail';
  /** Labels, in rank order. */
  classes: number[];
}

/**
 * Images of a labelled dataset resampled to a long tail ({@link longTailClassSizes}): the classes are put in a seeded
 * random order, the class of rank r keeps its size's worth of images drawn with the seed. Every class keeps at least
 * one image; the same seed gives the same classes and images. Rebuildable in workers like any {@link SubsetDataset}.
 *
 * @example
 * const longTailed = LongTailedSubset.from(fashionMnistTrain, { ratio: 100, seed: 0 }); // 9 299 of 60 000 images
 * longTailed.classCounts;   // images per label
 * longTailed.groups();      // head / medium / tail labels, for evaluation by part of the tail
 * @throws {InvalidArgumentError} for an unlabelled parent, a bad ratio, or `largest` above the smallest class.
 */
export class LongTailedSubset extends SubsetDataset {
  private constructor(
    parent: ImageDataset,
    indices: readonly number[],
    /** Labels from the largest class to the smallest. */
    readonly classOrder: readonly number[],
    /** Images kept per label (index = label). */
    readonly classCounts: readonly number[],
    readonly ratio: number,
  ) {
    super(parent, indices);
  }

  static from(parent: ImageDataset, options: LongTailOptions): LongTailedSubset {
    const caller = 'LongTailedSubset.from';
    assertKnownKeys(caller, options, ['ratio', 'seed', 'largest']);
    const seed = options.seed ?? 0;
    assertInteger(caller, 'seed', seed, 0);
    const labels = datasetLabels(caller, parent);
    const byLabel = new Map<number, number[]>();
    labels.forEach((label, index) => {
      const members = byLabel.get(label) ?? [];
      members.push(index);
      byLabel.set(label, members);
    });
    const present = [...byLabel.keys()].sort((left, right) => left - right);
    const numClasses = Math.max(parent.classes?.length ?? 0, present[present.length - 1]! + 1);
    const smallest = Math.min(...present.map((label) => byLabel.get(label)!.length));
    if (present.length !== numClasses) {
      throw new InvalidArgumentError({
        caller,
        argument: 'parent',
        value: `labels ${present.join(', ')}`,
        expected: `images of every one of its ${numClasses} classes`,
      });
    }
    const largest = options.largest ?? smallest;
    if (largest > smallest) {
      throw new InvalidArgumentError({ caller, argument: 'largest', value: largest, expected: `at most ${smallest}, the size of the parent's smallest class` });
    }
    const sizes = longTailClassSizes(numClasses, largest, options.ratio);
    const classOrder = seededPermutation(numClasses, seed);
    const classCounts = new Array<number>(numClasses).fill(0);
    const indices: number[] = [];
    classOrder.forEach((label, rank) => {
      const members = byLabel.get(label)!;
      // One stream per class, so a class's images do not depend on the other classes' sizes.
      const picked = seededPermutation(members.length, seed * 7919 + label + 1).slice(0, sizes[rank]!);
      for (const position of picked) indices.push(members[position]!);
      classCounts[label] = sizes[rank]!;
    });
    indices.sort((left, right) => left - right);
    return new LongTailedSubset(parent, indices, classOrder, classCounts, options.ratio);
  }

  /** The labels of the head (largest third of the ranks), medium (middle third) and tail (rest) classes. */
  groups(): ClassGroup[] {
    const classes = this.classOrder.length;
    const headEnd = Math.round(classes / 3);
    const mediumEnd = Math.round((2 * classes) / 3);
    return [
      { name: 'head', classes: this.classOrder.slice(0, headEnd) },
      { name: 'medium', classes: this.classOrder.slice(headEnd, mediumEnd) },
      { name: 'tail', classes: this.classOrder.slice(mediumEnd) },
    ];
  }
}
