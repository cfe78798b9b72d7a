// @file The Lightning-like training loop: epochs, steps, validation, hooks, callbacks, loggers, checkpoints, Ctrl-C.
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpoint, writeCheckpoint, type LoadedCheckpoint, type TrainingProgress } from '../checkpoint/checkpoint-files';
import { safetensorsCodec, type TensorCodec } from '../checkpoint/tensor-codec';
import { InvalidArgumentError, assertInteger, assertKnownKeys } from '@msn/errors';
import type { JsonValue, TrainerOptimizer } from '../optim/optimizer-state';
import type { Schedule } from '../schedules/schedule';
import type { TrainerStrategy } from '../ddp/trainer-strategy';
import type { Callback } from './callback';
import type { LightningModule, Metrics, OptimizerConfiguration, TrainLoader } from './lightning-module';
import type { Logger } from './loggers/logger';

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  /** Stop after this many epochs. @default 1000 when `maxSteps` is not set, else unlimited */
  maxEpochs?: number;
  /** Stop after this many optimisation steps. @default unlimited */
  maxSteps?: number;
  /** Also validate every this many training steps (needs `valLoader`). @default only at epoch ends */
  valCheckInterval?: number;
  /** Validate at the end of every n-th epoch (needs `valLoader`). @default 1 */
  checkValEveryNEpochs?: number;
  callbacks?: Callback[];
  loggers?: Logger[];
  /** Send a metrics row to the loggers every n steps. @default 1 */
  logEveryNSteps?: number;
  /** Folder for default outputs (the Ctrl-C checkpoint when no callback saves one). @default 'runs' */
  defaultRootDir?: string;
  /** Serialisation of checkpoint tensors. @default safetensors */
  tensorCodec?: TensorCodec;
  /** Stop gracefully on SIGINT (finish the step, checkpoint, return). @default true */
  handleSignals?: boolean;
  /** Dispose every tensor of each batch after its step (the Trainer owns batches). @default true */
  disposeBatches?: boolean;
  /**
   * Train on several processes, e.g. `ddpStrategy(group)`. Callbacks and loggers then run on the global-zero rank only
   * (rank 0), which also writes the checkpoints; losses are logged averaged over ranks. @default one process
   */
  strategy?: TrainerStrategy;
}

/** Options of {@link Trainer.fit}. */
export interface FitOptions<ValidationBatch> {
  /** Resume from this checkpoint folder (or a `last` link to one). */
  ckptPath?: string | undefined;
  valLoader?: TrainLoader<ValidationBatch>;
}

/** How a fit ended. */
export interface FitResult {
  globalStep: number;
  epoch: number;
  stopReason: 'maxSteps' | 'maxEpochs' | 'stopRequested' | 'interrupted';
  /** Folder of the checkpoint written because of Ctrl-C. */
  interruptCheckpoint?: string;
}

const KNOWN = [
  'maxEpochs',
  'maxSteps',
  'valCheckInterval',
  'checkValEveryNEpochs',
  'callbacks',
  'loggers',
  'logEveryNSteps',
  'defaultRootDir',
  'tensorCodec',
  'handleSignals',
  'disposeBatches',
  'strategy',
] as const;

function entriesOf<T>(source: ReadonlyMap<string, T> | Readonly<Record<string, T>>): Map<string, T> {
  return source instanceof Map ? new Map(source) : new Map(Object.entries(source as Record<string, T>));
}

/**
 * Runs a {@link LightningModule}: epochs of `trainLoader` batches until `maxEpochs`/`maxSteps`, validation
 * (`valCheckInterval`, `checkValEveryNEpochs`), hooks, callbacks (checkpointing, learning-rate monitor, early
 * stopping, progress bar) and loggers. When `maxSteps` ends the run on an epoch's last batch, that epoch still ends as
 * usual (validation, epoch-end hooks and callbacks). Checkpoints hold the module's weights, the optimiser's moments,
 * the progress (epoch, batch, step), the module's training state (RNG) and the callbacks' state, so
 * `fit(…, { ckptPath })` continues exactly where the checkpoint was taken: the resumed run's losses equal the
 * uninterrupted run's (a loader with `supportsStartBatch` skips the batches already trained on without loading them).
 * Ctrl-C (SIGINT) stops after the current step with a checkpoint; a second Ctrl-C exits at once.
 *
 * @example
 * const trainer = new Trainer({ maxSteps: 600, callbacks: [new ModelCheckpoint({ dirpath: 'runs/ckpt', everyNTrainSteps: 100 }), new ProgressBar()],
 *   loggers: [new CsvLogger('runs/metrics.csv')] });
 * await trainer.fit(module, loader, { ckptPath: resume ? 'runs/ckpt/last' : undefined });
 * @throws {InvalidArgumentError} for invalid options (unknown names, non-integer limits).
 */
