import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { DataLoader, MSNTransform, PlainTransform, SyntheticShapes } from '@msn/data';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { SingleProcessGroup } from '../distributed/single-process-group';
import { InvalidArgumentError } from '@msn/errors';
import { LearningRateMonitor } from '../lightning/callbacks/learning-rate-monitor';
import { ModelCheckpoint } from '../lightning/callbacks/model-checkpoint';
import type { Logger } from '../lightning/loggers/logger';
import { JsonLinesLogger } from '../lightning/loggers/json-lines-logger';
import type { Metrics } from '../lightning/lightning-module';
import { Trainer } from '../lightning/trainer';
import { constantSchedule } from '../schedules/constant-schedule';
import { msnSchedules } from '../schedules/msn-schedules';
import { MSNModule, type MSNModuleBatch } from './msn-module';
import { TINY_MSN_CONFIG } from './__fixtures__/tiny-msn-config';

const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'msn-module-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runCounter = 0;
const newFolder = () => join(root, `run-${runCounter++}`);

function tinyLoader(options: { length?: number; seed?: number; focalViews?: number } = {}) {
  const transform = new MSNTransform({ randomSize: 8, focalSize: 4, randomViews: 2, focalViews: options.focalViews ?? 2, normalize: null });
  return new DataLoader(new SyntheticShapes({ length: options.length ?? 12, imageSize: 8, seed: options.seed ?? 1 }), {
    batchSize: 4,
    shuffle: true,
    dropLast: true,
    transform,
  });
}

function labelledLoader(seed: number) {
  return new DataLoader(new SyntheticShapes({ length: 24, imageSize: 8, seed }), { batchSize: 8, transform: new PlainTransform({ size: 8, normalize: null }) });
}

function randomBatch(seed: number): MSNModuleBatch {
  return {
    views: {
      target: tf.randomNormal<tf.Rank.R4>([4, 3, 8, 8], 0, 1, 'float32', seed),
      anchors: [tf.randomNormal<tf.Rank.R4>([4, 3, 8, 8], 0, 1, 'float32', seed + 1)],
      focal: [tf.randomNormal<tf.Rank.R4>([4, 3, 4, 4], 0, 1, 'float32', seed + 2)],
    },
  };
}

class MemoryLogger implements Logger {
  readonly rows: ({ step: number } & Metrics)[] = [];
  logMetrics(metrics: Metrics, step: number): void {
    this.rows.push({ ...metrics, step });
  }
}

