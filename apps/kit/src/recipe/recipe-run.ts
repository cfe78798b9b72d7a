// @file What a recipe needs at run time: the step count, the schedules and the prior.
import type { MSNModuleOptions } from '@msn/trainer/lightning';
import { constantSchedule, loadPriorModule, msnSchedules, type MSNSchedules, type PriorOption } from '@msn/trainer';
import { datasetLabels, type ImageDataset } from '@msn/data';
import { empiricalPrior } from '@msn/priors';
import { InvalidArgumentError, assertInteger } from '@msn/errors';
import type { TrainingRecipe } from './training-recipe';

/** The optimisation steps of a recipe: `steps`, or `epochs` × the loader's batches per epoch (rounded up). */
export function recipeTotalSteps(recipe: Pick<TrainingRecipe, 'steps' | 'epochs'>, stepsPerEpoch: number): number {
  assertInteger('recipeTotalSteps', 'stepsPerEpoch', stepsPerEpoch, 1);
  return recipe.steps ?? Math.max(1, Math.ceil((recipe.epochs ?? 1) * stepsPerEpoch));
}

/**
 * The four schedules of a recipe. `constant`: the learning rate, weight decay and momentum as given, sharpening
 * `loss.sharpenTemperature` (0.25). `msn`: `msnSchedules` over the run with the recipe's values as the reference recipe's start/peak values:
 * learning rate from lr/5 up to lr over the warm-up (default 10 % of the run), then cosine towards 1e-6; weight
 * decay cosine from wd to 10·wd; momentum linear to 1; sharpening fixed; horizons 1.25 × the run (as `msn_train.py`).
 *
 * @example const schedules = recipeSchedules(recipe, { stepsPerEpoch: loader.length, totalSteps: 600 });
 */
export function recipeSchedules(
  recipe: Pick<TrainingRecipe, 'schedule' | 'learningRate' | 'weightDecay' | 'momentum' | 'warmupSteps'> & {
    loss?: Pick<TrainingRecipe['loss'], 'sharpenTemperature'>;
  },
  run: { stepsPerEpoch: number; totalSteps: number },
): MSNSchedules {
  const { stepsPerEpoch, totalSteps } = run;
  const sharpenTemperature = recipe.loss?.sharpenTemperature ?? 0.25;
  assertInteger('recipeSchedules', 'totalSteps', totalSteps, 1);
  if (recipe.schedule === 'constant') {
    return {
      learningRate: constantSchedule(recipe.learningRate),
      weightDecay: constantSchedule(recipe.weightDecay),
      momentum: constantSchedule(recipe.momentum),
      sharpenTemperature: constantSchedule(sharpenTemperature),
    };
  }
  const warmupSteps = recipe.warmupSteps ?? Math.round(totalSteps / 10);
  return msnSchedules({
    stepsPerEpoch,
    epochs: totalSteps / stepsPerEpoch,
    warmupEpochs: warmupSteps / stepsPerEpoch,
    startLearningRate: recipe.learningRate / 5,
    learningRate: recipe.learningRate,
    weightDecay: recipe.weightDecay,
    finalWeightDecay: 10 * recipe.weightDecay,
    startMomentum: recipe.momentum,
    startSharpenTemperature: sharpenTemperature,
    finalSharpenTemperature: sharpenTemperature,
  });
}

/** The regulariser's prior of a run: its option for `createMSNCriterion` / `MSNModule`, and how to name it. */
export interface RecipePrior {
  prior: PriorOption;
  /** For messages and logs: `uniform`, `power_law (exponent 0.25)` or `<file>#<export>`. */
  description: string;
  priorName?: string;
  powerLawExponent?: number;
}

/**
 * Resolves `--prior`: `uniform`, `power_law` (with `--power-law-exponent`), `empirical` (`empiricalPrior` of the
 * class counts of `data.train`'s labels: the oracle prior, for benchmarks on labelled data), or a module path loaded
 * with `loadPriorModule` (its length is checked later, against K, by `createMSNCriterion`).
 * @throws {InvalidArgumentError} from `loadPriorModule` for a missing or unreadable module or a bad export; for
 *   `empirical` without labelled pre-training data.
 */
export async function resolveRecipePrior(recipe: Pick<TrainingRecipe, 'prior' | 'powerLawExponent'>, data?: { train: ImageDataset }): Promise<RecipePrior> {
  if (recipe.prior === 'uniform') return { prior: 'uniform', description: 'uniform (MSN)' };
  if (recipe.prior === 'empirical') {
    if (data === undefined)
      throw new InvalidArgumentError({
        caller: 'resolveRecipePrior',
        argument: 'data',
        value: undefined,
        expected: "the opened data set: --prior empirical counts the pre-training set's labels",
      });
    const counts: number[] = [];
    for (const label of datasetLabels('resolveRecipePrior', data.train)) counts[label] = (counts[label] ?? 0) + 1;
    const classCounts = Array.from(counts, (count) => count ?? 0);
    return {
      prior: empiricalPrior(classCounts),
      description: `empirical (PMSN, class counts ${classCounts.join(', ')} of the pre-training labels)`,
      priorName: 'empirical',
    };
  }
  if (recipe.prior === 'power_law') {
    const exponent = recipe.powerLawExponent ?? 0.25;
    return { prior: 'power_law', description: `power_law (PMSN, exponent ${exponent})`, powerLawExponent: exponent };
  }
  const loaded = await loadPriorModule(recipe.prior);
  return { prior: loaded.prior, description: `${loaded.name} (PMSN, custom prior)`, priorName: loaded.name };
}

/**
 * The `MSNModule` options of a recipe (everything but validation): its architecture and seed, views, schedules over
 * the run, clipping (`maxGradNorm` 0: none) and prior.
 *
 * @example const module = new MSNModule(recipeModuleOptions(recipe, prior, { stepsPerEpoch: loader.length, totalSteps }));
 */
export function recipeModuleOptions(
  recipe: Pick<
    TrainingRecipe,
    'config' | 'seed' | 'randomViews' | 'maxGradNorm' | 'schedule' | 'learningRate' | 'weightDecay' | 'momentum' | 'warmupSteps' | 'loss' | 'freezePrototypes'
  >,
  prior: RecipePrior,
  run: { stepsPerEpoch: number; totalSteps: number },
): MSNModuleOptions {
  return {
    config: recipe.config,
    seed: recipe.seed,
    randomViews: recipe.randomViews,
    schedules: recipeSchedules(recipe, run),
    maxGradNorm: recipe.maxGradNorm > 0 ? recipe.maxGradNorm : null,
    loss: recipeLossOptions(recipe),
    freezePrototypesSteps: recipe.freezePrototypes,
    prior: prior.prior,
    ...(prior.powerLawExponent === undefined ? {} : { powerLawExponent: prior.powerLawExponent }),
    ...(prior.priorName === undefined ? {} : { priorName: prior.priorName }),
  };
}

/** The `MSNLoss` options of a recipe (temperature, Sinkhorn iterations, me-max and entropy weights). */
export function recipeLossOptions(recipe: Pick<TrainingRecipe, 'loss'>): {
  temperature: number;
  sinkhornIterations: number;
  regularizationWeight: number;
  entropyWeight: number;
} {
  const { temperature, sinkhornIterations, regularizationWeight, entropyWeight } = recipe.loss;
  return { temperature, sinkhornIterations, regularizationWeight, entropyWeight };
}
