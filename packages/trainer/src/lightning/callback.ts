// Callbacks: objects the Trainer calls at fixed points of the loop (after PyTorch Lightning's Callback).
import type { JsonValue } from '../optim/optimizer-state';
import type { LightningModule, Metrics } from './lightning-module';
import type { Trainer } from './trainer';

/** Hooks a callback may implement; all may be async and are awaited in the order callbacks were given. */
export interface Callback {
  /** Key of this callback's state in checkpoints; callbacks without one are not checkpointed. */
  readonly stateKey?: string;
  stateDict?(): JsonValue;
  loadStateDict?(state: JsonValue): void;
  onFitStart?(trainer: Trainer, module: LightningModule<never, never>): void | Promise<void>;
  onFitEnd?(trainer: Trainer, module: LightningModule<never, never>): void | Promise<void>;
  onTrainEpochStart?(trainer: Trainer, module: LightningModule<never, never>, epoch: number): void | Promise<void>;
  /** After the epoch's last batch (and after validation when it runs at epoch end). */
  onTrainEpochEnd?(trainer: Trainer, module: LightningModule<never, never>, epoch: number): void | Promise<void>;
  /** Before the step; `trainer.learningRate` already holds this step's scheduled value. */
  onTrainBatchStart?(trainer: Trainer, module: LightningModule<never, never>, batchIndex: number): void | Promise<void>;
  /** After the step; `trainer.globalStep` counts it, and what `trainer.log` adds here joins the step's row. */
  onTrainBatchEnd?(
    trainer: Trainer,
    module: LightningModule<never, never>,
    output: { loss: number; logs: Metrics; batchSize?: number },
    batchIndex: number,
  ): void | Promise<void>;
  onValidationEnd?(trainer: Trainer, module: LightningModule<never, never>, metrics: Metrics): void | Promise<void>;
  /**
   * Ctrl-C arrived and the current step finished. A checkpointing callback saves and returns the folder;
   * when none does, the Trainer saves to `<defaultRootDir>/checkpoints/interrupted`.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback may return nothing (void), as most do.
  onInterrupt?(trainer: Trainer, module: LightningModule<never, never>): Promise<string | void> | string | void;
}
