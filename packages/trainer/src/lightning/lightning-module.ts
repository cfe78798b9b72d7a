// The contract between a model and the Trainer, after PyTorch Lightning's LightningModule.
import type * as tf from '@tensorflow/tfjs-core';
import type { ProcessGroup } from '../distributed/process-group';
import type { JsonValue, StoredTensor, TrainerOptimizer } from '../optim/optimizer-state';
import type { Schedule } from '../schedules/schedule';

/** Named scalar values (losses, accuracies, learning rates). */
export type Metrics = Record<string, number>;

/** What `configureOptimizers` returns: the optimiser and the schedules the Trainer applies before each step. */
export interface OptimizerConfiguration {
  optimizer: TrainerOptimizer;
  /** Learning rate as a function of the global step; without it the optimiser's value stays. */
  learningRate?: Schedule;
  /** Weight decay as a function of the global step. */
  weightDecay?: Schedule;
}

/** Passed to `trainingStep`: where training stands and the hyper-parameters just applied. */
export interface StepContext {
  /** 0-based index of this optimisation step (= steps taken before it). */
  globalStep: number;
  epoch: number;
  learningRate: number;
  weightDecay: number;
}

/** What one training step reports. */
export interface TrainingStepOutput {
  /** The loss of this step: a number, or a scalar tensor the Trainer reads and disposes. */
  loss: number | tf.Tensor;
  /** Extra values to log with this step (e.g. the loss's parts, the gradient norm). */
  logs?: Metrics;
  /** Samples in the batch, for throughput (images/s). */
  batchSize?: number;
}

/**
 * A trainable model for {@link Trainer}. The module owns its optimisation: `trainingStep` computes gradients and
 * calls its optimiser (the one `configureOptimizers` returned) itself, inside `tf.tidy`, so it can do EMA updates,
 * clip a subset of gradients or all-reduce them as its algorithm requires, while memory stays flat. The Trainer
 * sets the scheduled learning rate and weight decay on that optimiser before each step, saves and restores its
 * state, loops over data, runs hooks, callbacks and loggers, and disposes every batch after its step.
 *
 * For exact resumption, everything random must come from state that `trainingState()` returns.
 */
export interface LightningModule<Batch = unknown, ValidationBatch = Batch> {
  /** Called once per fit, before any step (after a checkpoint is restored, the restored state is loaded into it). */
  configureOptimizers(): OptimizerConfiguration;
  /** One optimisation step on `batch` (the Trainer disposes the batch afterwards). */
  trainingStep(batch: Batch, batchIndex: number, context: StepContext): TrainingStepOutput | Promise<TrainingStepOutput>;
  /** Metrics of one validation batch; the Trainer averages them over the validation set. */
  validationStep?(batch: ValidationBatch, batchIndex: number): Metrics | Promise<Metrics>;
  /** Weights to checkpoint, by name (e.g. PyTorch state_dict keys). The Trainer reads them, it does not dispose them. */
  stateDict(): ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>;
  /** Copies checkpointed weights back into the module's variables. */
  loadStateDict(tensors: ReadonlyMap<string, StoredTensor>): void;
  /** JSON state to checkpoint besides weights and optimiser: RNG state, counters. */
  trainingState?(): JsonValue;
  loadTrainingState?(state: JsonValue): void;
  /** String metadata stored in the weights file (e.g. the model config as JSON). */
  checkpointMetadata?(): Record<string, string>;
  /**
   * Called on every rank by a distributed strategy (`ddpStrategy`) once per fit, after rank 0's weights were
   * broadcast and before the first step: make training data-parallel over `group` (average gradients over ranks
   * before the optimiser step, synchronise batch statistics and losses as the algorithm requires, draw different
   * random numbers per rank). A module without this hook gets PyTorch DDP's default: the gradients its optimiser's
   * `step(gradients)` receives are averaged over ranks.
   */
  setupDistributed?(group: ProcessGroup): void | Promise<void>;
  /**
   * Undoes `setupDistributed` on this process (no collective: it also runs after a failure, when other ranks may be
   * gone); the strategy calls it when the fit ends, so the module can train or evaluate alone afterwards.
   */
  teardownDistributed?(): void;
  onFitStart?(): void | Promise<void>;
  onFitEnd?(): void | Promise<void>;
  onTrainEpochStart?(epoch: number): void | Promise<void>;
  onTrainEpochEnd?(epoch: number): void | Promise<void>;
  onTrainBatchStart?(batch: Batch, batchIndex: number): void | Promise<void>;
  onTrainBatchEnd?(output: TrainingStepOutput, batch: Batch, batchIndex: number): void | Promise<void>;
  /** Receives the averaged validation metrics; may return more (e.g. a k-NN accuracy computed once per epoch). */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing (void) to keep the metrics as they are.
  onValidationEpochEnd?(metrics: Metrics): Metrics | void | Promise<Metrics | void>;
}

/**
 * Batches for training or validation. `batches({ epoch })` must yield the same batches for the same epoch
 * (e.g. shuffled with a seed and the epoch), which is what makes a resumed run identical to an uninterrupted one;
 * @msn/data's `DataLoader` qualifies.
 */
export interface TrainLoader<Batch> {
  /**
   * Batches per epoch, when known (progress, ETA; the Trainer also uses it to tell that the run's last step ended
   * the epoch, and otherwise asks the iterator for one more batch).
   */
  readonly length?: number;
  /**
   * True when `batches({ epoch, startBatch })` skips the epoch's first `startBatch` batches without producing them
   * and then yields exactly what a full iteration would have yielded from there (@msn/data's `DataLoader` does).
   * The Trainer then resumes mid-epoch without loading the batches the checkpointed run already trained on;
   * otherwise it iterates from the start and disposes them.
   */
  readonly supportsStartBatch?: boolean;
  batches(options: { epoch: number; startBatch?: number }): AsyncIterable<Batch> | Iterable<Batch>;
}
