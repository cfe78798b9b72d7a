import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, embeddedBackends, useBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, InvalidArgumentError } from '@msn/errors';
import { checkpointName, ModelCheckpoint } from './callbacks/model-checkpoint';
import { EarlyStopping } from './callbacks/early-stopping';
import { LearningRateMonitor } from './callbacks/learning-rate-monitor';
import { CsvLogger } from './loggers/csv-logger';
import { JsonLinesLogger } from './loggers/json-lines-logger';
import type { Callback } from './callback';
import { Trainer } from './trainer';
import { SkippingToyLoader, ToyLoader, ToyRegression } from './__fixtures__/toy-regression';

const root = mkdtempSync(join(tmpdir(), 'msn-trainer-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runCounter = 0;
const newFolder = () => join(root, `run-${runCounter++}`);

const losses = (path: string) =>
  JsonLinesLogger.read(path)
    .filter((row) => 'loss' in row)
    .map((row) => [row.step, row.loss]);

async function train(options: { maxSteps: number; folder: string; ckptPath?: string; everyNTrainSteps?: number; seed?: number; loader?: ToyLoader }) {
  const module = new ToyRegression(options.seed ?? 0);
  const trainer = new Trainer({
    maxSteps: options.maxSteps,
    callbacks: [
      new ModelCheckpoint({ dirpath: join(options.folder, 'checkpoints'), everyNTrainSteps: options.everyNTrainSteps ?? 3, keepLast: 10 }),
      new LearningRateMonitor(),
    ],
    loggers: [new JsonLinesLogger(join(options.folder, 'metrics.jsonl')), new CsvLogger(join(options.folder, 'metrics.csv'))],
    handleSignals: false,
  });
  const result = await trainer.fit(module, options.loader ?? new ToyLoader(), { ckptPath: options.ckptPath });
  return { module, trainer, result };
}

describeEachBackend(embeddedBackends(), 'Trainer resume', () => {
  it('resumed runs reproduce the uninterrupted loss sequence exactly (mid-epoch and at an epoch boundary)', async () => {
    const reference = newFolder();
    const uninterrupted = await train({ maxSteps: 11, folder: reference });
    expect(uninterrupted.result).toEqual({ globalStep: 11, epoch: 2, stopReason: 'maxSteps' });
    const expected = losses(join(reference, 'metrics.jsonl'));
    expect(expected.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

    const partial = newFolder();
    const first = await train({ maxSteps: 8, folder: partial });
    // Step 6 is mid-epoch 1 (4 batches per epoch); step 8 ends epoch 1.
    for (const step of [6, 8]) {
      const resumed = await train({ maxSteps: 11, folder: partial, ckptPath: join(partial, 'checkpoints', checkpointName(step)), seed: 99 });
      expect(resumed.result.globalStep).toBe(11);
      expect(losses(join(partial, 'metrics.jsonl'))).toEqual(expected);
      expect(Array.from(resumed.module.weight.dataSync())).toEqual(Array.from(uninterrupted.module.weight.dataSync()));
      resumed.module.dispose();
    }
    first.module.dispose();
    uninterrupted.module.dispose();
  });

  it('a loader with supportsStartBatch resumes exactly without producing the batches already trained on', async () => {
    const reference = newFolder();
    const uninterrupted = await train({ maxSteps: 11, folder: reference, loader: new SkippingToyLoader() });
    const expected = losses(join(reference, 'metrics.jsonl'));
    const partial = newFolder();
    // Checkpoints every 2 steps: step 6 is batch 2 of epoch 1, step 8 its last batch (taken before the epoch ended).
    const first = await train({ maxSteps: 8, folder: partial, everyNTrainSteps: 2 });
    const progress = (step: number) => JSON.parse(readFileSync(join(partial, 'checkpoints', checkpointName(step), 'state.json'), 'utf8')).progress;
    expect([progress(6), progress(8)]).toEqual([
      { epoch: 1, batchInEpoch: 2, globalStep: 6 },
      { epoch: 1, batchInEpoch: 4, globalStep: 8 },
    ]);
    for (const [step, firstBatch] of [
      [6, [1, 2]],
      [8, [2, 0]],
    ] as const) {
      const loader = new SkippingToyLoader();
      const resumed = await train({ maxSteps: 11, folder: partial, ckptPath: join(partial, 'checkpoints', checkpointName(step)), seed: 99, loader });
      expect(losses(join(partial, 'metrics.jsonl'))).toEqual(expected);
      expect(Array.from(resumed.module.weight.dataSync())).toEqual(Array.from(uninterrupted.module.weight.dataSync()));
      expect(loader.produced[0]).toEqual(firstBatch);
      expect(loader.produced).toHaveLength(11 - step);
      // The epoch the checkpoint was taken in still ends (once) in the resumed run.
      expect(resumed.module.events.filter((event) => event === 'epoch end 1')).toEqual(['epoch end 1']);
      resumed.module.dispose();
    }
    first.module.dispose();
    uninterrupted.module.dispose();
  });
});

describe('Trainer', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('runs epochs and hooks in order, applies the schedule, logs rows and keeps memory flat', async () => {
    const folder = newFolder();
    const module = new ToyRegression();
    const counts: number[] = [];
    const memoryProbe: Callback = { onTrainBatchEnd: () => void counts.push(tf.memory().numTensors) };
    const trainer = new Trainer({
      maxEpochs: 3,
      callbacks: [new LearningRateMonitor(), memoryProbe],
      loggers: [new JsonLinesLogger(join(folder, 'm.jsonl')), new CsvLogger(join(folder, 'm.csv'))],
      handleSignals: false,
    });
    const result = await trainer.fit(module, new ToyLoader(), { valLoader: new ToyLoader(2, 5) });
    expect(result).toEqual({ globalStep: 12, epoch: 3, stopReason: 'maxEpochs' });
    expect(module.events.slice(0, 6)).toEqual([
      'epoch start 0',
      'step 0 epoch 0 batch 0',
      'step 1 epoch 0 batch 1',
      'step 2 epoch 0 batch 2',
      'step 3 epoch 0 batch 3',
      'epoch end 0',
    ]);
    expect(new Set(counts.slice(1)).size).toBe(1); // flat from step to step once the optimiser state exists
    const rows = JsonLinesLogger.read(join(folder, 'm.jsonl'));
    const trainRows = rows.filter((row) => 'loss' in row);
    expect(trainRows.map((row) => row.lr)).toEqual(Array.from({ length: 12 }, (_, step) => module.configureOptimizers().learningRate!(step)));
    expect(trainRows[11]!.loss).toBeLessThan(trainRows[0]!.loss!);
    expect(rows.filter((row) => 'val_loss' in row).map((row) => row.step)).toEqual([4, 8, 12]);
    const csv = readFileSync(join(folder, 'm.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('step,lr,weight_decay,loss,bias,epoch,val_loss');
    expect(csv).toHaveLength(1 + 12 + 3);
    module.dispose();
  });

  it('ends the epoch (validation, epoch-end hooks and callbacks) when maxSteps falls on its last batch, with or without a loader length', async () => {
    const lengthless = () => {
      const inner = new ToyLoader();
      return { batches: (options: { epoch: number }) => inner.batches(options) };
    };
    for (const [label, loader] of [
      ['length', () => new ToyLoader()],
      ['no length', lengthless],
    ] as const) {
      const module = new ToyRegression();
      const ended: number[] = [];
      const rows: number[] = [];
      const probe: Callback = {
        onTrainEpochEnd: (_trainer, _module, epoch) => void ended.push(epoch),
        onValidationEnd: (trainer) => void rows.push(trainer.globalStep),
      };
      const fitFor = (maxSteps: number) =>
        new Trainer({ maxSteps, callbacks: [probe], handleSignals: false }).fit(module, loader(), { valLoader: new ToyLoader(1, 5) });
      // 4 batches per epoch: step 8 is the last batch of epoch 1.
      expect(await fitFor(8), label).toEqual({ globalStep: 8, epoch: 2, stopReason: 'maxSteps' });
      expect([ended, rows, module.events.filter((event) => event.startsWith('epoch end'))], label).toEqual([
        [0, 1],
        [4, 8],
        ['epoch end 0', 'epoch end 1'],
      ]);
      // Mid-epoch the epoch does not end; without a length the Trainer looked one batch ahead and freed it.
      const tensors = tf.memory().numTensors;
      expect(await fitFor(6), label).toEqual({ globalStep: 6, epoch: 1, stopReason: 'maxSteps' });
      expect([ended, rows], label).toEqual([
        [0, 1, 0],
        [4, 8, 4],
      ]);
      expect(tf.memory().numTensors, label).toBe(tensors);
      module.dispose();
    }
  });

  it('keeps the last k checkpoints and points `last` at the newest', async () => {
    const folder = newFolder();
    const module = new ToyRegression();
    const checkpoint = new ModelCheckpoint({ dirpath: folder, everyNTrainSteps: 2, keepLast: 2 });
    await new Trainer({ maxSteps: 9, callbacks: [checkpoint], handleSignals: false }).fit(module, new ToyLoader());
    // Steps 2,4,6,8 periodic, 9 at the end of the fit; only the last two are kept.
    expect(readdirSync(folder).sort()).toEqual(['last', checkpointName(8), checkpointName(9)]);
    expect(readlinkSync(join(folder, 'last'))).toBe(checkpointName(9));
    const state = JSON.parse(readFileSync(join(folder, 'last', 'state.json'), 'utf8'));
    expect(state.progress).toEqual({ epoch: 2, batchInEpoch: 1, globalStep: 9 });
    expect(Object.keys(state.optimizer.step)).toEqual(['weight', 'bias']);
    module.dispose();
  });

  it('refuses incomplete or altered checkpoints, naming the folder', async () => {
    const folder = newFolder();
    const { module } = await train({ maxSteps: 3, folder });
    const saved = join(folder, 'checkpoints', checkpointName(3));
    const weights = readFileSync(join(saved, 'model.safetensors'));
    weights[weights.length - 1]! ^= 0xff;
    writeFileSync(join(saved, 'model.safetensors'), weights);
    await expect(train({ maxSteps: 5, folder, ckptPath: saved })).rejects.toThrow(CheckpointError);
    await expect(train({ maxSteps: 5, folder, ckptPath: saved })).rejects.toThrow(/model\.safetensors has .* bytes \/ another hash/);
    rmSync(join(saved, 'state.json'));
    await expect(train({ maxSteps: 5, folder, ckptPath: saved })).rejects.toThrow(/is incomplete or corrupt: cannot read state\.json/);
    await expect(train({ maxSteps: 5, folder, ckptPath: join(folder, 'nothing') })).rejects.toThrow(/checkpoint '.*nothing' does not exist/);
    module.dispose();
  });

  it('stops early when the monitored metric stops improving, and checkpoints its counters', async () => {
    const module = new ToyRegression();
    const stopper = new EarlyStopping({ monitor: 'val_loss', patience: 1, minDelta: 1e9 });
    const result = await new Trainer({ maxEpochs: 10, callbacks: [stopper], handleSignals: false }).fit(module, new ToyLoader(), {
      valLoader: new ToyLoader(1),
    });
    // With an impossible minDelta nothing after the first validation improves: stop after the second epoch.
    expect(result.stopReason).toBe('stopRequested');
    expect(result.globalStep).toBe(8);
    expect(stopper.stateDict()).toEqual({ best: expect.any(Number), wait: 1 });
    module.dispose();
  });

  it('validates its options', () => {
    expect(() => new Trainer({ maxSteps: 0 })).toThrow(/Trainer: invalid argument 'maxSteps' = 0; expected an integer >= 1/);
    expect(() => new Trainer({ max_steps: 3 } as never)).toThrow(/'max_steps' = 3; expected no such option/);
    expect(() => new Trainer({ callbacks: [new ModelCheckpoint({ dirpath: 'a' }), new ModelCheckpoint({ dirpath: 'b' })] })).toThrow(InvalidArgumentError);
    expect(() => new EarlyStopping({ monitor: 'x', mode: 'up' as never })).toThrow(/'mode' = "up"; expected 'min' or 'max'/);
  });
});

describe('Trainer in a child process', () => {
  const script = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'train-toy.ts');
  const packageFolder = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  // One process (node with tsx's loader), so a signal reaches the training process itself, not a wrapper.
  const nodeArguments = ['--import', 'tsx', script];
  const run = (args: string[]) => spawnSync(process.execPath, [...nodeArguments, ...args], { encoding: 'utf8', cwd: packageFolder });

  async function startAndStop(folder: string, signal: NodeJS.Signals, afterSteps: number) {
    const child = spawn(process.execPath, [...nodeArguments, folder, '40', '40'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: packageFolder });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const metrics = join(folder, 'metrics.jsonl');
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, killedBy) => resolve({ code, signal: killedBy })),
    );
    for (let waited = 0; waited < 60_000; waited += 25) {
      if (existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > afterSteps) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    child.kill(signal);
    return { ...(await exit), stderr: () => stderr };
  }

  it('after SIGKILL mid-run, resuming reproduces the uninterrupted loss sequence', async () => {
    const [reference, killed] = [newFolder(), newFolder()];
    expect(run([reference, '40', '0']).status).toBe(0);
    const stopped = await startAndStop(killed, 'SIGKILL', 6);
    expect(stopped.signal).toBe('SIGKILL');
    const beforeResume = losses(join(killed, 'metrics.jsonl')).length;
    expect(beforeResume).toBeGreaterThan(5);
    expect(beforeResume).toBeLessThan(40);
    const resumed = run([killed, '40', '0', 'resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(losses(join(killed, 'metrics.jsonl'))).toEqual(losses(join(reference, 'metrics.jsonl')));
  });

  it('on SIGINT finishes the step, saves a checkpoint, exits cleanly and resumes exactly', async () => {
    const [reference, interrupted] = [newFolder(), newFolder()];
    expect(run([reference, '40', '0']).status).toBe(0);
    const stopped = await startAndStop(interrupted, 'SIGINT', 4);
    expect(stopped.code).toBe(0);
    expect(stopped.stderr()).toMatch(/checkpoint saved to .*last/);
    const state = JSON.parse(readFileSync(join(interrupted, 'checkpoints', 'last', 'state.json'), 'utf8'));
    expect(state.progress.globalStep).toBe(losses(join(interrupted, 'metrics.jsonl')).length);
    expect(run([interrupted, '40', '0', 'resume']).status).toBe(0);
    expect(losses(join(interrupted, 'metrics.jsonl'))).toEqual(losses(join(reference, 'metrics.jsonl')));
  });
});
