// @file MSN / PMSN pre-training as a LightningModule: the model, AdamW, the MSN schedules, masks and validation.
import * as tf from '@tensorflow/tfjs-core';
import type { MSNViews } from '@msn/data';
import type { MSNLoss, MSNLossOptions } from '@msn/loss';
import { ddp, type DistributedMSN } from '../ddp/ddp';
import type { ProcessGroup } from '../distributed/process-group';
import { InvalidArgumentError, assertInteger, assertKnownKeys, assertOptions, assertPositiveFinite } from '@msn/errors';
import { knnClassify } from '../evaluation/knn';
import { healthMetrics } from '../health/health-metrics';
import { PrototypeUsage } from '../health/prototype-usage';
import { embedBatches, type LabelledBatch } from '../label-efficiency/embed-batches';
import type { LightningModule, Metrics, OptimizerConfiguration, StepContext, TrainLoader, TrainingStepOutput } from '../lightning/lightning-module';
import type { AdamW, AdamWOptions } from '../optim/adamw';
import type { JsonValue, StoredTensor } from '../optim/optimizer-state';
import { constantSchedule } from '../schedules/constant-schedule';
import type { MSNSchedules } from '../schedules/msn-schedules';
import type { Schedule } from '../schedules/schedule';
import type { MSNConfig, MSNConfigInput } from '../msn/msn-config';
import { MSNModel } from '../msn/msn-model';
import { msnTrainingStep } from '../msn/msn-training-step';
import { maskSeedForStep } from '../msn/mask-seed';
import { createMSNCriterion, type MSNCriterionOptions, type PriorOption } from '../msn/msn-criterion';

/** A training batch: the views of an `MSNTransform` by role (`@msn/data`'s `DataLoader` batches fit). */
export interface MSNModuleBatch {
  /** The target view, the randomViews − 1 anchor views (all `[B, 3, S, S]`) and the focal views. */
  views: MSNViews<tf.Tensor4D>;
  labels?: tf.Tensor1D;
}

/** Throws unless `views` holds a target, `randomViews − 1` anchors and an array of focal views, all tensors. */
function assertBatchViews(caller: string, views: MSNViews<tf.Tensor4D> | undefined, randomViews: number): asserts views is MSNViews<tf.Tensor4D> {
  const isTensor = (view: unknown) => view instanceof tf.Tensor;
  const valid =
    typeof views === 'object' &&
    views !== null &&
    isTensor(views.target) &&
    Array.isArray(views.anchors) &&
    views.anchors.length === randomViews - 1 &&
    views.anchors.every(isTensor) &&
    Array.isArray(views.focal) &&
    views.focal.every(isTensor);
  if (!valid) {
    const value = Array.isArray(views)
      ? `an array of ${views.length} views`
      : `anchors: ${Array.isArray(views?.anchors) ? views.anchors.length : typeof views?.anchors}`;
    throw new InvalidArgumentError({
      caller,
      argument: 'batch.views',
      value,
      expected: `{ target, anchors (randomViews − 1 = ${randomViews - 1} tensors), focal } as an MSNTransform DataLoader yields`,
    });
  }
}

/** k-NN validation: the labelled reference set the validation batches are classified against. */
export interface MSNValidationOptions {
  /** Labelled batches (e.g. the training split through a `PlainTransform`), embedded at each validation. */
  reference: TrainLoader<LabelledBatch>;
  /** @default 20 */
  k?: number;
  /** @default 0.07 */
  temperature?: number;
}

