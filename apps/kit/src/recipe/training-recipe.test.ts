import * as tf from '@tensorflow/tfjs-core';
import { longTailClassSizes } from '@msn/data';
import { useBackend } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { CliArgumentError, parseArguments } from '../cli/parse-arguments';
import { openRecipeDataset } from './recipe-data';
import { recipeModuleOptions, recipeSchedules, recipeTotalSteps, resolveRecipePrior } from './recipe-run';
import { MSN_TRAINING_FLAGS, resolveTrainingRecipe } from './training-recipe';

const recipe = (...argv: string[]) => resolveTrainingRecipe(parseArguments(MSN_TRAINING_FLAGS, argv), { out: 'runs/test' });

describe('resolveTrainingRecipe', () => {
  it('gives the main job without flags, and applies the preset, size overrides and data-set sizes', () => {
    const main = recipe();
    expect(main).toMatchObject({
      dataset: 'synthetic',
      imageSize: 16,
      focalSize: 8,
      randomViews: 2,
      focalViews: 2,
      steps: 2000,
      schedule: 'msn',
      prior: 'uniform',
      out: 'runs/test',
    });
    expect(main.config).toMatchObject({
      vit: { imageSize: 16, patchSize: 4, hiddenDim: 64, numLayers: 2 },
      head: { hiddenDim: 256, outputDim: 64 },
      numPrototypes: 32,
      maskRatio: 0.15,
    });
    expect(main.augmentation).toEqual({ cjStrength: 1, randomGrayScale: 0.5, gaussianBlur: 0 });
    const fmnist = recipe('--dataset', 'fashion-mnist', '--model', 'fmnist-tiny', '--prototypes', '512', '--epochs', '2');
    expect(fmnist).toMatchObject({ imageSize: 28, focalSize: 16, epochs: 2 });
    expect(fmnist.steps).toBeUndefined();
    expect(fmnist.config).toMatchObject({ vit: { imageSize: 28, patchSize: 4, hiddenDim: 128 }, numPrototypes: 512 });
    expect(recipe('--focal-crop-scale', '0.1,0.4').focalCropScale).toEqual([0.1, 0.4]);
    expect(recipe('--prior', 'power_law', '--power-law-exponent', '0.5')).toMatchObject({ prior: 'power_law', powerLawExponent: 0.5 });
    // TensorBoard event files are on by default beside metrics.jsonl / metrics.csv.
    expect([main.tensorboard, recipe('--no-tensorboard').tensorboard]).toEqual([true, false]);
  });

  it('rejects flags that do not fit together, naming the flag (exit code 2)', () => {
    expect(() => recipe('--steps', '3', '--epochs', '1')).toThrow(CliArgumentError);
    expect(() => recipe('--steps', '3', '--epochs', '1')).toThrow(/'--epochs' = 1; expected either --steps or --epochs, not both/);
    expect(() => recipe('--image-size', '18')).toThrow(
      /'--image-size' = 18; expected an image size that is a multiple of the patch size \(image 18, patch 4\)/,
    );
    expect(() => recipe('--focal-size', '6')).toThrow(/'--focal-size' = 6; expected a multiple of the patch size 4/);
    expect(() => recipe('--power-law-exponent', '1')).toThrow(/no exponent with --prior uniform/);
    expect(() => recipe('--focal-crop-scale', '0.5')).toThrow(/'--focal-crop-scale' = "0.5"; expected two numbers "min,max"/);
    expect(() => recipe('--grayscale', '2')).toThrow(/'--grayscale' = 2; expected a probability in \[0, 1\]/);
    expect(() => recipe('--momentum', '1.5')).toThrow(/'--momentum' = 1.5/);
    expect(() => recipe('--heads', '3')).toThrow(/'--model \/ size flags'.*numHeads/);
    expect(() => recipe('--epochs', '0')).toThrow(/'--epochs' = 0; expected a number > 0/);
  });
});

