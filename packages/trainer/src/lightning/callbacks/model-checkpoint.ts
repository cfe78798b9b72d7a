import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, assertInteger, assertKnownKeys } from '@msn/errors';
import type { JsonValue } from '../../optim/optimizer-state';
import type { Callback } from '../callback';
import type { Trainer } from '../trainer';
import { pointLastCheckpointAt } from '../../checkpoint/last-checkpoint';

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Folder that receives one sub-folder per checkpoint and the `last` link. */
  dirpath: string;
  /** Checkpoint every n optimisation steps. */
  everyNTrainSteps?: number;
  /** Checkpoint at the end of every n-th epoch. @default 1 when everyNTrainSteps is not set */
  everyNEpochs?: number;
  /** Periodic checkpoints kept (older ones are deleted); `Infinity` keeps all. @default 3 */
  keepLast?: number;
  /** Maintain `<dirpath>/last`, a symlink to the newest checkpoint (also written at the end of the fit). @default true */
  saveLast?: boolean;
}

const KNOWN = ['dirpath', 'everyNTrainSteps', 'everyNEpochs', 'keepLast', 'saveLast'] as const;

/** Folder name of the checkpoint after `step` steps: zero-padded so names sort by step. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/**
 * Saves checkpoints every n steps and/or epochs into `<dirpath>/step-00000100/` (model.safetensors,
 * optimizer.safetensors, state.json written last), keeps the last k, points `<dirpath>/last` at the newest, and
 * saves one on Ctrl-C. Resume with `trainer.fit(module, loader, { ckptPath: '<dirpath>/last' })`.
 *
 * @example new ModelCheckpoint({ dirpath: 'runs/msn/checkpoints', everyNTrainSteps: 100, keepLast: 2 })
 * @throws {InvalidArgumentError} for a missing dirpath or non-integer intervals.
 */
export class ModelCheckpoint implements Callback {
  readonly stateKey = 'ModelCheckpoint';
  readonly dirpath: string;
  readonly everyNTrainSteps: number | undefined;
  readonly everyNEpochs: number | undefined;
  readonly keepLast: number;
  readonly saveLast: boolean;
  /** Folders of the periodic checkpoints kept, oldest first. */
  private saved: string[] = [];
  private lastSavedStep = -1;

  constructor(options: ModelCheckpointOptions) {
    const caller = 'ModelCheckpoint';
    assertKnownKeys(caller, options, KNOWN);
    const { dirpath, everyNTrainSteps, keepLast = 3, saveLast = true } = options;
    if (typeof dirpath !== 'string' || dirpath.length === 0)
      throw new InvalidArgumentError({ caller, argument: 'dirpath', value: dirpath, expected: 'a folder path' });
    if (everyNTrainSteps !== undefined) assertInteger(caller, 'everyNTrainSteps', everyNTrainSteps, 1);
    const everyNEpochs = options.everyNEpochs ?? (everyNTrainSteps === undefined ? 1 : undefined);
    if (everyNEpochs !== undefined) assertInteger(caller, 'everyNEpochs', everyNEpochs, 1);
    if (keepLast !== Number.POSITIVE_INFINITY) assertInteger(caller, 'keepLast', keepLast, 1);
    this.dirpath = dirpath;
    this.everyNTrainSteps = everyNTrainSteps;
    this.everyNEpochs = everyNEpochs;
    this.keepLast = keepLast;
    this.saveLast = saveLast;
  }

  /** The checkpoint folders kept so far, oldest first. */
  get kept(): readonly string[] {
    return this.saved;
  }

  stateDict(): JsonValue {
    return { saved: this.saved, lastSavedStep: this.lastSavedStep };
  }

  loadStateDict(state: JsonValue): void {
    const value = state as { saved?: unknown; lastSavedStep?: unknown };
    this.saved = Array.isArray(value.saved) ? value.saved.filter((item): item is string => typeof item === 'string') : [];
    this.lastSavedStep = typeof value.lastSavedStep === 'number' ? value.lastSavedStep : -1;
  }

  async onTrainBatchEnd(trainer: Trainer): Promise<void> {
    if (this.everyNTrainSteps !== undefined && trainer.globalStep % this.everyNTrainSteps === 0) await this.save(trainer);
  }

  async onTrainEpochEnd(trainer: Trainer, _module: unknown, epoch: number): Promise<void> {
    if (this.everyNEpochs !== undefined && (epoch + 1) % this.everyNEpochs === 0) await this.save(trainer);
  }

  async onFitEnd(trainer: Trainer): Promise<void> {
    if (this.saveLast && this.lastSavedStep !== trainer.globalStep) await this.save(trainer);
  }

  async onInterrupt(trainer: Trainer): Promise<string> {
    if (this.lastSavedStep !== trainer.globalStep) await this.save(trainer);
    return join(this.dirpath, this.saveLast ? 'last' : checkpointName(trainer.globalStep));
  }

  /** Saves a checkpoint of the trainer's current state now. Returns its folder. */
  async save(trainer: Trainer): Promise<string> {
    const name = checkpointName(trainer.globalStep);
    const folder = join(this.dirpath, name);
    this.saved = this.saved.filter((kept) => kept !== name);
    this.saved.push(name);
    this.lastSavedStep = trainer.globalStep;
    // The kept list is part of the checkpoint's own state, so it is updated before saving.
    await trainer.saveCheckpoint(folder);
    if (this.saveLast) await pointLastCheckpointAt(this.dirpath, name);
    while (this.saved.length > this.keepLast) {
      const oldest = this.saved.shift()!;
      await rm(join(this.dirpath, oldest), { recursive: true, force: true });
    }
    return folder;
  }
}
