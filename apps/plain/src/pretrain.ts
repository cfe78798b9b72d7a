// @file The MSN / PMSN training loop, written out: data, model, loss, AdamW, schedules, checkpoints, metrics.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DataLoader } from '@msn/data';
import { recipeLossOptions, recipeSchedules, recipeTransform, recipeTotalSteps, type OpenedDataset, type RecipePrior, type TrainingRecipe } from '@msn/app-kit';
import { CsvLogger, JsonLinesLogger, TensorBoardLogger, type Logger } from '@msn/trainer/lightning';
import { TrainingHealth, priorTargetShares, writeHealthFile, writeRunReport, type HealthRecord, type HealthSummary } from '@msn/trainer/report';
import { MSNModel, createMSNCriterion, decayEverything, maskSeedForStep, msnTrainingStep, type AdamWOptions, type TrainingProgress } from '@msn/trainer';
import { restoreCheckpoint, saveCheckpoint } from './checkpoints';
import { ProgressLine } from './progress-line';

/** One step's record, as written to metrics.jsonl / metrics.csv: the loss, hyper-parameters and health metrics. */
export interface StepRecord extends HealthRecord {
  step: number;
  epoch: number;
  loss: number;
  crossEntropy: number;
  regLoss: number;
  gradNorm: number;
  learningRate: number;
  weightDecay: number;
  momentum: number;
  sharpenTemperature: number;
  milliseconds: number;
}

/** Extra behaviour around the loop (the fmnist-tiny benchmark evaluates and summarises here). */
export interface PretrainOptions {
  /** Called after every step with its record; may be async (e.g. an evaluation every n steps). */
  afterStep?: (record: StepRecord, model: MSNModel) => void | Promise<void>;
  /** AdamW's parameter groups: the MSN recipe's (no decay on biases, 1-D parameters, prototypes) or one group. @default 'msn' */
  weightDecayGroups?: 'msn' | 'all';
  /** Print a progress line every n steps when stderr is not a terminal. @default 10 */
  printEvery?: number;
}

/** How the loop ended. */
export interface PretrainResult {
  model: MSNModel;
  progress: TrainingProgress;
  totalSteps: number;
  /** Wall time of the steps run by this process (seconds), and their mean time per step (ms, after the first). */
  seconds: number;
  millisecondsPerStep: number;
  interrupted: boolean;
  /** Collapse warnings and the last health metrics (also in `<out>/health.json`). */
  health: HealthSummary;
}

/**
 * Pre-trains an MSN model as `recipe` says, resuming from `recipe.resume` when given. Every `checkpointEvery` steps
 * and at the end (or on Ctrl-C) the whole training state is checkpointed to `<out>/checkpoints/`, and `<out>/health.json`
 * and `<out>/report.html` are rewritten; every step is logged to `<out>/metrics.jsonl`, `<out>/metrics.csv` and (unless
 * `recipe.tensorboard` is false) TensorBoard event files in `<out>` with its health metrics; a detected collapse prints
 * `warning: collapse: …` and is kept in health.json. The caller owns (and disposes) the returned model.
 */