describeEachBackend(embeddedBackends(), 'MSNModule', () => {
  it('keeps tf.memory().numTensors constant over many training steps, and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const module = new MSNModule({ config: TINY_MSN_CONFIG, seed: 3, prior: 'power_law' });
    const batch = randomBatch(7);
    let step = 0;
    const losses: number[] = [];
    await expectNoLeakedTensors(async () => {
      const output = await module.trainingStep(batch, 0, { globalStep: step++, epoch: 0, learningRate: 1e-3, weightDecay: 0.04 });
      losses.push(output.loss as number);
    }, 12);
    expect(losses.every(Number.isFinite)).toBe(true);
    tf.dispose(batch.views as unknown as tf.TensorContainer);
    module.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('applies every schedule at every step: learning rate, weight decay, momentum, sharpening', async () => {
    const loader = tinyLoader();
    const schedules = {
      ...msnSchedules({ stepsPerEpoch: loader.length, epochs: 2, warmupEpochs: 1 }),
      sharpenTemperature: (step: number) => 0.25 + 0.01 * step,
    };
    const module = new MSNModule({ config: TINY_MSN_CONFIG, seed: 1, schedules });
    const logger = new MemoryLogger();
    const momenta: number[] = [];
    const originalStep = module.trainingStep.bind(module);
    module.trainingStep = async (batch, index, context) => {
      // The optimiser already holds this step's scheduled values when the step runs.
      expect(module.optimizer.learningRate).toBe(schedules.learningRate(context.globalStep));
      expect(module.optimizer.weightDecay).toBe(schedules.weightDecay(context.globalStep));
      const output = await originalStep(batch, index, context);
      momenta.push(output.logs!.momentum!);
      return output;
    };
    await new Trainer({ maxSteps: 5, callbacks: [new LearningRateMonitor()], loggers: [logger], handleSignals: false }).fit(module, loader);
    const rows = logger.rows.filter((row) => 'loss' in row);
    expect(rows.map((row) => row.step)).toEqual([1, 2, 3, 4, 5]);
    // The sorted prototype usage of health.json: one share per prototype, largest first, the wins of 5 steps summing to 1.
    const shares = module.prototypeShares();
    expect(shares).toHaveLength(module.model.config.numPrototypes);
    expect(shares).toEqual([...shares].sort((left, right) => right - left));
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 6);
    rows.forEach((row, index) => {
      expect(row.lr).toBe(schedules.learningRate(index));
      expect(row.weight_decay).toBe(schedules.weightDecay(index));
      expect(row.momentum).toBe(schedules.momentum(index));
      expect(row.sharpen_temperature).toBe(0.25 + 0.01 * index);
      expect(row.loss).toBeCloseTo(row.cross_entropy! + row.reg_loss!, 5);
    });
    // Warm-up: the learning rate rises, weight decay and momentum grow from their start values.
    expect(rows[1]!.lr!).toBeGreaterThan(rows[0]!.lr!);
    expect(rows[4]!.weight_decay!).toBeGreaterThan(rows[0]!.weight_decay!);
    expect(momenta[0]).toBe(0.996);
    expect(momenta[4]!).toBeGreaterThan(momenta[0]!);
    module.dispose();
  });

  it("draws each step's masks from (seed, step): two modules with one seed train identically, another seed differs", async () => {
    const run = async (seed: number) => {
      const module = new MSNModule({ config: TINY_MSN_CONFIG, seed, schedules: { learningRate: constantSchedule(0.01) } });
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        const batch = randomBatch(100 + step);
        losses.push((await module.trainingStep(batch, step, { globalStep: step, epoch: 0, learningRate: 0.01, weightDecay: 0.04 })).loss as number);
        tf.dispose(batch.views as unknown as tf.TensorContainer);
      }
      module.dispose();
      return losses;
    };
    const [first, again, other] = [await run(5), await run(5), await run(6)];
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('setupDistributed over a world of one trains like one process, leaks nothing, and teardownDistributed undoes it', async () => {
    const create = () => new MSNModule({ config: TINY_MSN_CONFIG, seed: 4, prior: 'power_law', schedules: { learningRate: constantSchedule(0.01) } });
    const [local, distributed] = [create(), create()];
    const group = new SingleProcessGroup();
    distributed.setupDistributed(group);
    expect([distributed.distributed?.worldSize, distributed.criterion.gatherDistributed, local.criterion.gatherDistributed]).toEqual([1, true, false]);
    const batch = randomBatch(30);
    const step = async (module: MSNModule, globalStep: number) => {
      const { loss, logs } = await module.trainingStep(batch, globalStep, { globalStep, epoch: 0, learningRate: 0.01, weightDecay: 0.04 });
      return [loss as number, logs!.cross_entropy!, logs!.reg_loss!, logs!.grad_norm!];
    };
    let globalStep = 0;
    // Same masks (shardMasks of a world of one = the masks drawn in one process), same statistics up to rounding.
    await expectNoLeakedTensors(async () => {
      const [want, got] = [await step(local, globalStep), await step(distributed, globalStep)];
      expectClose(got, want, { label: `step ${globalStep}: loss, cross-entropy, regulariser, gradient norm`, tolerance: FIXTURE_TOLERANCE });
      globalStep++;
    });
    const usesGroup = distributed.model.anchorHead.batchStatistics;
    distributed.teardownDistributed();
    expect([distributed.distributed, distributed.criterion.gatherDistributed]).toEqual([undefined, false]);
    expect(distributed.model.anchorHead.batchStatistics).not.toBe(usesGroup);
    // A second setup (a second fit) starts from the local statistics again, and dispose tears down.
    distributed.setupDistributed(group);
    distributed.dispose();
    group.destroy();
    // A torn-down module trains alone: nothing calls the (now destroyed) group any more.
    const after = create();
    after.setupDistributed(group);
    await expect(step(after, 0)).rejects.toThrow(/destroyed/);
    after.teardownDistributed();
    expect(Number.isFinite((await step(after, 1))[0])).toBe(true);
    tf.dispose(batch.views as unknown as tf.TensorContainer);
    [local, after].forEach((module) => module.dispose());
  });

  it('resumes mid-epoch from a checkpoint with a DataLoader that loads only the remaining batches, and continues exactly', async () => {
    // 12 images in batches of 4: 3 steps per epoch. The checkpoint after step 4 sits at batch 1 of epoch 1.
    const counted = (loads: number[]) => {
      const shapes = new SyntheticShapes({ length: 12, imageSize: 8, seed: 1 });
      return {
        length: shapes.length,
        get: (index: number) => {
          loads.push(index);
          return shapes.get(index);
        },
      };
    };
    const loaderOf = (loads: number[]) =>
      new DataLoader(counted(loads), {
        batchSize: 4,
        shuffle: true,
        dropLast: true,
        transform: new MSNTransform({ randomSize: 8, focalSize: 4, focalViews: 2, normalize: null }),
      });
    const fitFor = async (maxSteps: number, folder: string, loads: number[], ckptPath?: string) => {
      const module = new MSNModule({ config: TINY_MSN_CONFIG, seed: 8, prior: 'power_law' });
      const logger = new MemoryLogger();
      await new Trainer({ maxSteps, callbacks: [new ModelCheckpoint({ dirpath: folder, everyNTrainSteps: 4 })], loggers: [logger], handleSignals: false }).fit(
        module,
        loaderOf(loads),
        ckptPath === undefined ? {} : { ckptPath },
      );
      module.dispose();
      return logger.rows.filter((row) => 'loss' in row).map((row) => [row.step, row.loss, row.grad_norm]);
    };
    const expected = await fitFor(6, newFolder(), []);
    const folder = newFolder();
    await fitFor(4, folder, []);
    const loads: number[] = [];
    const resumed = await fitFor(6, folder, loads, join(folder, 'last'));
    expect(resumed).toEqual(expected.slice(4));
    // Steps 5 and 6 are batches 1 and 2 of epoch 1: 8 images, none of batch 0.
    expect(loads).toHaveLength(8);
  });

  it('validates with k-NN accuracy of the target backbone against a labelled reference set', async () => {
    const module = new MSNModule({ config: TINY_MSN_CONFIG, seed: 2, validation: { reference: labelledLoader(10), k: 5 } });
    const logger = new MemoryLogger();
    const fitFor = () =>
      new Trainer({ maxSteps: 2, valCheckInterval: 2, loggers: [logger], handleSignals: false }).fit(module, tinyLoader(), { valLoader: labelledLoader(20) });
    await fitFor();
    const afterFirst = tf.memory().numTensors;
    await fitFor();
    // Nothing accumulates: training, validation batches and the reference set are all freed.
    expect(tf.memory().numTensors).toBe(afterFirst);
    const accuracies = logger.rows.filter((row) => 'knn_accuracy' in row).map((row) => row.knn_accuracy!);
    expect(accuracies).toHaveLength(2);
    for (const accuracy of accuracies) {
      expect(accuracy).toBeGreaterThanOrEqual(0);
      expect(accuracy).toBeLessThanOrEqual(1);
      // 24 validation images: the accuracy is a whole number of them.
      expect(Math.abs(accuracy * 24 - Math.round(accuracy * 24))).toBeLessThan(1e-9);
    }
    module.dispose();
  });
});

describe('MSNModule arguments', () => {
  it('builds MSN, PMSN or PMSN with a custom prior from the prior option', () => {
    const modules = [
      new MSNModule({ config: TINY_MSN_CONFIG }),
      new MSNModule({ config: TINY_MSN_CONFIG, prior: 'power_law', powerLawExponent: 0.5 }),
      new MSNModule({ config: TINY_MSN_CONFIG, prior: (q) => tf.tidy(() => tf.div(tf.square(q), tf.sum(tf.square(q)))) }),
    ];
    expect(modules.map((module) => module.criterion.constructor.name)).toEqual(['MSNLoss', 'PMSNLoss', 'PMSNCustomLoss']);
    expect(modules[1]!.criterion.powerLawExponent).toBe(0.5);
    modules.forEach((module) => module.dispose());
  });

  it('rejects a prior of the wrong length at construction, naming the prior and K, and frees the model', () => {
    const before = tf.memory().numTensors;
    const tooShort = function shortPrior() {
      return tf.fill([4], 0.25) as tf.Tensor1D;
    };
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, prior: tooShort })).toThrow(InvalidArgumentError);
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, prior: tooShort })).toThrow(/prior shortPrior.*6 prototypes.*returned shape \[4\]; expected \[6\]/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names bad options', () => {
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, prior: 'zipf' as never })).toThrow(
      /'prior' = "zipf"; expected 'uniform', 'power_law' or a prior function/,
    );
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, powerLawExponent: 0.5 })).toThrow(
      /'powerLawExponent' = 0.5; expected no exponent with prior 'uniform'/,
    );
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, maxGradNorm: 0 })).toThrow(/'maxGradNorm' = 0/);
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, schedules: { learningRate: 0.1 as never } })).toThrow(
      /'schedules.learningRate' = 0.1; expected a function of the step/,
    );
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, schedules: { lr: constantSchedule(1) } as never })).toThrow(/'lr'/);
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, randomViews: 1 })).toThrow(/'randomViews' = 1; expected an integer >= 2/);
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, validation: {} as never })).toThrow(/'validation'/);
    expect(() => new MSNModule({ config: TINY_MSN_CONFIG, epochs: 3 } as never)).toThrow(/'epochs' = 3; expected no such option/);
    expect(() => new MSNModule({ config: { ...TINY_MSN_CONFIG, numPrototypes: 0 } })).toThrow(/'numPrototypes' = 0/);
  });

  it('refuses to resume a checkpoint trained with another seed or view layout', () => {
    const module = new MSNModule({ config: TINY_MSN_CONFIG, seed: 4 });
    expect(() => module.loadTrainingState(new MSNModule({ config: TINY_MSN_CONFIG, seed: 4 }).trainingState())).not.toThrow();
    expect(() => module.loadTrainingState({ kind: 'MSNModule', seed: 5, randomViews: 2 })).toThrow(/'checkpoint seed' = 5; expected 4, this module's seed/);
    expect(() => module.loadTrainingState({ kind: 'MSNModule', seed: 4, randomViews: 3 })).toThrow(/'checkpoint randomViews' = 3/);
    expect(() => module.loadTrainingState({ kind: 'ToyRegression' })).toThrow(/'state.kind' = "ToyRegression"/);
    module.dispose();
  });

  it('rejects a batch whose views are not grouped by role or do not match randomViews, naming them', async () => {
    const module = new MSNModule({ config: TINY_MSN_CONFIG, seed: 2, randomViews: 3 });
    const context = { globalStep: 0, epoch: 0, learningRate: 1e-3, weightDecay: 0.04 };
    const batch = randomBatch(5);
    const flat = [batch.views.target, ...batch.views.anchors, ...batch.views.focal];
    await expect(module.trainingStep({ views: flat } as never, 0, context)).rejects.toThrow(
      'MSNModule.trainingStep: invalid argument \'batch.views\' = "an array of 3 views"; expected { target, anchors (randomViews − 1 = 2 tensors), focal }',
    );
    await expect(module.trainingStep(batch, 0, context)).rejects.toThrow(/'batch.views' = "anchors: 1"/);
    tf.dispose(flat);
    module.dispose();
  });
});

