// Resuming on every rank from one read of the checkpoint: rank 0 reads it and sends the contents to the others.
import { realpath } from 'node:fs/promises';
import { readCheckpoint, type CheckpointState, type LoadedCheckpoint } from '../checkpoint/checkpoint-files';
import type { TensorCodec } from '../checkpoint/tensor-codec';
import type { ProcessGroup } from '../distributed/process-group';
import { CheckpointError } from '@msn/errors';
import type { StoredTensor } from '../optim/optimizer-state';

interface Header {
  /** Rank 0's failure, re-thrown on every rank. */
  error?: string;
  folder?: string;
  state?: CheckpointState;
  weightsMetadata?: Record<string, string>;
  weights?: [string, number[]][];
  optimizerTensors?: [string, number[]][];
}

const sizeOf = (shape: readonly number[]) => shape.reduce((product, dimension) => product * dimension, 1);

/**
 * Reads checkpoint `ckptPath` on rank `root` and gives every rank the same {@link LoadedCheckpoint}: the JSON state
 * travels by `broadcastObject`, the weights and optimiser moments as one float32 broadcast. Other ranks need no
 * access to the file system rank 0 wrote to, and all of them resume from the same folder even if a newer `last` link
 * appears meanwhile (rank 0 resolves it once). When rank 0 cannot read it, every rank throws the same error.
 *
 * @throws {CheckpointError} on every rank when the checkpoint is missing, incomplete or corrupt on rank `root`.
 */
export async function loadCheckpointFromRoot(
  group: ProcessGroup,
  ckptPath: string | undefined,
  codec: TensorCodec,
  root = 0,
): Promise<LoadedCheckpoint | undefined> {
  let header: Header = {};
  let loaded: LoadedCheckpoint | undefined;
  if (group.rank === root && ckptPath !== undefined) {
    try {
      const folder = await realpath(ckptPath).catch(() => ckptPath);
      loaded = await readCheckpoint(folder, codec);
      header = {
        folder,
        state: loaded.state,
        weightsMetadata: loaded.weightsMetadata,
        weights: [...loaded.weights].map(([name, tensor]) => [name, tensor.shape]),
        optimizerTensors: [...loaded.optimizerTensors].map(([name, tensor]) => [name, tensor.shape]),
      };
    } catch (error) {
      header = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  // Every rank takes part even without a checkpoint: whether to resume is rank 0's decision.
  header = group.broadcastObject(header, root);
  if (header.error !== undefined) throw new CheckpointError(group.rank === root ? header.error : `rank ${root}: ${header.error}`);
  if (header.state === undefined) return undefined;

  const entries = [...header.weights!, ...header.optimizerTensors!];
  const flat = new Float32Array(entries.reduce((total, [, shape]) => total + sizeOf(shape), 0));
  if (loaded !== undefined) {
    let offset = 0;
    for (const tensor of [...loaded.weights.values(), ...loaded.optimizerTensors.values()]) {
      flat.set(tensor.data, offset);
      offset += tensor.data.length;
    }
  }
  const received = group.broadcast(flat, root);
  if (loaded !== undefined) return loaded;
  let offset = 0;
  const unpack = (list: [string, number[]][]) =>
    new Map<string, StoredTensor>(
      list.map(([name, shape]) => {
        const data = received.slice(offset, offset + sizeOf(shape));
        offset += data.length;
        return [name, { shape, data }];
      }),
    );
  const weights = unpack(header.weights!);
  const optimizerTensors = unpack(header.optimizerTensors!);
  return { state: header.state, weightsMetadata: header.weightsMetadata!, weights, optimizerTensors };
}
