// @file The data side of a recipe: its data set, MSN's multi-view transform and the pre-training loader.
import type * as tf from '@tensorflow/tfjs-core';
import { DataLoader, DistributedSampler, LongTailedSubset, MSNTransform, SubsetDataset, type MSNViews, type NormalizeStats } from '@msn/data';
import { openDataset, type OpenedDataset } from '../datasets/open-dataset';
import { InvalidArgumentError } from '@msn/errors';
import type { TrainingRecipe } from './training-recipe';

/**
 * Opens the recipe's data set (`--dataset`, `--data`; synthetic shapes at the recipe's image size). With
 * `trainSubset`, pre-training sees that many images drawn with the seed; with `longTail`, a `LongTailedSubset` of
 * that ratio (classes ordered by the seed) and the evaluation reports head / medium / tail classes too
 * (`classGroups`). The evaluation splits stay whole.
 * @throws {InvalidArgumentError} when `trainSubset` exceeds the training images, or from `LongTailedSubset.from`.
 */
export function openRecipeDataset(
  recipe: Pick<TrainingRecipe, 'dataset' | 'data' | 'seed' | 'imageSize' | 'syntheticImages' | 'trainSubset' | 'longTail'>,
): OpenedDataset {
  const opened = openDataset({
    name: recipe.dataset,
    seed: recipe.seed,
    ...(recipe.data === undefined ? {} : { path: recipe.data }),
    ...(recipe.dataset === 'synthetic'
      ? { imageSize: recipe.imageSize, ...(recipe.syntheticImages === undefined ? {} : { syntheticLength: recipe.syntheticImages }) }
      : {}),
  });
  if (recipe.longTail !== undefined) {
    const train = LongTailedSubset.from(opened.train, { ratio: recipe.longTail, seed: recipe.seed });
    const counts = train.classOrder.map((label) => train.classCounts[label]).join(', ');
    return {
      ...opened,
      train,
      classGroups: train.groups(),
      description: `${opened.description}; pre-training on a long tail (ratio ${recipe.longTail}) of ${train.length} of its ${opened.train.length} training images: ${counts} per class, largest first`,
    };
  }
  if (recipe.trainSubset === undefined) return opened;
  if (recipe.trainSubset > opened.train.length) {
    throw new InvalidArgumentError({
      caller: 'openRecipeDataset',
      argument: 'trainSubset',
      value: recipe.trainSubset,
      expected: `at most the ${opened.train.length} training images of ${opened.name}`,
    });
  }
  const train = SubsetDataset.random(opened.train, recipe.trainSubset, { seed: recipe.seed });
  return { ...opened, train, description: `${opened.description}; pre-training on ${train.length} of its ${opened.train.length} training images` };
}

/** MSN's views as the recipe says: view 0 the target, views 1 … randomViews − 1 anchors, then the focal views. */
export function recipeTransform(
  recipe: Pick<TrainingRecipe, 'imageSize' | 'focalSize' | 'randomViews' | 'focalViews' | 'randomCropScale' | 'focalCropScale' | 'augmentation'>,
  normalize: NormalizeStats,
): MSNTransform {
  return new MSNTransform({
    randomSize: recipe.imageSize,
    focalSize: recipe.focalSize,
    randomViews: recipe.randomViews,
    focalViews: recipe.focalViews,
    randomCropScale: recipe.randomCropScale,
    focalCropScale: recipe.focalCropScale,
    ...recipe.augmentation,
    normalize,
  });
}

/** Which share of the data a process trains on: rank r of worldSize takes every worldSize-th image of the shuffle. */
export interface RecipeShard {
  rank: number;
  worldSize: number;
}

/**
 * The pre-training loader of a recipe: shuffled with the recipe's seed, full batches only, persistent workers. With a
 * `shard`, a `DistributedSampler` gives each rank its interleaved share of the same shuffled order, so the job's
 * batches are those of one process with batch `batchSize × worldSize`. The caller owns the loader and the tensors.
 *
 * @throws {InvalidArgumentError} when the data set has fewer images than one (combined) batch.
 */
export function recipeLoader(
  recipe: Pick<
    TrainingRecipe,
    'batchSize' | 'seed' | 'workers' | 'imageSize' | 'focalSize' | 'randomViews' | 'focalViews' | 'randomCropScale' | 'focalCropScale' | 'augmentation'
  >,
  data: Pick<OpenedDataset, 'name' | 'train' | 'normalize'>,
  shard?: RecipeShard,
): DataLoader<MSNViews<tf.Tensor4D>> {
  const worldSize = shard?.worldSize ?? 1;
  const images = data.train.length;
  if (images < recipe.batchSize * worldSize) {
    throw new InvalidArgumentError({
      caller: 'recipeLoader',
      argument: 'batchSize',
      value: recipe.batchSize,
      expected: `at most ${Math.floor(images / worldSize)}: ${data.name} has ${images} training images${worldSize > 1 ? ` for ${worldSize} ranks` : ''}`,
    });
  }
  const order =
    shard === undefined
      ? { shuffle: true }
      : { sampler: new DistributedSampler({ datasetLength: images, rank: shard.rank, worldSize, shuffle: true, seed: recipe.seed, dropLast: true }) };
  return new DataLoader(data.train, {
    batchSize: recipe.batchSize,
    ...order,
    dropLast: true,
    seed: recipe.seed,
    workers: recipe.workers,
    persistentWorkers: true,
    transform: recipeTransform(recipe, data.normalize),
  });
}
