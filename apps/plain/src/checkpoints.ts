// @file Saving and restoring the whole training state with @msn/trainer's checkpoint files (atomic, resumable).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointName } from '@msn/trainer/lightning';
import {
  lastCheckpointName,
  pointLastCheckpointAt,
  readCheckpoint,
  safetensorsCodec,
  writeCheckpoint,
  type AdamW,
  type MSNModel,
  type TrainingProgress,
} from '@msn/trainer';

/** What identifies a run beyond its weights: a resumed run must use the same seed and view layout. */
export interface RunIdentity {
  seed: number;
  randomViews: number;
}

/**
 * Writes `<folder>/step-<n>/` (model.safetensors with lightly's names and the config, optimizer.safetensors with
 * AdamW's moments, state.json with the progress, written last) and points `<folder>/last` at it. The format is the
 * Trainer's, so `apps/lightning` (MSNModule) can resume it too.
 * The previous checkpoint is deleted only once `last` points at the new one, so a kill at any moment leaves a
 * complete checkpoint behind.
 */
export async function saveCheckpoint(
  folder: string,
  run: { model: MSNModel; optimizer: AdamW; progress: TrainingProgress; identity: RunIdentity },
): Promise<string> {
  const name = checkpointName(run.progress.globalStep);
  const optimizerState = await run.optimizer.getState();
  await writeCheckpoint(
    join(folder, name),
    {
      weights: run.model.stateDict(),
      weightsMetadata: { format: 'pt', ...run.model.checkpointMetadata() },
      optimizerTensors: new Map(Object.entries(optimizerState.tensors)),
      state: {
        progress: run.progress,
        hyperparameters: { learningRate: run.optimizer.learningRate, weightDecay: run.optimizer.weightDecay },
        optimizer: optimizerState.values,
        module: { kind: 'MSNModule', ...run.identity },
        callbacks: {},
      },
    },
    safetensorsCodec,
  );
  const previous = await lastCheckpointName(folder);
  await pointLastCheckpointAt(folder, name);
  if (previous !== undefined && previous !== name) await rm(join(folder, previous), { recursive: true, force: true });
  return join(folder, name);
}

/**
 * Loads a checkpoint into the model and optimiser and returns where training stands.
 * @throws {CheckpointError} for a missing or incomplete checkpoint; an Error when it belongs to another run.
 */
export async function restoreCheckpoint(path: string, run: { model: MSNModel; optimizer: AdamW; identity: RunIdentity }): Promise<TrainingProgress> {
  const checkpoint = await readCheckpoint(path, safetensorsCodec);
  const saved = checkpoint.state.module as Partial<RunIdentity> | null;
  for (const key of ['seed', 'randomViews'] as const) {
    if (saved?.[key] !== run.identity[key]) {
      throw new Error(
        `checkpoint '${path}' was trained with --${key === 'seed' ? 'seed' : 'random-views'} ${saved?.[key]}, this run has ${run.identity[key]}; pass the checkpoint's value to resume it`,
      );
    }
  }
  run.model.loadStateDict(checkpoint.weights);
  run.optimizer.setState({ values: checkpoint.state.optimizer, tensors: Object.fromEntries(checkpoint.optimizerTensors) });
  return checkpoint.state.progress;
}