export class Trainer {
  readonly maxEpochs: number;
  readonly maxSteps: number;
  readonly valCheckInterval: number | undefined;
  readonly checkValEveryNEpochs: number;
  readonly callbacks: readonly Callback[];
  readonly loggers: readonly Logger[];
  readonly logEveryNSteps: number;
  readonly defaultRootDir: string;
  readonly tensorCodec: TensorCodec;
  readonly handleSignals: boolean;
  readonly disposeBatches: boolean;
  /** How the fit is distributed over processes; undefined for one process. */
  readonly strategy: TrainerStrategy | undefined;

  /** Steps taken so far. */
  globalStep = 0;
  /** The current (or next) epoch. */
  epoch = 0;
  /** Index of the next batch within the current epoch. */
  batchInEpoch = 0;
  /** Latest value of every metric (training logs and validation results), for callbacks such as EarlyStopping. */
  readonly callbackMetrics: Metrics = {};
  /** Set to true (e.g. by EarlyStopping) to end the fit after the current step. */
  shouldStop = false;
  /** Batches per epoch of the current train loader, when it says. */
  batchesPerEpoch: number | undefined;

  private configuration: OptimizerConfiguration | undefined;
  private pendingMetrics: Metrics = {};
  private interruptRequested = false;
  private module: LightningModule<never, never> | undefined;

  constructor(options: TrainerOptions = {}) {
    const caller = 'Trainer';
    assertKnownKeys(caller, options, KNOWN);
    const { maxSteps, valCheckInterval, checkValEveryNEpochs = 1, logEveryNSteps = 1 } = options;
    const maxEpochs = options.maxEpochs ?? (maxSteps === undefined ? 1000 : Number.POSITIVE_INFINITY);
    if (maxEpochs !== Number.POSITIVE_INFINITY) assertInteger(caller, 'maxEpochs', maxEpochs, 1);
    if (maxSteps !== undefined) assertInteger(caller, 'maxSteps', maxSteps, 1);
    if (valCheckInterval !== undefined) assertInteger(caller, 'valCheckInterval', valCheckInterval, 1);
    assertInteger(caller, 'checkValEveryNEpochs', checkValEveryNEpochs, 1);
    assertInteger(caller, 'logEveryNSteps', logEveryNSteps, 1);
    this.maxEpochs = maxEpochs;
    this.maxSteps = maxSteps ?? Number.POSITIVE_INFINITY;
    this.valCheckInterval = valCheckInterval;
    this.checkValEveryNEpochs = checkValEveryNEpochs;
    this.strategy = options.strategy;
    // Distributed: side effects (files, progress output) belong to one rank; stop requests reach all through the strategy.
    const leader = this.strategy?.isGlobalZero ?? true;
    this.callbacks = leader ? [...(options.callbacks ?? [])] : [];
    this.loggers = leader ? [...(options.loggers ?? [])] : [];
    this.logEveryNSteps = logEveryNSteps;
    this.defaultRootDir = options.defaultRootDir ?? 'runs';
    this.tensorCodec = options.tensorCodec ?? safetensorsCodec;
    this.handleSignals = options.handleSignals ?? true;
    this.disposeBatches = options.disposeBatches ?? true;
    const keys = this.callbacks.map((callback) => callback.stateKey).filter((key): key is string => key !== undefined);
    const duplicate = keys.find((key, index) => keys.indexOf(key) !== index);
    if (duplicate !== undefined) {
      throw new InvalidArgumentError({
        caller,
        argument: 'callbacks',
        value: duplicate,
        expected: 'callbacks with distinct stateKey values (give one of them another stateKey)',
      });
    }
  }