describe('recipe schedules, steps and prior', () => {
  it('derives steps from epochs and builds the msn and constant schedules', () => {
    expect(recipeTotalSteps({ steps: 7 }, 10)).toBe(7);
    expect(recipeTotalSteps({ epochs: 2.5 }, 10)).toBe(25);
    const msn = recipeSchedules({ schedule: 'msn', learningRate: 0.002, weightDecay: 0.04, momentum: 0.99 }, { stepsPerEpoch: 10, totalSteps: 100 });
    // Warm-up from lr/5 over 10 % of the run, then cosine decay; weight decay and momentum grow; sharpening fixed.
    expect(msn.learningRate(0)).toBeCloseTo(0.0004 + 0.0016 / 10, 10);
    expect(Math.max(...Array.from({ length: 100 }, (_, step) => msn.learningRate(step)))).toBeCloseTo(0.002, 6);
    expect(msn.learningRate(99)).toBeLessThan(msn.learningRate(10));
    expect(msn.weightDecay(99)).toBeGreaterThan(msn.weightDecay(0));
    expect(msn.weightDecay(99)).toBeLessThan(0.4);
    expect(msn.momentum(0)).toBe(0.99);
    expect(msn.momentum(99)).toBeGreaterThan(0.99);
    expect(msn.sharpenTemperature(50)).toBe(0.25);
    const constant = recipeSchedules({ schedule: 'constant', learningRate: 0.001, weightDecay: 0.04, momentum: 0.996 }, { stepsPerEpoch: 10, totalSteps: 100 });
    expect([constant.learningRate(77), constant.weightDecay(77), constant.momentum(77), constant.sharpenTemperature(77)]).toEqual([0.001, 0.04, 0.996, 0.25]);
  });

  it('resolves the prior flag', async () => {
    expect(await resolveRecipePrior({ prior: 'uniform' })).toEqual({ prior: 'uniform', description: 'uniform (MSN)' });
    expect(await resolveRecipePrior({ prior: 'power_law' })).toMatchObject({ prior: 'power_law', powerLawExponent: 0.25 });
    await expect(resolveRecipePrior({ prior: 'no-such-prior.mjs' })).rejects.toThrow(/loadPriorModule: invalid argument 'path' = "no-such-prior.mjs"/);
    await expect(resolveRecipePrior({ prior: 'empirical' })).rejects.toThrow(/'data' = undefined; expected the opened data set/);
  });

  it('makes the empirical prior from the pre-training labels: the sorted class frequencies when K = C', async () => {
    const data = openRecipeDataset(
      resolveTrainingRecipe(parseArguments(MSN_TRAINING_FLAGS, ['--synthetic-images', '600', '--long-tail', '10', '--seed', '2']), { out: 'runs/test' }),
    );
    const resolved = await resolveRecipePrior({ prior: 'empirical' }, data);
    await useBackend('cpu');
    expect(resolved.description).toMatch(/^empirical \(PMSN, class counts /);
    const counts = longTailClassSizes(6, 100, 10);
    const total = counts.reduce((sum, count) => sum + count, 0);
    const prior = resolved.prior as (probabilities: tf.Tensor1D) => tf.Tensor1D;
    const probabilities = tf.fill([6], 1 / 6) as tf.Tensor1D;
    const target = prior(probabilities);
    const values = Array.from(target.dataSync());
    tf.dispose([probabilities, target]);
    values.forEach((value, rank) => expect(value).toBeCloseTo(counts[rank]! / total, 6));
  });
});

describe('recipeModuleOptions', () => {
  it('carries the architecture, views, schedules, clipping and prior into MSNModule options', async () => {
    const pmsn = recipe('--prior', 'power_law', '--power-law-exponent', '0.5', '--random-views', '3', '--max-grad-norm', '0');
    const options = recipeModuleOptions(pmsn, await resolveRecipePrior(pmsn), { stepsPerEpoch: 10, totalSteps: 100 });
    expect(options).toMatchObject({ config: pmsn.config, seed: 0, randomViews: 3, maxGradNorm: null, prior: 'power_law', powerLawExponent: 0.5 });
    expect(options.schedules!.learningRate!(10)).toBeCloseTo(recipeSchedules(pmsn, { stepsPerEpoch: 10, totalSteps: 100 }).learningRate(10), 12);
    const main = recipe();
    expect(recipeModuleOptions(main, await resolveRecipePrior(main), { stepsPerEpoch: 64, totalSteps: 2000 })).toMatchObject({
      maxGradNorm: 3,
      prior: 'uniform',
    });
  });
});