/** Options of {@link MSNModule}. */
export interface MSNModuleOptions {
  /** The architecture (`resolveMSNConfig`). */
  config: MSNConfig | MSNConfigInput;
  /** Seeds the initial weights and every step's masks (see {@link maskSeedForStep}). @default 0 */
  seed?: number;
  /** Random views per batch: view 0 is the target, views 1 … randomViews − 1 the anchors, the rest focal. @default 2 */
  randomViews?: number;
  /**
   * Hyper-parameters per step, e.g. `msnSchedules({ stepsPerEpoch, epochs })` (the reference recipe: warm-up +
   * cosine learning rate, cosine weight decay 0.04 → 0.4, momentum 0.996 → 1). Missing ones are constant at
   * learning rate 1e-3, weight decay 0.04, momentum 0.996, sharpening temperature 0.25.
   * @default constants
   */
  schedules?: Partial<MSNSchedules>;
  /** AdamW's other settings (β, ε, which parameters decay). @default PyTorch's, with MSN's weight-decay groups */
  optimizer?: Omit<AdamWOptions, 'learningRate' | 'weightDecay'>;
  /** Clip the encoder's gradients to this global norm (MSN's `clip_grad`); `null` disables clipping. @default 3 */
  maxGradNorm?: number | null;
  /** The regulariser's prior: `'uniform'` (MSN), `'power_law'` (PMSN) or a prior function. @default 'uniform' */
  prior?: PriorOption;
  /** Exponent of the `'power_law'` prior. @default 0.25 */
  powerLawExponent?: number;
  /** How errors name a custom prior (e.g. `loadPriorModule`'s `name`). */
  priorName?: string;
  /**
   * The loss' other options (temperature, Sinkhorn iterations, λ). Under `ddpStrategy` the module makes the loss
   * distributed itself ({@link MSNModule.setupDistributed}). @default MSNLoss'
   */
  loss?: Omit<MSNLossOptions, 'targetDistribution' | 'powerLawExponent'>;
  /** Keep the prototypes fixed for the first n steps (`msnTrainingStep`'s `updatePrototypes`). @default 0 */
  freezePrototypesSteps?: number;
  /** Enables `validationStep`: k-NN accuracy of the target backbone on the validation loader's labelled batches. */
  validation?: MSNValidationOptions;
  /** Prefix of the tfjs variable names. @default unique per model */
  name?: string;
}

const KNOWN = [
  'config',
  'seed',
  'randomViews',
  'schedules',
  'optimizer',
  'maxGradNorm',
  'prior',
  'powerLawExponent',
  'priorName',
  'loss',
  'freezePrototypesSteps',
  'validation',
  'name',
] as const;
const SCHEDULE_NAMES = ['learningRate', 'weightDecay', 'momentum', 'sharpenTemperature'] as const;
const DEFAULTS: MSNSchedules = {
  learningRate: constantSchedule(1e-3),
  weightDecay: constantSchedule(0.04),
  momentum: constantSchedule(0.996),
  sharpenTemperature: constantSchedule(0.25),
};

/**
 * MSN (or PMSN) pre-training for the {@link Trainer}: an {@link MSNModel}, its AdamW, the MSN schedules, the loss
 * chosen by `prior`, and the batch layout of `MSNTransform` (view 0 target, views 1 … randomViews − 1 anchors, the
 * rest focal). Each step's masks are a function of (seed, global step), so a run resumed from a checkpoint draws
 * the same masks, and with a deterministic loader reproduces the uninterrupted run's losses exactly. Checkpoints
 * hold every variable under lightly's names (`stateDict`), AdamW's moments, and the seed (`trainingState`).
 * Under the Trainer's `ddpStrategy(group)` it trains data-parallel ({@link MSNModule.setupDistributed}): n ranks
 * with batch b train exactly like one process with batch n·b.
 *
 * @example
 * const module = new MSNModule({ config, seed: 0, schedules: msnSchedules({ stepsPerEpoch: loader.length, epochs: 100 }), prior: 'power_law' });
 * await new Trainer({ maxEpochs: 100, callbacks: [new ProgressBar()] }).fit(module, loader);
 * const features = module.model.embed(images);  // target backbone class tokens
 * module.dispose();
 * @throws {InvalidArgumentError} for unknown options, an invalid config, schedules that are not functions, a
 *   non-positive clip norm, or a prior that does not fit the prototypes (probed at construction).
 */
export class MSNModule implements LightningModule<MSNModuleBatch, LabelledBatch> {
  /** The model (evaluate `model.embed`, save `model.save`). */
  readonly model: MSNModel;
  /** AdamW over the model's trainable parameters (the Trainer sets its learning rate and weight decay). */
  readonly optimizer: AdamW;
  /** The resolved schedules. */
  readonly schedules: MSNSchedules;
  readonly seed: number;
  readonly randomViews: number;
  readonly maxGradNorm: number | undefined;
  readonly freezePrototypesSteps: number;
  private readonly validation: MSNValidationOptions | undefined;
  /** The loss's options, to rebuild it distributed (`setupDistributed`). */
  private readonly criterionOptions: MSNCriterionOptions;
  /** The one-process loss, put back by `teardownDistributed`. */
  private readonly localCriterion: MSNLoss;
  private activeCriterion: MSNLoss;
  private distributedSetup: DistributedMSN | undefined;
  private validationFeatures: { data: Float32Array; labels: Int32Array; dims: number }[] = [];
  /** Prototype wins over the last steps, for the logged `prototypes_used`. */
  private readonly prototypeUsage: PrototypeUsage;