  /** True on the process that runs callbacks and loggers and writes checkpoints (always, without a strategy). */
  get isGlobalZero(): boolean {
    return this.strategy?.isGlobalZero ?? true;
  }

  /** The optimiser configured by the module of the running fit. */
  get optimizer(): TrainerOptimizer | undefined {
    return this.configuration?.optimizer;
  }

  /** Learning rate applied to the current (or last) step. */
  get learningRate(): number {
    return this.configuration?.optimizer.learningRate ?? Number.NaN;
  }

  /** Weight decay applied to the current (or last) step. */
  get weightDecay(): number {
    return this.configuration?.optimizer.weightDecay ?? Number.NaN;
  }

  /** Steps the fit will take in total, when the loader length or maxSteps bounds it (for ETAs). */
  get estimatedTotalSteps(): number | undefined {
    const byEpochs = this.batchesPerEpoch === undefined || !Number.isFinite(this.maxEpochs) ? Number.POSITIVE_INFINITY : this.maxEpochs * this.batchesPerEpoch;
    const total = Math.min(byEpochs, this.maxSteps);
    return Number.isFinite(total) ? total : undefined;
  }

  /** Adds metrics to the row logged for the current step (callbacks call this, e.g. LearningRateMonitor). */
  log(metrics: Metrics): void {
    Object.assign(this.pendingMetrics, metrics);
    Object.assign(this.callbackMetrics, metrics);
  }

  /** Asks the fit to stop after the current step, as Ctrl-C does (with a checkpoint). */
  requestInterrupt(): void {
    this.interruptRequested = true;
  }

  /**
   * Trains `module` on `trainLoader`, optionally resuming from `ckptPath` and validating on `valLoader`.
   * @throws {CheckpointError} when `ckptPath` is missing or incomplete.
   * @throws whatever the module, the loader or a callback throws (the SIGINT handler is removed first).
   */
  async fit<Batch, ValidationBatch = Batch>(
    module: LightningModule<Batch, ValidationBatch>,
    trainLoader: TrainLoader<Batch>,
    options: FitOptions<ValidationBatch> = {},
  ): Promise<FitResult> {
    assertKnownKeys('Trainer.fit', options, ['ckptPath', 'valLoader']);
    const { ckptPath, valLoader } = options;
    const anyModule = module as unknown as LightningModule<never, never>;
    this.module = anyModule;
    this.batchesPerEpoch = trainLoader.length;
    this.configuration = module.configureOptimizers();
    this.shouldStop = false;
    this.interruptRequested = false;
    const strategy = this.strategy;
    // Distributed: rank 0 reads the checkpoint and every rank restores its contents.
    const checkpoint = strategy
      ? await strategy.loadCheckpoint(ckptPath, this.tensorCodec)
      : ckptPath === undefined
        ? undefined
        : await readCheckpoint(ckptPath, this.tensorCodec);
    if (checkpoint !== undefined) await this.restore(module, checkpoint);
    else [this.globalStep, this.epoch, this.batchInEpoch] = [0, 0, 0];

    const onSignal = () => {
      this.interruptRequested = true;
      process.stderr.write('\nstopping after the current step and saving a checkpoint (Ctrl-C again to abort)\n');
    };
    if (this.handleSignals) process.once('SIGINT', onSignal);
    try {
      await strategy?.setup(anyModule, this.configuration.optimizer);
      await module.onFitStart?.();
      await this.each((callback) => callback.onFitStart?.(this, anyModule));
      const result = await this.loop(module, trainLoader, valLoader);
      await module.onFitEnd?.();
      await this.each((callback) => callback.onFitEnd?.(this, anyModule));
      for (const logger of this.loggers) await logger.finalize?.();
      // No rank returns before rank 0's last checkpoint is on disk.
      await strategy?.barrier();
      return result;
    } finally {
      strategy?.teardown();
      process.removeListener('SIGINT', onSignal);
    }
  }

