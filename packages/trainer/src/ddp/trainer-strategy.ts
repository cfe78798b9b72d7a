// What the Lightning-like Trainer asks of a distributed strategy (see ddpStrategy).
import type { LoadedCheckpoint } from '../checkpoint/checkpoint-files';
import type { TensorCodec } from '../checkpoint/tensor-codec';
import type { LightningModule, Metrics } from '../lightning/lightning-module';
import type { TrainerOptimizer } from '../optim/optimizer-state';

/** One training step's report, as the Trainer logs it. */
export interface StepReport {
  loss: number;
  logs: Metrics;
  batchSize?: number;
}

/**
 * How a {@link Trainer} runs on several processes (PyTorch Lightning's `Strategy`). The Trainer runs callbacks and
 * loggers on the global-zero rank only, writes checkpoints there, and calls these methods at fixed points of every
 * rank's loop (all ranks make the same calls in the same order, so implementations may use collectives).
 */
export interface TrainerStrategy {
  /** Names the strategy in messages, e.g. `ddp`. */
  readonly name: string;
  readonly rank: number;
  readonly worldSize: number;
  /** True on the one rank that runs callbacks and loggers and writes checkpoints. */
  readonly isGlobalZero: boolean;
  /**
   * The checkpoint every rank resumes from: the global-zero rank reads `ckptPath` and hands the same contents to
   * all ranks (or the same error). Returns undefined when `ckptPath` is undefined.
   */
  loadCheckpoint(ckptPath: string | undefined, codec: TensorCodec): Promise<LoadedCheckpoint | undefined>;
  /** Makes the module's training data-parallel, after any checkpoint was restored and before the first step. */
  setup(module: LightningModule<never, never>, optimizer: TrainerOptimizer): Promise<void>;
  /** Undoes what `setup` changed on this process (no collective: also called after a failure). */
  teardown(): void;
  /** The step's loss and logs averaged over ranks, the batch sizes summed (images/s of the whole job). */
  reduceStep(report: StepReport): StepReport;
  /** Validation metrics averaged over ranks. */
  reduceMetrics(metrics: Metrics): Metrics;
  /** For each flag, whether it is set on any rank (stop and interrupt requests must reach every rank). */
  anyRank(flags: readonly boolean[]): boolean[];
  /** The global-zero rank's value on every rank. */
  broadcastObject<V>(value: V): V;
  /** Returns once every rank has reached it (e.g. after the last checkpoint was written). */
  barrier(): Promise<void>;
}