export async function pretrain(recipe: TrainingRecipe, data: OpenedDataset, prior: RecipePrior, options: PretrainOptions = {}): Promise<PretrainResult> {
  // Data: MSN's multi-view augmentation, views = { target, anchors, focal }, a pure function of (seed, epoch, image).
  const transform = recipeTransform(recipe, data.normalize); // an MSNTransform with the recipe's sizes, views and strengths
  const loader = new DataLoader(data.train, {
    batchSize: recipe.batchSize,
    shuffle: true,
    dropLast: true,
    seed: recipe.seed,
    workers: recipe.workers,
    persistentWorkers: true,
    transform,
  });
  if (loader.length === 0) throw new Error(`${data.name} has ${data.train.length} images, fewer than --batch-size ${recipe.batchSize}`);
  const totalSteps = recipeTotalSteps(recipe, loader.length);
  const schedules = recipeSchedules(recipe, { stepsPerEpoch: loader.length, totalSteps });

  // Model, loss (MSN or PMSN; a custom prior is checked against K here), optimiser.
  const model = new MSNModel({ config: recipe.config, seed: recipe.seed });
  const criterion = createMSNCriterion({
    ...recipeLossOptions(recipe),
    numPrototypes: recipe.config.numPrototypes,
    prior: prior.prior,
    ...(prior.powerLawExponent === undefined ? {} : { powerLawExponent: prior.powerLawExponent }),
    ...(prior.priorName === undefined ? {} : { priorName: prior.priorName }),
  });
  const groups: Pick<AdamWOptions, 'weightDecayFilter'> = options.weightDecayGroups === 'all' ? { weightDecayFilter: decayEverything } : {};
  const optimizer = model.createOptimizer({ ...groups, learningRate: schedules.learningRate(0), weightDecay: schedules.weightDecay(0) });
  const identity = { seed: recipe.seed, randomViews: recipe.randomViews };
  const checkpoints = join(recipe.out, 'checkpoints');

  let progress: TrainingProgress = { epoch: 0, batchInEpoch: 0, globalStep: 0 };
  if (recipe.resume !== undefined) {
    progress = await restoreCheckpoint(recipe.resume, { model, optimizer, identity });
    process.stderr.write(`resumed from ${recipe.resume} at step ${progress.globalStep} (epoch ${progress.epoch}, batch ${progress.batchInEpoch})\n`);
  }
  const loggers: Logger[] = [new JsonLinesLogger(join(recipe.out, 'metrics.jsonl')), new CsvLogger(join(recipe.out, 'metrics.csv'))];
  if (recipe.tensorboard !== false) loggers.push(new TensorBoardLogger(recipe.out));
  // Rows logged after the checkpoint by a run that was killed are dropped, so the logs read like one run.
  for (const logger of loggers) await logger.onResume?.(progress.globalStep);

  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    process.stderr.write('\nstopping after this step and saving a checkpoint (Ctrl-C again to abort)\n');
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  // Entropies, prototype usage and feature similarity of every step; warns once per kind of collapse.
  const health = new TrainingHealth({ numPrototypes: recipe.config.numPrototypes });
  // What the sorted prototype usage in health.json (and the report) is compared with.
  const priorTarget = { description: prior.description, shares: await priorTargetShares(prior.prior, recipe.config.numPrototypes, prior.powerLawExponent) };
  const writeHealth = () => writeHealthFile(recipe.out, { ...health.summary(), prior: priorTarget });
  const line = new ProgressLine({ totalSteps, batchSize: recipe.batchSize, printEvery: options.printEvery ?? 10 });
  const save = () => saveCheckpoint(checkpoints, { model, optimizer, progress, identity });
  try {
    while (progress.globalStep < totalSteps && !interrupted) {
      let stopped = false;
      // Resuming mid-epoch: the loader skips the batches the checkpointed run already trained on.
      for await (const batch of loader.batches({ epoch: progress.epoch, startBatch: progress.batchInEpoch })) {
        const step = progress.globalStep;
        const started = performance.now();
        const { target, anchors, focal } = batch.views;
        optimizer.learningRate = schedules.learningRate(step);
        optimizer.weightDecay = schedules.weightDecay(step);
        const momentum = schedules.momentum(step);
        const sharpenTemperature = schedules.sharpenTemperature(step);
        const result = await msnTrainingStep(
          model,
          { targets: target, anchors, focal },
          {
            optimizer,
            loss: criterion,
            momentum,
            targetSharpenTemperature: sharpenTemperature,
            // Masks from (seed, step): a resumed run draws the same ones.
            maskSeed: maskSeedForStep(recipe.seed, step),
            ...(recipe.maxGradNorm > 0 ? { maxGradNorm: recipe.maxGradNorm } : {}),
            updatePrototypes: step >= recipe.freezePrototypes,
          },
        );
        tf.dispose([target, ...anchors, ...focal, ...(batch.labels ? [batch.labels] : [])]);
        progress = { epoch: progress.epoch, batchInEpoch: progress.batchInEpoch + 1, globalStep: step + 1 };

        const record: StepRecord = {
          step: step + 1,
          epoch: progress.epoch,
          loss: result.loss,
          crossEntropy: result.crossEntropy,
          regLoss: result.regLoss,
          gradNorm: result.gradNorm,
          learningRate: optimizer.learningRate,
          weightDecay: optimizer.weightDecay,
          momentum,
          sharpenTemperature,
          milliseconds: performance.now() - started,
          ...health.observe(step + 1, result.health),
        };
        const { step: loggedStep, ...metrics } = record;
        for (const logger of loggers) await logger.logMetrics(metrics, loggedStep);
        line.update(record);
        if (progress.globalStep % recipe.checkpointEvery === 0 || progress.globalStep === totalSteps || interrupted) {
          await save();
          await writeHealth();
          await writeRunReport(recipe.out);
        }
        await options.afterStep?.(record, model);
        if (progress.globalStep >= totalSteps || interrupted) {
          stopped = true;
          break;
        }
      }
      // The epoch's batches are exhausted (when the run stops on its last batch, the next start begins the next epoch).
      if (!stopped || progress.batchInEpoch >= loader.length) progress = { epoch: progress.epoch + 1, batchInEpoch: 0, globalStep: progress.globalStep };
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    line.finish();
    for (const logger of loggers) await logger.finalize?.();
    await loader.close();
    optimizer.dispose();
  }
  if (interrupted) process.stderr.write(`checkpoint saved; resume with --resume ${join(checkpoints, 'last')}\n`);
  return { model, progress, totalSteps, interrupted, seconds: line.seconds, millisecondsPerStep: line.millisecondsPerStep, health: health.summary() };
}