  /**
   * Writes a checkpoint of the running fit to `folder` (module weights, optimiser, progress, training and
   * callback state). Callbacks call this; it is valid between steps.
   */
  async saveCheckpoint(folder: string): Promise<void> {
    const module = this.module;
    const optimizer = this.optimizer;
    if (module === undefined || optimizer === undefined) {
      throw new InvalidArgumentError({
        caller: 'Trainer.saveCheckpoint',
        argument: 'this',
        value: 'no fit running',
        expected: 'a call during fit (e.g. from a callback)',
      });
    }
    // Ranks hold identical state: rank 0's copy is the checkpoint.
    if (!this.isGlobalZero) return;
    const optimizerState = await optimizer.getState();
    const callbacks: { [key: string]: JsonValue } = {};
    for (const callback of this.callbacks) {
      if (callback.stateKey !== undefined && callback.stateDict !== undefined) callbacks[callback.stateKey] = callback.stateDict();
    }
    await writeCheckpoint(
      folder,
      {
        weights: entriesOf(module.stateDict()),
        weightsMetadata: { format: 'pt', ...(module.checkpointMetadata?.() ?? {}) },
        optimizerTensors: new Map(Object.entries(optimizerState.tensors)),
        state: {
          progress: this.progress(),
          hyperparameters: { learningRate: this.learningRate, weightDecay: this.weightDecay },
          optimizer: optimizerState.values,
          module: module.trainingState?.() ?? null,
          callbacks,
        },
      },
      this.tensorCodec,
    );
  }

  /** Where the fit stands (what a checkpoint taken now records). */
  progress(): TrainingProgress {
    return { epoch: this.epoch, batchInEpoch: this.batchInEpoch, globalStep: this.globalStep };
  }

  private async restore<Batch, ValidationBatch>(module: LightningModule<Batch, ValidationBatch>, checkpoint: LoadedCheckpoint): Promise<void> {
    const { state } = checkpoint;
    module.loadStateDict(checkpoint.weights);
    this.configuration!.optimizer.setState({ values: state.optimizer, tensors: Object.fromEntries(checkpoint.optimizerTensors) });
    if (state.module !== null) module.loadTrainingState?.(state.module);
    for (const callback of this.callbacks) {
      if (callback.stateKey !== undefined && state.callbacks[callback.stateKey] !== undefined) callback.loadStateDict?.(state.callbacks[callback.stateKey]!);
    }
    ({ epoch: this.epoch, batchInEpoch: this.batchInEpoch, globalStep: this.globalStep } = state.progress);
    for (const logger of this.loggers) await logger.onResume?.(this.globalStep);
  }

  private async each(run: (callback: Callback) => unknown): Promise<void> {
    for (const callback of this.callbacks) await run(callback);
  }

  private applySchedules(): void {
    const { optimizer, learningRate, weightDecay } = this.configuration!;
    const apply = (schedule: Schedule | undefined, set: (value: number) => void) => {
      if (schedule !== undefined) set(schedule(this.globalStep));
    };
    apply(learningRate, (value) => (optimizer.learningRate = value));
    apply(weightDecay, (value) => (optimizer.weightDecay = value));
  }

  private async flushMetrics(): Promise<void> {
    if (Object.keys(this.pendingMetrics).length === 0) return;
    const row = this.pendingMetrics;
    this.pendingMetrics = {};
    for (const logger of this.loggers) await logger.logMetrics(row, this.globalStep);
  }

