// Writes checkpoints step-1, step-2, … into argv[2] forever, each with every weight equal to its step, pointing
// `last` at each one as it completes: the checkpoint tests kill this process mid-write.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { lastCheckpointName, pointLastCheckpointAt } from '../last-checkpoint';
import { writeCheckpoint } from '../checkpoint-files';
import { safetensorsCodec } from '../tensor-codec';

const folder = process.argv[2]!;
// 4 Mi floats (16 MiB): long enough to write that a kill lands inside a write.
const SIZE = 4 * 1024 * 1024;
for (let step = 1; ; step++) {
  const name = `step-${step}`;
  await writeCheckpoint(
    join(folder, name),
    {
      weights: new Map([['weight', { shape: [SIZE], data: new Float32Array(SIZE).fill(step) }]]),
      weightsMetadata: { format: 'pt' },
      optimizerTensors: new Map(),
      state: {
        progress: { globalStep: step, epoch: 0, batchInEpoch: step },
        hyperparameters: { learningRate: 0, weightDecay: 0 },
        optimizer: {},
        module: null,
        callbacks: {},
      },
    },
    safetensorsCodec,
  );
  const previous = await lastCheckpointName(folder);
  await pointLastCheckpointAt(folder, name);
  if (previous !== undefined) await rm(join(folder, previous), { recursive: true, force: true });
  process.stdout.write(`${step}\n`);
}