describe('MSNModule in a child process', () => {
  const script = join(here, '__fixtures__', 'train-msn.ts');
  const packageFolder = join(here, '..', '..');
  const nodeArguments = ['--import', 'tsx', script];
  const run = (args: string[]) => spawnSync(process.execPath, [...nodeArguments, ...args], { encoding: 'utf8', cwd: packageFolder });
  const losses = (path: string) =>
    JsonLinesLogger.read(path)
      .filter((row) => 'loss' in row)
      .map((row) => [row.step, row.loss, row.grad_norm]);

  it('after SIGKILL mid-run, resuming from the last checkpoint reproduces the uninterrupted loss sequence exactly', async () => {
    const [reference, killed] = [newFolder(), newFolder()];
    const total = '14';
    const uninterrupted = run([reference, total, 'cpu', '0']);
    expect(uninterrupted.status, uninterrupted.stderr).toBe(0);
    expect(losses(join(reference, 'metrics.jsonl'))).toHaveLength(14);

    const child = spawn(process.execPath, [...nodeArguments, killed, total, 'cpu', '100'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: packageFolder });
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const metrics = join(killed, 'metrics.jsonl');
    for (let waited = 0; waited < 120_000; waited += 10) {
      if (existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 4) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGKILL');
    expect(await exit).toBe('SIGKILL');
    const beforeResume = losses(metrics).length;
    expect(beforeResume).toBeGreaterThan(3);
    expect(beforeResume).toBeLessThan(14);

    const resumed = run([killed, total, 'cpu', '0', 'resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(losses(metrics)).toEqual(losses(join(reference, 'metrics.jsonl')));
  }, 180_000);
});
