import * as tf from '@tensorflow/tfjs-core';
import {
  FIXTURE_TOLERANCE,
  describeEachBackend,
  embeddedBackends,
  expectClose,
  expectNoLeakedTensors,
  expectTensorClose,
  fixtureBackends,
  fixtureToTensor,
  readFixtures,
  useBackend,
  type FixtureFile,
} from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { localBatchStatistics, synchronizedBatchStatistics } from './batch-statistics';
import { InvalidArgumentError, ShapeError, StateDictError } from '@msn/errors';
import { weightsFor } from './fixture-weights.test-support';
import { MSNProjectionHead } from './msn-projection-head';
import { loadSafetensors } from './safetensors-file';

const fixtures = readFixtures<FixtureFile>('head');

function headFrom(params: Record<string, unknown>): MSNProjectionHead {
  expect(params.gelu ?? 'erf').toBe('erf');
  return new MSNProjectionHead({
    inputDim: params.inputDim as number,
    hiddenDim: params.hiddenDim as number,
    outputDim: params.outputDim as number,
    batchNormEps: params.batchNormEps as number,
    batchNormMomentum: params.batchNormMomentum as number,
    seed: 0,
  });
}

describeEachBackend(fixtureBackends(), 'MSNProjectionHead fixtures', () => {
  it('finds fixture files', () => expect(fixtures.length).toBeGreaterThan(0));

  for (const { path, fixture } of fixtures) {
    it(`matches ${path}: training forward, updated running statistics, evaluation forward`, async () => {
      const head = headFrom(fixture.params);
      head.loadStateDict((await loadSafetensors(weightsFor(path))).tensors);
      const x = fixtureToTensor(fixture.inputs.x!) as tf.Tensor2D;
      const label = (name: string) => `${path} ${name}`;
      const outTrain = head.forward(x, { training: true });
      await expectTensorClose(outTrain, fixture.outputs.outTrain!, { label: label('outTrain'), tolerance: FIXTURE_TOLERANCE });
      const buffers = Object.keys(fixture.outputs).filter((name) => name.startsWith('layers.'));
      expect(buffers.length).toBeGreaterThan(0);
      const state = head.stateDict();
      for (const name of buffers) {
        const variable = state.get(name);
        if (variable === undefined) throw new Error(`${label(name)}: the head has no such tensor`);
        await expectTensorClose(variable, fixture.outputs[name]!, { label: label(name), tolerance: FIXTURE_TOLERANCE });
      }
      const outEval = head.forward(x, { training: false });
      await expectTensorClose(outEval, fixture.outputs.outEval!, { label: label('outEval'), tolerance: FIXTURE_TOLERANCE });
      // Evaluation leaves the running statistics alone.
      for (const name of buffers) {
        await expectTensorClose(state.get(name)!, fixture.outputs[name]!, { label: label(`${name} after eval`), tolerance: FIXTURE_TOLERANCE });
      }
      tf.dispose([x, outTrain, outEval]);
      head.dispose();
    });
  }
});

