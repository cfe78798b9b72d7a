export { DataFileError, DataLoaderError, InvalidArgumentError, ShapeError, isMsnError } from '@msn/errors';
export type { DataFileErrorDetails, InvalidArgumentDetails } from '@msn/errors';
export { assertRgbImage } from './image';
export type { FloatImage, RgbImage, Sample } from './image';
export type { DatasetSource, ImageDataset } from './image-dataset';
export { IMAGE_EXTENSIONS, ImageFolder } from './image-folder';
export type { ImageFolderOptions, SkippedSample } from './image-folder';
export { FASHION_MNIST_CLASSES, IdxDataset } from './idx-dataset';
export type { IdxDatasetOptions, IdxFolderOptions } from './idx-dataset';
export { CIFAR10_CLASSES, Cifar10Dataset } from './cifar10-dataset';
export type { Cifar10DatasetOptions } from './cifar10-dataset';
export { SubsetDataset } from './subset-dataset';
export { LongTailedSubset, longTailClassSizes } from './long-tailed-subset';
export type { ClassGroup, LongTailOptions } from './long-tailed-subset';
export { datasetLabels } from './dataset-labels';
export { SHAPE_CLASSES, SyntheticShapes } from './synthetic-shapes';
export type { ShapeClass, SyntheticShapesOptions } from './synthetic-shapes';
export { IMAGENET_NORMALIZE } from './view-transform';
export type { AugmentationKey, NormalizeStats, TransformSpec, ViewTransform } from './view-transform';
export { groupMSNViews, msnViewList } from './msn-views';
export type { MSNViews } from './msn-views';
export { MSNTransform, MSN_TRANSFORM_DEFAULTS } from './msn-transform';
export type { MSNTransformOptions } from './msn-transform';
export { PlainTransform } from './plain-transform';
export type { PlainTransformOptions } from './plain-transform';
export {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  gaussianBlur,
  hflip,
  normalize,
  resizedCrop,
  rgbToGrayscale,
  vflip,
} from './functional';
export type { ResizedCropOptions } from './functional';
export type { CropBox } from './resize';
export { randomResizedCropBox } from './random-resized-crop';
export { CounterRandom } from '@msn/random';
export { RandomSampler, SequentialSampler } from './sampler';
export type { Sampler } from './sampler';
export { DistributedSampler } from './distributed-sampler';
export type { DistributedSamplerOptions } from './distributed-sampler';
export { DataLoader } from './data-loader';
export type { Batch, DataLoaderOptions, IterateOptions, RawLoaderBatch } from './data-loader';
export type { RawBatch } from './batch-assembly';