  constructor(options: MSNModuleOptions) {
    const caller = 'MSNModule';
    assertOptions(caller, options, KNOWN, '{ config, seed?, schedules?, prior?, … }');
    const { seed = 0, randomViews = 2, maxGradNorm = 3, prior = 'uniform', schedules = {}, freezePrototypesSteps = 0 } = options;
    assertInteger(caller, 'freezePrototypesSteps', freezePrototypesSteps, 0);
    assertInteger(caller, 'seed', seed, 0);
    assertInteger(caller, 'randomViews', randomViews, 2);
    if (maxGradNorm !== null) assertPositiveFinite(caller, 'maxGradNorm', maxGradNorm);
    if (typeof schedules !== 'object' || schedules === null) {
      throw new InvalidArgumentError({
        caller,
        argument: 'schedules',
        value: schedules,
        expected: 'an object of schedules, e.g. msnSchedules({ stepsPerEpoch, epochs })',
      });
    }
    assertKnownKeys(`${caller} (schedules)`, schedules, SCHEDULE_NAMES);
    for (const name of SCHEDULE_NAMES) {
      const schedule = schedules[name];
      if (schedule !== undefined && typeof schedule !== 'function') {
        throw new InvalidArgumentError({
          caller,
          argument: `schedules.${name}`,
          value: schedule,
          expected: 'a function of the step, e.g. constantSchedule(0.996)',
        });
      }
    }
    if (options.validation !== undefined) validateValidation(caller, options.validation);
    this.seed = seed;
    this.randomViews = randomViews;
    this.maxGradNorm = maxGradNorm ?? undefined;
    this.freezePrototypesSteps = freezePrototypesSteps;
    this.schedules = { ...DEFAULTS, ...schedules };
    this.validation = options.validation;
    this.model = new MSNModel({ config: options.config, seed, ...(options.name === undefined ? {} : { name: options.name }) });
    this.prototypeUsage = new PrototypeUsage(this.model.config.numPrototypes);
    try {
      // Built (and a custom prior probed) before anything trains, so a prior of the wrong length fails at start-up.
      this.criterionOptions = {
        ...(options.loss ?? {}),
        numPrototypes: this.model.config.numPrototypes,
        prior,
        ...(options.powerLawExponent === undefined ? {} : { powerLawExponent: options.powerLawExponent }),
        ...(options.priorName === undefined ? {} : { priorName: options.priorName }),
      };
      this.localCriterion = createMSNCriterion(this.criterionOptions);
      this.activeCriterion = this.localCriterion;
      this.optimizer = this.model.createOptimizer({
        ...(options.optimizer ?? {}),
        learningRate: this.schedules.learningRate(0),
        weightDecay: this.schedules.weightDecay(0),
      });
    } catch (error) {
      this.model.dispose();
      throw error;
    }
  }

  /** The MSN / PMSN loss (its distributed version between `setupDistributed` and `teardownDistributed`). */
  get criterion(): MSNLoss {
    return this.activeCriterion;
  }

  /** The data-parallel setup `setupDistributed` installed (`ddp(model, group)`); undefined in one process. */
  get distributed(): DistributedMSN | undefined {
    return this.distributedSetup;
  }

  /**
   * Makes training data-parallel over `group`; `ddpStrategy` calls it on every rank after broadcasting rank 0's
   * weights, before the first step. It installs `ddp(model, group, { broadcastWeights: false })` (synchronised
   * BatchNorm in both heads), rebuilds the loss with `gatherDistributed` and the differentiable all-reduce (Sinkhorn
   * and the regulariser over the combined batch), and from then on each step takes this rank's rows of the masks
   * drawn for the combined batch from `maskSeedForStep(seed, step)` (`shardMasks`; the loader must deal rows out
   * like a `DistributedSampler`: rank r holds positions r, r + n, … of the combined batch) and averages the
   * gradients over ranks before clipping (`reduceGradients`), so clipping and `grad_norm` see the combined batch's
   * gradient. n ranks with batch b then train like one process with batch n·b.
   *
   * @example
   * const trainer = new Trainer({ maxSteps: 1000, strategy: ddpStrategy(group) });   // calls setupDistributed
   * await trainer.fit(module, loaderWithDistributedSampler);
   * @throws {InvalidArgumentError} when `group` is not a process group.
   */
  setupDistributed(group: ProcessGroup): void {
    // A second fit sets up again: undo the first setup so BatchNorm's local statistics are what ddp() records.
    this.teardownDistributed();
    const distributed = ddp(this.model, group, { broadcastWeights: false });
    try {
      this.activeCriterion = createMSNCriterion({ ...this.criterionOptions, ...distributed.lossOptions });
    } catch (error) {
      distributed.detach();
      throw error;
    }
    this.distributedSetup = distributed;
  }