  private async loop<Batch, ValidationBatch>(
    module: LightningModule<Batch, ValidationBatch>,
    trainLoader: TrainLoader<Batch>,
    valLoader: TrainLoader<ValidationBatch> | undefined,
  ): Promise<FitResult> {
    const anyModule = module as unknown as LightningModule<never, never>;
    const finish = (stopReason: FitResult['stopReason'], interruptCheckpoint?: string): FitResult => ({
      globalStep: this.globalStep,
      epoch: this.epoch,
      stopReason,
      ...(interruptCheckpoint === undefined ? {} : { interruptCheckpoint }),
    });
    while (this.epoch < this.maxEpochs) {
      if (this.globalStep >= this.maxSteps) return finish('maxSteps');
      if (this.shouldStop) return finish('stopRequested');
      const epoch = this.epoch;
      await module.onTrainEpochStart?.(epoch);
      await this.each((callback) => callback.onTrainEpochStart?.(this, anyModule, epoch));
      // Resuming mid-epoch skips what the checkpointed run already trained on (the loader is deterministic): in the
      // loader when it can skip without loading, else here.
      const startBatch = this.batchInEpoch > 0 && trainLoader.supportsStartBatch === true ? this.batchInEpoch : 0;
      let batchIndex = startBatch;
      const iterable = trainLoader.batches(startBatch > 0 ? { epoch, startBatch } : { epoch });
      const iterator =
        Symbol.asyncIterator in iterable ? (iterable as AsyncIterable<Batch>)[Symbol.asyncIterator]() : (iterable as Iterable<Batch>)[Symbol.iterator]();
      let stopped: FitResult['stopReason'] | undefined;
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) break;
          const batch = next.value;
          if (batchIndex < this.batchInEpoch) {
            if (this.disposeBatches) tf.dispose(batch as unknown as tf.TensorContainer);
            batchIndex++;
            continue;
          }
          await this.trainStep(module, batch, batchIndex);
          batchIndex++;
          if (valLoader !== undefined && this.valCheckInterval !== undefined && this.globalStep % this.valCheckInterval === 0)
            await this.validate(module, valLoader);
          this.synchronizeRequests();
          const interruptCheckpoint = this.interruptRequested ? await this.saveInterruptCheckpoint() : undefined;
          if (this.interruptRequested) return finish('interrupted', interruptCheckpoint);
          if (this.globalStep >= this.maxSteps) {
            // A last step that is also the epoch's last batch completes the epoch: validation and epoch-end hooks run.
            if (!(await this.epochExhausted(iterator, batchIndex, trainLoader.length))) stopped = 'maxSteps';
            break;
          }
          if (this.shouldStop) {
            stopped = 'stopRequested';
            break;
          }
        }
      } finally {
        await iterator.return?.();
      }
      if (stopped !== undefined) return finish(stopped);
      // The epoch is complete.
      const completedEpoch = this.epoch;
      if (valLoader !== undefined && (completedEpoch + 1) % this.checkValEveryNEpochs === 0) await this.validate(module, valLoader);
      this.epoch = completedEpoch + 1;
      this.batchInEpoch = 0;
      await module.onTrainEpochEnd?.(completedEpoch);
      await this.each((callback) => callback.onTrainEpochEnd?.(this, anyModule, completedEpoch));
      this.synchronizeRequests();
      if (this.interruptRequested) return finish('interrupted', await this.saveInterruptCheckpoint());
    }
    return finish(this.globalStep >= this.maxSteps ? 'maxSteps' : 'maxEpochs');
  }

  /**
   * Whether the epoch has no batch after the `batchesDone` already taken: from the loader's length when it gives one,
   * else by asking the iterator for one more (a batch it returns is disposed, as the Trainer owns batches).
   */
  private async epochExhausted<Batch>(iterator: Iterator<Batch> | AsyncIterator<Batch>, batchesDone: number, length: number | undefined): Promise<boolean> {
    if (length !== undefined) return batchesDone >= length;
    const next = await iterator.next();
    if (next.done) return true;
    if (this.disposeBatches) tf.dispose(next.value as unknown as tf.TensorContainer);
    return false;
  }

  private async trainStep<Batch, ValidationBatch>(module: LightningModule<Batch, ValidationBatch>, batch: Batch, batchIndex: number): Promise<void> {
    const anyModule = module as unknown as LightningModule<never, never>;
    this.applySchedules();
    await module.onTrainBatchStart?.(batch, batchIndex);
    await this.each((callback) => callback.onTrainBatchStart?.(this, anyModule, batchIndex));
    const context = { globalStep: this.globalStep, epoch: this.epoch, learningRate: this.learningRate, weightDecay: this.weightDecay };
    let output: Awaited<ReturnType<typeof module.trainingStep>>;
    try {
      output = await module.trainingStep(batch, batchIndex, context);
    } finally {
      if (this.disposeBatches) tf.dispose(batch as unknown as tf.TensorContainer);
    }
    let loss: number;
    if (typeof output?.loss === 'number') {
      loss = output.loss;
    } else if (output?.loss instanceof tf.Tensor) {
      loss = (await output.loss.data())[0]!;
      output.loss.dispose();
    } else {
      throw new InvalidArgumentError({ caller: 'Trainer.fit', argument: 'trainingStep(…).loss', value: output?.loss, expected: 'a number or a scalar tensor' });
    }
    // Progress counts this step before any hook or callback runs, so checkpoints taken there resume after it.
    this.globalStep += 1;
    this.batchInEpoch = batchIndex + 1;
    let logs = { ...(output.logs ?? {}) };
    let batchSize = output.batchSize;
    // Distributed: every rank logs the mean over ranks (the combined batch's loss) and the job's batch size.
    if (this.strategy) ({ loss, logs, batchSize } = this.strategy.reduceStep({ loss, logs, ...(batchSize === undefined ? {} : { batchSize }) }));
    this.log({ loss, ...logs, epoch: this.epoch });
    await module.onTrainBatchEnd?.(output, batch, batchIndex);
    const summary = batchSize === undefined ? { loss, logs } : { loss, logs, batchSize };
    await this.each((callback) => callback.onTrainBatchEnd?.(this, anyModule, summary, batchIndex));
    // After the callbacks, so what they log at the end of a step (e.g. a collapse warning) lands in its row.
    if (this.globalStep % this.logEveryNSteps === 0) await this.flushMetrics();
    else this.pendingMetrics = {};
  }

  private async validate<Batch, ValidationBatch>(module: LightningModule<Batch, ValidationBatch>, valLoader: TrainLoader<ValidationBatch>): Promise<void> {
    const anyModule = module as unknown as LightningModule<never, never>;
    const sums: Metrics = {};
    const counts: Metrics = {};
    if (module.validationStep !== undefined) {
      let batchIndex = 0;
      for await (const batch of valLoader.batches({ epoch: 0 })) {
        let metrics: Metrics;
        try {
          metrics = await module.validationStep(batch, batchIndex++);
        } finally {
          if (this.disposeBatches) tf.dispose(batch as unknown as tf.TensorContainer);
        }
        for (const [name, value] of Object.entries(metrics)) {
          sums[name] = (sums[name] ?? 0) + value;
          counts[name] = (counts[name] ?? 0) + 1;
        }
      }
    }
    let metrics: Metrics = Object.fromEntries(Object.entries(sums).map(([name, sum]) => [name, sum / counts[name]!]));
    const extra = await module.onValidationEpochEnd?.(metrics);
    if (extra) metrics = { ...metrics, ...extra };
    if (this.strategy) metrics = this.strategy.reduceMetrics(metrics);
    this.log(metrics);
    await this.flushMetrics();
    await this.each((callback) => callback.onValidationEnd?.(this, anyModule, metrics));
  }

  private async saveInterruptCheckpoint(): Promise<string> {
    let saved: string | undefined;
    for (const callback of this.callbacks) {
      const folder = await callback.onInterrupt?.(this, this.module!);
      if (typeof folder === 'string') saved ??= folder;
    }
    if (saved === undefined) {
      saved = join(this.defaultRootDir, 'checkpoints', 'interrupted');
      await this.saveCheckpoint(saved);
    }
    // Distributed: rank 0 wrote it; every rank reports its folder, once it is complete.
    if (this.strategy) saved = this.strategy.broadcastObject(saved);
    if (this.isGlobalZero) process.stderr.write(`checkpoint saved to ${saved}; resume with ckptPath '${saved}'\n`);
    return saved;
  }

  /** Distributed: a stop or interrupt requested on any rank applies to every rank, after the same step. */
  private synchronizeRequests(): void {
    if (this.strategy === undefined) return;
    [this.shouldStop, this.interruptRequested] = this.strategy.anyRank([this.shouldStop, this.interruptRequested]) as [boolean, boolean];
  }
}
