import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { longTailClassSizes, type Batch, type DataLoader, type MSNViews } from '@msn/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseArguments } from '../cli/parse-arguments';
import { InvalidArgumentError } from '@msn/errors';
import { openRecipeDataset, recipeLoader, recipeTransform } from './recipe-data';
import { MSN_TRAINING_FLAGS, resolveTrainingRecipe } from './training-recipe';

const recipe = (...argv: string[]) =>
  resolveTrainingRecipe(parseArguments(MSN_TRAINING_FLAGS, ['--workers', '0', '--synthetic-images', '20', ...argv]), { out: 'runs/test' });

async function firstBatch(loader: DataLoader<MSNViews<tf.Tensor4D>>): Promise<Batch<MSNViews<tf.Tensor4D>>> {
  for await (const batch of loader.batches({ epoch: 0 })) return batch;
  throw new Error('the loader yielded no batch');
}

beforeAll(() => useBackend('cpu'));

describe('recipe data', () => {
  it("opens the synthetic set at the recipe's image size and makes its views", async () => {
    const main = recipe();
    const data = openRecipeDataset(main);
    expect(data.train.length).toBe(20);
    const { image } = (await data.train.get(0))!;
    const views = recipeTransform(main, data.normalize).apply(image, { seed: 0, epoch: 0, index: 0 });
    expect([views.target.width, ...views.anchors.map((view) => view.width), ...views.focal.map((view) => view.width)]).toEqual([16, 16, 8, 8]);
  });

  it('pre-trains on a long tail with --long-tail and names its head, medium and tail classes for the evaluation', () => {
    const flags = (...argv: string[]) =>
      resolveTrainingRecipe(parseArguments(MSN_TRAINING_FLAGS, ['--synthetic-images', '600', ...argv]), { out: 'runs/test' });
    const data = openRecipeDataset(flags('--long-tail', '10', '--seed', '1'));
    const sizes = longTailClassSizes(6, 100, 10);
    expect(data.train.length).toBe(sizes.reduce((sum, size) => sum + size, 0));
    expect(data.classGroups!.map((group) => group.name)).toEqual(['head', 'medium', 'tail']);
    expect(data.classGroups!.flatMap((group) => group.classes).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(data.description).toContain(`long tail (ratio 10) of ${data.train.length} of its 600 training images: ${sizes.join(', ')} per class`);
    expect(data.evaluation!.test.length).toBe(openRecipeDataset(flags()).evaluation!.test.length);
    expect(() => recipe('--long-tail', '10', '--train-subset', '10')).toThrow(/--long-tail.*either --long-tail or --train-subset/);
  });

  it("shards the shuffled order across ranks: the ranks' batches are the one-process batch of batchSize × ranks", async () => {
    const data = openRecipeDataset(recipe());
    const single = recipeLoader(recipe('--batch-size', '8'), data);
    const ranks = [0, 1].map((rank) => recipeLoader(recipe('--batch-size', '4'), data, { rank, worldSize: 2 }));
    expect(single.length).toBe(2);
    expect(ranks.map((loader) => loader.length)).toEqual([2, 2]);

    const before = tf.memory().numTensors;
    const [whole, ...shards] = await Promise.all([single, ...ranks].map(firstBatch));
    const shardIndices = shards.flatMap((batch) => batch!.indices);
    expect(new Set(shardIndices).size).toBe(8);
    expect([...shardIndices].sort((a, b) => a - b)).toEqual([...whole!.indices].sort((a, b) => a - b));
    // Same images, same views: the view of image i does not depend on which process draws it.
    const row = (batch: Batch<MSNViews<tf.Tensor4D>>, index: number) => tf.slice(batch.views.target, [batch.indices.indexOf(index)], [1]);
    for (const shard of shards) {
      for (const index of shard!.indices) {
        const [mine, theirs] = [row(shard!, index), row(whole!, index)];
        expect(Array.from(mine.dataSync())).toEqual(Array.from(theirs.dataSync()));
        tf.dispose([mine, theirs]);
      }
    }
    for (const batch of [whole, ...shards]) tf.dispose([batch!.views, batch!.labels] as tf.TensorContainer);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a batch larger than the data set, naming the batch size and the images per rank', () => {
    const data = openRecipeDataset(recipe());
    expect(() => recipeLoader(recipe('--batch-size', '21'), data)).toThrow(InvalidArgumentError);
    expect(() => recipeLoader(recipe('--batch-size', '21'), data)).toThrow(
      /recipeLoader: invalid argument 'batchSize' = 21; expected at most 20: synthetic has 20 training images$/,
    );
    expect(() => recipeLoader(recipe('--batch-size', '11'), data, { rank: 1, worldSize: 2 })).toThrow(
      /'batchSize' = 11; expected at most 10: synthetic has 20 training images for 2 ranks/,
    );
  });
});
