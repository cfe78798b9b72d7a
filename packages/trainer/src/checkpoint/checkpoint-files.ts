// A checkpoint on disk: a folder with model.safetensors, optimizer.safetensors and state.json (written last).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError } from '@msn/errors';
import type { JsonValue, StoredTensor } from '../optim/optimizer-state';
import { writeFileAtomic } from '@msn/vit';
import type { TensorCodec } from './tensor-codec';

/** Name of the state file: its presence (with matching file hashes) marks a complete checkpoint. */
export const STATE_FILE = 'state.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

/** Where training stands: the next batch to train is batch `batchInEpoch` of epoch `epoch`. */
export interface TrainingProgress {
  epoch: number;
  batchInEpoch: number;
  /** Optimisation steps taken so far. */
  globalStep: number;
}

interface FileRecord {
  name: string;
  bytes: number;
  sha256: string;
}

/** The JSON state of a checkpoint (`state.json`). */
export interface CheckpointState {
  format: 'msn-trainer-checkpoint';
  version: 1;
  savedAt: string;
  progress: TrainingProgress;
  /** Learning rate and weight decay of the last step (informational: schedules are functions of the step). */
  hyperparameters: { learningRate: number; weightDecay: number };
  /** The optimiser's JSON values (step counts, hyper-parameters); its tensors are in optimizer.safetensors. */
  optimizer: { [key: string]: JsonValue };
  /** The module's own state: RNG, data position, anything its `trainingState()` returns. */
  module: JsonValue;
  /** State of each stateful callback, by its `stateKey`. */
  callbacks: { [key: string]: JsonValue };
  files: { weights: FileRecord; optimizer: FileRecord };
}

/** A checkpoint read back from disk. */
export interface LoadedCheckpoint {
  state: CheckpointState;
  weights: Map<string, StoredTensor>;
  weightsMetadata: Record<string, string>;
  optimizerTensors: Map<string, StoredTensor>;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function download(tensors: ReadonlyMap<string, tf.Tensor | StoredTensor>): Promise<Map<string, StoredTensor>> {
  const result = new Map<string, StoredTensor>();
  for (const [name, tensor] of tensors) {
    result.set(name, tensor instanceof tf.Tensor ? { shape: [...tensor.shape], data: (await tensor.data()) as Float32Array } : tensor);
  }
  return result;
}

/**
 * Writes a checkpoint folder. Each file is replaced atomically (temp + fsync + rename); `state.json` is removed
 * first and written last with the size and SHA-256 of the tensor files, so a folder whose state.json is missing or
 * disagrees with its files is recognisably incomplete.
 */
export async function writeCheckpoint(
  folder: string,
  contents: {
    weights: ReadonlyMap<string, tf.Tensor | StoredTensor>;
    weightsMetadata: Record<string, string>;
    optimizerTensors: ReadonlyMap<string, StoredTensor>;
    state: Omit<CheckpointState, 'files' | 'format' | 'version' | 'savedAt'>;
  },
  codec: TensorCodec,
): Promise<void> {
  await mkdir(folder, { recursive: true });
  await rm(join(folder, STATE_FILE), { force: true });
  const weightBytes = codec.encode(await download(contents.weights), contents.weightsMetadata);
  const optimizerBytes = codec.encode(contents.optimizerTensors, { format: 'msn-trainer-optimizer' });
  await writeFileAtomic(join(folder, WEIGHTS_FILE), weightBytes);
  await writeFileAtomic(join(folder, OPTIMIZER_FILE), optimizerBytes);
  const state: CheckpointState = {
    format: 'msn-trainer-checkpoint',
    version: 1,
    savedAt: new Date().toISOString(),
    ...contents.state,
    files: {
      weights: { name: WEIGHTS_FILE, bytes: weightBytes.length, sha256: sha256(weightBytes) },
      optimizer: { name: OPTIMIZER_FILE, bytes: optimizerBytes.length, sha256: sha256(optimizerBytes) },
    },
  };
  await writeFileAtomic(join(folder, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`);
}

/**
 * Reads a checkpoint folder (or a `last` symlink to one), verifying that its files are the ones state.json lists.
 * @throws {CheckpointError} naming the folder and the problem (missing state.json: incomplete; size or hash
 *   mismatch: a file was replaced after the state was written; unknown format).
 */
export async function readCheckpoint(folder: string, codec: TensorCodec): Promise<LoadedCheckpoint> {
  const statePath = join(folder, STATE_FILE);
  let state: CheckpointState;
  try {
    await stat(folder);
  } catch (error) {
    throw new CheckpointError(`checkpoint '${folder}' does not exist`, { cause: error });
  }
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as CheckpointState;
  } catch (error) {
    throw new CheckpointError(`checkpoint '${folder}' is incomplete or corrupt: cannot read ${STATE_FILE} (${(error as Error).message})`, { cause: error });
  }
  if (state?.format !== 'msn-trainer-checkpoint' || state.version !== 1) {
    throw new CheckpointError(
      `checkpoint '${folder}': ${STATE_FILE} has format ${JSON.stringify(state?.format)} version ${JSON.stringify(state?.version)}, expected msn-trainer-checkpoint version 1`,
    );
  }
  const readVerified = async (record: FileRecord) => {
    const path = join(folder, record.name);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (error) {
      throw new CheckpointError(`checkpoint '${folder}' is incomplete: cannot read ${record.name}`, { cause: error });
    }
    if (bytes.length !== record.bytes || sha256(bytes) !== record.sha256) {
      throw new CheckpointError(
        `checkpoint '${folder}' is inconsistent: ${record.name} has ${bytes.length} bytes / another hash than the ${record.bytes} bytes ${STATE_FILE} lists (interrupted while saving?)`,
      );
    }
    return codec.decode(bytes, path);
  };
  const weights = await readVerified(state.files.weights);
  const optimizer = await readVerified(state.files.optimizer);
  return { state, weights: weights.tensors, weightsMetadata: weights.metadata, optimizerTensors: optimizer.tensors };
}