  /**
   * Undoes {@link setupDistributed} (local BatchNorm statistics, the one-process loss and masks); `ddpStrategy` calls
   * it when the fit ends or fails, so the module can afterwards train or evaluate in one process. No collective.
   */
  teardownDistributed(): void {
    this.distributedSetup?.detach();
    this.distributedSetup = undefined;
    this.activeCriterion = this.localCriterion;
  }

  /**
   * Each prototype's share of the target argmaxes over the last usage window (50 steps), largest first
   * (`PrototypeUsage.sortedShares`): what health.json and the training report compare with the prior. Under
   * `ddpStrategy`, the wins of this rank's share of the batch.
   */
  prototypeShares(): number[] {
    return this.prototypeUsage.sortedShares();
  }

  /** The optimiser and the learning-rate and weight-decay schedules; the Trainer applies them before each step. */
  configureOptimizers(): OptimizerConfiguration {
    return { optimizer: this.optimizer, learningRate: this.schedules.learningRate, weightDecay: this.schedules.weightDecay };
  }

  /**
   * One MSN step (`msnTrainingStep`): EMA with the scheduled momentum, target forward, masked anchor and focal
   * forwards, loss with the scheduled sharpening, gradients (averaged over ranks after `setupDistributed`), clipping,
   * AdamW. Logs `cross_entropy`, `reg_loss`, `grad_norm`, `momentum`, `sharpen_temperature` and the health metrics
   * (`HealthMetrics`: entropies relative to ln K, `prototypes_used`, `feature_cosine`, `loss_ratio`) that the
   * `CollapseMonitor` callback watches.
   */
  async trainingStep(batch: MSNModuleBatch, _batchIndex: number, context: StepContext): Promise<TrainingStepOutput> {
    assertBatchViews('MSNModule.trainingStep', batch?.views, this.randomViews);
    const { target: targets, anchors, focal } = batch.views;
    const step = context.globalStep;
    const momentum = this.schedules.momentum(step);
    const sharpenTemperature = this.schedules.sharpenTemperature(step);
    const maskSeed = maskSeedForStep(this.seed, step);
    const distributed = this.distributedSetup;
    // The same seed on every rank: each rank takes its rows of the masks one process would draw for the combined batch.
    const masks = distributed?.shardMasks(maskSeed, { anchors, focal, batchSize: targets.shape[0] });
    let result: Awaited<ReturnType<typeof msnTrainingStep>>;
    try {
      result = await msnTrainingStep(
        this.model,
        {
          targets,
          anchors,
          focal,
          ...(masks?.idxKeepAnchors === undefined ? {} : { idxKeepAnchors: masks.idxKeepAnchors }),
          ...(masks?.idxKeepFocal === undefined ? {} : { idxKeepFocal: masks.idxKeepFocal }),
        },
        {
          optimizer: this.optimizer,
          loss: this.activeCriterion,
          momentum,
          targetSharpenTemperature: sharpenTemperature,
          maskSeed,
          updatePrototypes: step >= this.freezePrototypesSteps,
          ...(this.maxGradNorm === undefined ? {} : { maxGradNorm: this.maxGradNorm }),
          ...(distributed === undefined ? {} : { reduceGradients: distributed.reduceGradients }),
        },
      );
    } finally {
      if (masks !== undefined) tf.dispose([masks.idxKeepAnchors, masks.idxKeepFocal].filter((mask): mask is tf.Tensor2D => mask !== undefined));
    }
    return {
      loss: result.loss,
      logs: {
        cross_entropy: result.crossEntropy,
        reg_loss: result.regLoss,
        grad_norm: result.gradNorm,
        momentum,
        sharpen_temperature: sharpenTemperature,
        ...healthMetrics(result.health, this.prototypeUsage),
      },
      batchSize: targets.shape[0],
    };
  }

  /** Embeds a labelled validation batch (view 0) with the target backbone; the k-NN runs at the end of validation. */
  async validationStep(batch: LabelledBatch): Promise<Metrics> {
    if (this.validation === undefined) {
      throw new InvalidArgumentError({
        caller: 'MSNModule.validationStep',
        argument: 'options.validation',
        value: undefined,
        expected: 'a { reference } loader of labelled batches to classify the validation batches against (pass validation to the MSNModule constructor)',
      });
    }
    const embedded = await embedBatches([batch], (images) => this.model.embed(images), { disposeBatches: false });
    this.validationFeatures.push({ data: embedded.features.data, labels: embedded.labels, dims: embedded.features.shape[1] });
    return {};
  }

