// Rebuilds a built-in dataset from its serialisable source inside a worker thread.
import { Cifar10Dataset } from './cifar10-dataset';
import { IdxDataset } from './idx-dataset';
import { ImageFolder } from './image-folder';
import type { DatasetSource, ImageDataset } from './image-dataset';
import { SubsetDataset } from './subset-dataset';
import { SyntheticShapes } from './synthetic-shapes';

/** The dataset a {@link DatasetSource} describes. */
export function datasetFromSource(source: DatasetSource): ImageDataset {
  switch (source.kind) {
    case 'image-folder':
      return ImageFolder.fromSource(source);
    case 'idx':
      return IdxDataset.fromSource(source);
    case 'cifar10':
      return Cifar10Dataset.fromSource(source);
    case 'synthetic-shapes':
      return SyntheticShapes.fromSource(source);
    case 'subset':
      return new SubsetDataset(datasetFromSource(source.parent), source.indices);
  }
}
