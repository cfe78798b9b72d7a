// Checkpoints survive a kill at any moment, and damaged ones are refused with an error naming the file.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointError } from '@msn/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTIMIZER_FILE, STATE_FILE, WEIGHTS_FILE, readCheckpoint, writeCheckpoint } from './checkpoint-files';
import { LAST_CHECKPOINT_LINK, lastCheckpointName, pointLastCheckpointAt } from './last-checkpoint';
import { safetensorsCodec } from './tensor-codec';

const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'msn-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function writeSmall(folder: string, step: number): Promise<void> {
  await writeCheckpoint(
    folder,
    {
      weights: new Map([['weight', { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, step) }]]),
      weightsMetadata: { format: 'pt' },
      optimizerTensors: new Map([['weight.exp_avg', { shape: [2, 3], data: new Float32Array(6).fill(0.5) }]]),
      state: {
        progress: { globalStep: step, epoch: 1, batchInEpoch: 2 },
        hyperparameters: { learningRate: 1e-3, weightDecay: 0.04 },
        optimizer: { step },
        module: { seed: 7 },
        callbacks: {},
      },
    },
    safetensorsCodec,
  );
}

describe('checkpoint files', () => {
  it('read back what was written, through the last link', async () => {
    const folder = join(root, 'round-trip');
    await writeSmall(join(folder, 'step-3'), 3);
    expect(await lastCheckpointName(folder)).toBeUndefined();
    await pointLastCheckpointAt(folder, 'step-3');
    expect(await lastCheckpointName(folder)).toBe('step-3');
    const loaded = await readCheckpoint(join(folder, LAST_CHECKPOINT_LINK), safetensorsCodec);
    expect(Array.from(loaded.weights.get('weight')!.data)).toEqual([1, 2, 3, 4, 5, 3]);
    expect(loaded.weights.get('weight')!.shape).toEqual([2, 3]);
    expect(Array.from(loaded.optimizerTensors.get('weight.exp_avg')!.data)).toEqual(new Array(6).fill(0.5));
    expect(loaded.state).toMatchObject({ progress: { globalStep: 3, epoch: 1, batchInEpoch: 2 }, optimizer: { step: 3 }, module: { seed: 7 } });
    expect(loaded.weightsMetadata.format).toBe('pt');
    // The link moves atomically to a new checkpoint.
    await writeSmall(join(folder, 'step-4'), 4);
    await pointLastCheckpointAt(folder, 'step-4');
    expect((await readCheckpoint(join(folder, LAST_CHECKPOINT_LINK), safetensorsCodec)).state.progress.globalStep).toBe(4);
  });

  it('refuse a truncated, corrupt or missing checkpoint with an error naming the folder and the file', async () => {
    const damaged = async (name: string, damage: (folder: string) => void) => {
      const folder = join(root, name);
      await writeSmall(folder, 1);
      damage(folder);
      return readCheckpoint(folder, safetensorsCodec);
    };
    const truncated = damaged('truncated', (folder) => truncateSync(join(folder, WEIGHTS_FILE), 40));
    await expect(truncated).rejects.toThrow(CheckpointError);
    await expect(truncated).rejects.toThrow(new RegExp(`checkpoint '.*truncated' is inconsistent: ${WEIGHTS_FILE} has 40 bytes`));
    const corruptState = damaged('corrupt-state', (folder) => writeFileSync(join(folder, STATE_FILE), '{"format": "msn-trainer-check'));
    await expect(corruptState).rejects.toThrow(CheckpointError);
    await expect(corruptState).rejects.toThrow(new RegExp(`checkpoint '.*corrupt-state' is incomplete or corrupt: cannot read ${STATE_FILE}`));
    const flipped = damaged('flipped', (folder) => {
      const bytes = readFileSync(join(folder, OPTIMIZER_FILE));
      bytes[bytes.length - 1]! ^= 0xff;
      writeFileSync(join(folder, OPTIMIZER_FILE), bytes);
    });
    await expect(flipped).rejects.toThrow(new RegExp(`${OPTIMIZER_FILE} has \\d+ bytes / another hash`));
    const missingState = damaged('no-state', (folder) => rmSync(join(folder, STATE_FILE)));
    await expect(missingState).rejects.toThrow(new RegExp(`'.*no-state' is incomplete or corrupt: cannot read ${STATE_FILE}`));
    // `last` naming a checkpoint that was deleted.
    const dangling = join(root, 'dangling');
    await writeSmall(join(dangling, 'step-1'), 1);
    symlinkSync('step-9', join(dangling, LAST_CHECKPOINT_LINK), 'dir');
    await expect(readCheckpoint(join(dangling, LAST_CHECKPOINT_LINK), safetensorsCodec)).rejects.toThrow(
      new CheckpointError(`checkpoint '${join(dangling, LAST_CHECKPOINT_LINK)}' does not exist`),
    );
  });

  it('leave a complete checkpoint behind when the writing process is killed at any moment', async () => {
    const child = join(here, '__fixtures__', 'checkpoint-writer-child.ts');
    // Kills at several points of the write cycle (writing the weights, the optimizer file, state.json, the link).
    for (const delay of [0, 37, 85, 140]) {
      const folder = join(root, `killed-${delay}`);
      const writer = spawn(process.execPath, ['--import', 'tsx', child, folder], { stdio: ['ignore', 'pipe', 'inherit'] });
      let written = 0;
      await new Promise<void>((resolve, reject) => {
        writer.on('error', reject);
        writer.stdout.on('data', (chunk: Buffer) => {
          written += chunk.toString().split('\n').filter(Boolean).length;
          if (written === 2) setTimeout(() => writer.kill('SIGKILL'), delay);
        });
        writer.on('exit', () => resolve());
      });
      expect(written, 'the child wrote checkpoints before the kill').toBeGreaterThanOrEqual(2);
      const loaded = await readCheckpoint(join(folder, LAST_CHECKPOINT_LINK), safetensorsCodec);
      const step = loaded.state.progress.globalStep;
      expect(step).toBeGreaterThanOrEqual(2);
      const weights = loaded.weights.get('weight')!.data;
      expect(weights.length).toBe(4 * 1024 * 1024);
      expect(weights[0] === step && weights.every((value) => value === step), `every weight of step ${step}`).toBe(true);
    }
  }, 120_000);
});