  /** k-NN accuracy (`knn_accuracy`, 0…1) of the validation batches against the embedded reference set. */
  async onValidationEpochEnd(): Promise<Metrics> {
    const collected = this.validationFeatures;
    this.validationFeatures = [];
    if (this.validation === undefined || collected.length === 0) return {};
    const { reference, k = 20, temperature = 0.07 } = this.validation;
    const train = await embedBatches(reference.batches({ epoch: 0 }), (images) => this.model.embed(images));
    const dims = collected[0]!.dims;
    const rows = collected.reduce((sum, part) => sum + part.labels.length, 0);
    const data = new Float32Array(rows * dims);
    const labels = new Int32Array(rows);
    let offset = 0;
    for (const part of collected) {
      data.set(part.data, offset * dims);
      labels.set(part.labels, offset);
      offset += part.labels.length;
    }
    const [trainFeatures, testFeatures] = [tf.tensor2d(train.features.data, train.features.shape), tf.tensor2d(data, [rows, dims])];
    try {
      let numClasses = 0;
      for (const label of [...train.labels, ...labels]) numClasses = Math.max(numClasses, label + 1);
      const { accuracy } = await knnClassify({
        trainFeatures,
        trainLabels: train.labels,
        testFeatures,
        testLabels: labels,
        k: Math.min(k, train.labels.length),
        temperature,
        numClasses,
      });
      return { knn_accuracy: accuracy! };
    } finally {
      tf.dispose([trainFeatures, testFeatures]);
    }
  }

  /** Every variable of the model under lightly's `state_dict` names (the live variables). */
  stateDict(): Map<string, tf.Variable> {
    return this.model.stateDict();
  }

  /** Loads checkpointed weights (strict: every name and shape must match). */
  loadStateDict(tensors: ReadonlyMap<string, StoredTensor>): void {
    this.model.loadStateDict(tensors);
  }

  /** The seed the masks derive from (the schedules are functions of the step, restored by the Trainer). */
  trainingState(): JsonValue {
    return { kind: 'MSNModule', seed: this.seed, randomViews: this.randomViews };
  }

  /**
   * Checks that the checkpoint was trained with this module's seed and view layout (otherwise the resumed run
   * would silently differ from the uninterrupted one).
   * @throws {InvalidArgumentError} naming the checkpoint's value and this module's.
   */
  loadTrainingState(state: JsonValue): void {
    const caller = 'MSNModule.loadTrainingState';
    const value = (typeof state === 'object' && state !== null && !Array.isArray(state) ? state : {}) as { [key: string]: JsonValue };
    if (value.kind !== 'MSNModule') {
      throw new InvalidArgumentError({ caller, argument: 'state.kind', value: value.kind, expected: "'MSNModule' (a checkpoint written by an MSNModule)" });
    }
    for (const key of ['seed', 'randomViews'] as const) {
      if (value[key] !== this[key]) {
        throw new InvalidArgumentError({
          caller,
          argument: `checkpoint ${key}`,
          value: value[key],
          expected: `${this[key]}, this module's ${key} (construct the module with the checkpoint's ${key} to resume it)`,
        });
      }
    }
  }

  /** The model config as JSON in the weights file's metadata (`MSNModel.load` reads it). */
  checkpointMetadata(): Record<string, string> {
    return this.model.checkpointMetadata();
  }

  /** The learning rate, weight decay, momentum and sharpening temperature of step `step`. */
  hyperparameters(step: number): Record<(typeof SCHEDULE_NAMES)[number], number> {
    return Object.fromEntries(SCHEDULE_NAMES.map((name) => [name, (this.schedules[name] as Schedule)(step)])) as Record<
      (typeof SCHEDULE_NAMES)[number],
      number
    >;
  }

  /** Frees the model's variables and the optimiser's moments. */
  dispose(): void {
    this.teardownDistributed();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

function validateValidation(caller: string, validation: MSNValidationOptions): void {
  if (typeof validation !== 'object' || validation === null || typeof validation.reference?.batches !== 'function') {
    throw new InvalidArgumentError({
      caller,
      argument: 'validation',
      value: validation,
      expected: '{ reference: a loader of labelled batches (batches({ epoch })), k?, temperature? }',
    });
  }
  assertKnownKeys(`${caller} (validation)`, validation, ['reference', 'k', 'temperature']);
  if (validation.k !== undefined) assertInteger(caller, 'validation.k', validation.k, 1);
  if (validation.temperature !== undefined) assertPositiveFinite(caller, 'validation.temperature', validation.temperature);
}
