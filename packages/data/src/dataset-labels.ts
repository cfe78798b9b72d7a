// Every label of a labelled dataset, read without decoding its images.
import { InvalidArgumentError } from '@msn/errors';
import type { ImageDataset } from './image-dataset';

/**
 * The labels of all samples of `dataset`, from its `labelAt` (IdxDataset, Cifar10Dataset, ImageFolder with class
 * folders, SyntheticShapes, SubsetDataset of those).
 * @throws {InvalidArgumentError} when the dataset has no `labelAt` or a sample has no label.
 */
export function datasetLabels(caller: string, dataset: ImageDataset): Int32Array {
  if (typeof dataset?.labelAt !== 'function') {
    throw new InvalidArgumentError({
      caller,
      argument: 'dataset',
      value: dataset?.constructor?.name ?? dataset,
      expected: 'a labelled dataset with labelAt(index) (IdxDataset, Cifar10Dataset, ImageFolder, SyntheticShapes)',
    });
  }
  const labels = new Int32Array(dataset.length);
  for (let index = 0; index < dataset.length; index++) {
    const label = dataset.labelAt(index);
    if (label === undefined)
      throw new InvalidArgumentError({ caller, argument: 'dataset', value: `sample ${index} without a label`, expected: 'a labelled dataset' });
    labels[index] = label;
  }
  return labels;
}