describeEachBackend(embeddedBackends(), 'MSNProjectionHead', () => {
  it('with a summing allReduce over identical halves equals the statistics of the whole batch', () => {
    const half = tf.randomNormal([5, 6], 1, 2, 'float32', 3) as tf.Tensor2D;
    const whole = tf.concat([half, half]) as tf.Tensor2D;
    // Two processes holding the same rows: every all-reduced sum is twice the local one.
    const synchronized = synchronizedBatchStatistics((tensor) => tf.mul(tensor, 2))(half);
    const reference = localBatchStatistics(whole);
    expect(synchronized.count).toBe(10);
    expect(reference.count).toBe(10);
    expectClose(synchronized.mean, reference.mean, { label: 'mean', tolerance: FIXTURE_TOLERANCE });
    expectClose(synchronized.variance, reference.variance, { label: 'variance', tolerance: FIXTURE_TOLERANCE });
    tf.dispose([half, whole, synchronized.mean, synchronized.variance, reference.mean, reference.variance]);
  });

  it('uses an injected batch-statistics function in training mode, and its count for the unbiased running variance', () => {
    const head = new MSNProjectionHead({ inputDim: 4, hiddenDim: 6, outputDim: 3, seed: 1 });
    const x = tf.randomNormal([4, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
    const calls: number[][] = [];
    head.batchStatistics = (features) => {
      calls.push(features.shape);
      const local = localBatchStatistics(features);
      return { ...local, count: 8 }; // pretend another process held 4 more samples
    };
    tf.dispose(head.forward(x, { training: true }));
    expect(calls).toEqual([
      [4, 6],
      [4, 6],
    ]);
    // running_var = 0.9·1 + 0.1·σ²·8/7 for the first BatchNorm.
    const hidden = tf.matMul(x, head.stateDict().get('layers.0.weight')!, false, true);
    const expected = tf.add(0.9, tf.mul(tf.moments(hidden, 0).variance, 0.1 * (8 / 7)));
    expectClose(head.stateDict().get('layers.1.running_var')!, expected, { label: 'running_var with count 8', tolerance: FIXTURE_TOLERANCE });
    tf.dispose(head.forward(x, { training: false }));
    expect(calls.length).toBe(2);
    tf.dispose([x, hidden, expected]);
    head.dispose();
  });

  it('does not leak tensors in training and evaluation, and frees everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const head = new MSNProjectionHead({ inputDim: 4, hiddenDim: 8, outputDim: 3, seed: 2 });
    const x = tf.randomNormal([6, 4], 0, 1, 'float32', 6) as tf.Tensor2D;
    await expectNoLeakedTensors(() => tf.dispose(head.forward(x, { training: false })));
    await expectNoLeakedTensors(() => tf.dispose(head.forward(x, { training: true })));
    await expectNoLeakedTensors(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(head.forward(x, { training: true }))), head.trainableVariables());
      tf.dispose([value, ...Object.values(grads)]);
    }, 5);
    x.dispose();
    head.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('MSNProjectionHead state and validation', () => {
  beforeAll(() => useBackend('cpu'));

  it('names its tensors like lightly and keeps the running statistics out of training', () => {
    const head = new MSNProjectionHead({ inputDim: 5, hiddenDim: 7, outputDim: 3, seed: 0 });
    const shapes = Object.fromEntries([...head.stateDict()].map(([name, variable]) => [name, variable.shape]));
    expect(shapes).toEqual({
      'layers.0.weight': [7, 5],
      'layers.1.weight': [7],
      'layers.1.bias': [7],
      'layers.1.running_mean': [7],
      'layers.1.running_var': [7],
      'layers.3.weight': [7, 7],
      'layers.4.weight': [7],
      'layers.4.bias': [7],
      'layers.4.running_mean': [7],
      'layers.4.running_var': [7],
      'layers.6.weight': [3, 7],
      'layers.6.bias': [3],
    });
    const trainable = new Set(head.trainableVariables());
    for (const [name, variable] of head.stateDict()) expect(trainable.has(variable)).toBe(!name.includes('running'));
    // torch's default Linear init: U(−1/√fan_in, 1/√fan_in).
    const weights = head.stateDict().get('layers.0.weight')!.dataSync();
    expect(Math.max(...weights.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(5));
    head.dispose();
  });

  it('loads under a prefix, ignores num_batches_tracked and lists every mismatch', () => {
    const source = new MSNProjectionHead({ inputDim: 3, hiddenDim: 4, outputDim: 2, seed: 1 });
    const target = new MSNProjectionHead({ inputDim: 3, hiddenDim: 4, outputDim: 2, seed: 2 });
    const checkpoint = new Map<string, tf.Tensor | { shape: number[]; data: Float32Array }>(source.stateDict({ prefix: 'anchor.head.' }));
    checkpoint.set('anchor.head.layers.1.num_batches_tracked', { shape: [], data: new Float32Array([3]) });
    checkpoint.set('prototypes', { shape: [2, 2], data: new Float32Array(4) });
    target.loadStateDict(checkpoint, { prefix: 'anchor.head.' });
    expect(Array.from(target.stateDict().get('layers.6.bias')!.dataSync())).toEqual(Array.from(source.stateDict().get('layers.6.bias')!.dataSync()));

    const broken = new Map<string, tf.Tensor | { shape: number[]; data: Float32Array }>(source.stateDict());
    broken.delete('layers.4.running_var');
    broken.set('layers.6.bias', { shape: [3], data: new Float32Array(3) });
    broken.set('layers.9.weight', { shape: [1], data: new Float32Array(1) });
    const before = Array.from(target.stateDict().get('layers.0.weight')!.dataSync());
    expect(() => target.loadStateDict(broken)).toThrow(StateDictError);
    expect(() => target.loadStateDict(broken)).toThrow(
      /missing layers.4.running_var; unexpected layers.9.weight; mis-shaped layers.6.bias \(expected \[2\], got \[3\]\)/,
    );
    // A failed load changes nothing.
    expect(Array.from(target.stateDict().get('layers.0.weight')!.dataSync())).toEqual(before);
    source.dispose();
    target.dispose();
  });

  it('rejects bad options and inputs, naming them', () => {
    expect(() => new MSNProjectionHead({ inputDim: 0 })).toThrow(InvalidArgumentError);
    expect(() => new MSNProjectionHead({ inputDim: 8, hiddenDim: 2.5 })).toThrow(
      /MSNProjectionHead: invalid argument 'hiddenDim' = 2.5; expected an integer >= 1/,
    );
    expect(() => new MSNProjectionHead({ inputDim: 8, batchNormMomentum: 2 })).toThrow(/'batchNormMomentum' = 2/);
    expect(() => new MSNProjectionHead({ inputDim: 8, outputdim: 3 } as never)).toThrow(/'outputdim'/);
    const head = new MSNProjectionHead({ inputDim: 4, hiddenDim: 4, outputDim: 2, seed: 0 });
    const wrongWidth = tf.zeros([3, 5]) as tf.Tensor2D;
    expect(() => head.forward(wrongWidth)).toThrow(ShapeError);
    expect(() => head.forward(wrongWidth)).toThrow(/'x' must be \[B ≥ 1, 4\], got shape \[3,5\]/);
    const single = tf.zeros([1, 4]) as tf.Tensor2D;
    expect(() => head.forward(single, { training: true })).toThrow(/more than 1 sample per feature, got 1/);
    tf.dispose(head.forward(single, { training: false }));
    tf.dispose([wrongWidth, single]);
    head.dispose();
  });
});
