import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@msn/errors';
import { AdamW, decayEverything, decayMatricesOnly } from './adamw';

interface ReferenceState {
  value: number[];
  expAvg: number[];
  expAvgSq: number[];
  step: number;
}

/** torch.optim.AdamW's single-tensor update in float64, written out from its documented algorithm. */
function referenceStep(state: ReferenceState, gradient: number[], hyper: { lr: number; wd: number; decay: boolean }): void {
  const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
  state.step += 1;
  const biasCorrection1 = 1 - beta1 ** state.step;
  const biasCorrection2 = 1 - beta2 ** state.step;
  for (let index = 0; index < state.value.length; index++) {
    if (hyper.decay) state.value[index]! *= 1 - hyper.lr * hyper.wd;
    const g = gradient[index]!;
    state.expAvg[index] = beta1 * state.expAvg[index]! + (1 - beta1) * g;
    state.expAvgSq[index] = beta2 * state.expAvgSq[index]! + (1 - beta2) * g * g;
    const denominator = Math.sqrt(state.expAvgSq[index]!) / Math.sqrt(biasCorrection2) + epsilon;
    state.value[index]! -= (hyper.lr / biasCorrection1) * (state.expAvg[index]! / denominator);
  }
}

// float32-exact inputs, so both sides start from identical values.
const f32 = (values: number[]) => Array.from(new Float32Array(values));

describeEachBackend(embeddedBackends(), 'AdamW', () => {
  it('takes a first step of lr·g/(|g| + ε) after decoupled decay (closed form)', () => {
    const weight = tf.variable(tf.tensor2d(f32([0.5, -1.25, 2, 0.75]), [2, 2]));
    const optimizer = new AdamW({ weight }, { learningRate: 0.1, weightDecay: 0.5 });
    const gradient = tf.tensor2d(f32([0.3, -0.02, 4, 0]), [2, 2]);
    optimizer.step({ weight: gradient });
    // m̂ = g and v̂ = g² after one step, so the update is lr·g/(|g| + ε); a zero gradient moves nothing.
    const expected = [0.5, -1.25, 2, 0.75].map((value, index) => {
      const g = f32([0.3, -0.02, 4, 0])[index]!;
      return value * (1 - 0.1 * 0.5) - (0.1 * g) / (Math.abs(g) + 1e-8);
    });
    expectClose(weight, expected, { label: 'first AdamW step', tolerance: FIXTURE_TOLERANCE });
    expect(optimizer.stepCount('weight')).toBe(1);
    optimizer.dispose();
    tf.dispose([weight, gradient]);
  });

  it('matches a float64 reference over steps with changing lr/wd, skipped parameters and a decay filter', () => {
    const initial = { weight: f32([0.2, -0.4, 0.6, 1.1, -0.3, 0.05]), bias: f32([0.1, -0.2]), scale: f32([1, 0.5]) };
    const weight = tf.variable(tf.tensor2d(initial.weight, [2, 3]));
    const bias = tf.variable(tf.tensor1d(initial.bias));
    const scale = tf.variable(tf.tensor1d(initial.scale));
    const optimizer = new AdamW({ 'layer.weight': weight, 'layer.bias': bias, 'norm.scale': scale }, { weightDecay: 0.1 });
    expect([optimizer.decays('layer.weight'), optimizer.decays('layer.bias'), optimizer.decays('norm.scale')]).toEqual([true, false, false]);

    const reference: Record<string, ReferenceState> = Object.fromEntries(
      Object.entries({ 'layer.weight': initial.weight, 'layer.bias': initial.bias, 'norm.scale': initial.scale }).map(([name, value]) => [
        name,
        { value: [...value], expAvg: value.map(() => 0), expAvgSq: value.map(() => 0), step: 0 },
      ]),
    );
    const schedule = [
      { lr: 0.01, wd: 0.1, gradients: { 'layer.weight': [0.5, -0.1, 0.02, 0.3, -0.7, 0.9], 'layer.bias': [0.2, -0.05], 'norm.scale': [0.01, 0.3] } },
      // norm.scale receives no gradient: no decay, no moment update, no step count.
      { lr: 0.02, wd: 0.2, gradients: { 'layer.weight': [-0.25, 0.4, 0.1, -0.3, 0.05, 0.6], 'layer.bias': [-0.1, 0.15], 'norm.scale': null } },
      { lr: 0.005, wd: 0.05, gradients: { 'layer.weight': [0.1, 0.1, -0.2, 0.2, 0.3, -0.4], 'layer.bias': [0.3, 0.3], 'norm.scale': [-0.2, 0.1] } },
    ];
    for (const { lr, wd, gradients } of schedule) {
      optimizer.learningRate = lr;
      optimizer.weightDecay = wd;
      const tensors = Object.fromEntries(
        Object.entries(gradients).map(([name, values]) => [
          name,
          values === null ? null : tf.tensor(f32(values), reference[name]!.value.length === 6 ? [2, 3] : [2]),
        ]),
      );
      optimizer.step(tensors);
      tf.dispose(Object.values(tensors).filter((tensor): tensor is tf.Tensor => tensor !== null));
      for (const [name, values] of Object.entries(gradients)) {
        if (values !== null) referenceStep(reference[name]!, f32(values), { lr, wd, decay: name === 'layer.weight' });
      }
    }
    expectClose(weight, reference['layer.weight']!.value, { label: 'weight after 3 steps', tolerance: FIXTURE_TOLERANCE });
    expectClose(bias, reference['layer.bias']!.value, { label: 'bias after 3 steps', tolerance: FIXTURE_TOLERANCE });
    expectClose(scale, reference['norm.scale']!.value, { label: 'scale after 2 of 3 steps', tolerance: FIXTURE_TOLERANCE });
    expect(optimizer.stepCount('norm.scale')).toBe(2);
    expect(optimizer.stepCount('layer.weight')).toBe(3);
    optimizer.dispose();
    tf.dispose([weight, bias, scale]);
  });

  it("decays every parameter with decayEverything (the step fixtures' single group)", () => {
    const bias = tf.variable(tf.tensor1d([2, -2]));
    const optimizer = new AdamW({ bias }, { learningRate: 0.1, weightDecay: 1, weightDecayFilter: decayEverything });
    const gradient = tf.zeros([2]);
    optimizer.step({ bias: gradient });
    // A zero gradient leaves only the decay: p·(1 − lr·wd).
    expectClose(bias, [1.8, -1.8], { label: 'decayed bias', tolerance: FIXTURE_TOLERANCE });
    optimizer.dispose();
    tf.dispose([bias, gradient]);
  });

  it('round-trips its state: a restored optimiser continues exactly like the original', async () => {
    const make = () =>
      tf.variable(
        tf.tensor2d([
          [0.3, -0.6],
          [0.9, 0.1],
        ]),
      );
    const [first, second] = [make(), make()];
    const original = new AdamW({ w: first }, { learningRate: 0.05, weightDecay: 0.3 });
    const gradients = [
      tf.tensor2d([
        [0.1, -0.2],
        [0.3, 0.05],
      ]),
      tf.tensor2d([
        [-0.4, 0.2],
        [0.1, 0.6],
      ]),
    ];
    original.step({ w: gradients[0]! });
    const state = await original.getState();
    expect(Object.keys(state.tensors).sort()).toEqual(['exp_avg.w', 'exp_avg_sq.w']);
    expect(state.values.step).toEqual({ w: 1 });
    second.assign(first);
    const restored = new AdamW({ w: second }, { learningRate: 1, weightDecay: 0 });
    restored.setState(state);
    expect([restored.learningRate, restored.weightDecay]).toEqual([0.05, 0.3]);
    original.step({ w: gradients[1]! });
    restored.step({ w: gradients[1]! });
    expect(Array.from(second.dataSync())).toEqual(Array.from(first.dataSync()));
    original.dispose();
    restored.dispose();
    tf.dispose([first, second, ...gradients]);
  });

  it('does not leak: create, step, export, restore and dispose return to the starting count', async () => {
    const weight = tf.variable(tf.randomNormal([3, 4], 0, 1, 'float32', 1));
    const gradient = tf.randomNormal([3, 4], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    const optimizer = new AdamW({ weight });
    await expectNoLeakedTensors(() => optimizer.step({ weight: gradient }), 4);
    const state = await optimizer.getState();
    await expectNoLeakedTensors(() => optimizer.setState(state));
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([weight, gradient]);
  });
});

describe('AdamW validation', () => {
  it('rejects bad hyper-parameters, unknown options and names', () => {
    const weight = tf.variable(tf.zeros([2, 2]));
    expect(() => new AdamW({ weight }, { beta1: 1 })).toThrow(/AdamW: invalid argument 'beta1' = 1; expected a number in \[0, 1\)/);
    expect(() => new AdamW({ weight }, { learningRate: -1 })).toThrow(/'learningRate' = -1/);
    expect(() => new AdamW({ weight }, { lr: 1 } as never)).toThrow(/'lr' = 1; expected no such option/);
    expect(() => new AdamW({})).toThrow(/'parameters'.*at least one named tf.Variable/);
    const optimizer = new AdamW({ weight });
    const wrongShape = tf.zeros([3]);
    expect(() => optimizer.step({ weight: wrongShape })).toThrow(ShapeError);
    expect(() => optimizer.step({ weight: wrongShape })).toThrow(/gradient 'weight' has shape \[3\] but the parameter has \[2,2\]/);
    expect(() => optimizer.step({ other: wrongShape })).toThrow(InvalidArgumentError);
    expect(() => optimizer.setState({ values: { kind: 'Adam' }, tensors: {} })).toThrow(/'state.values.kind' = "Adam"/);
    optimizer.dispose();
    expect(() => optimizer.step({})).toThrow(/disposed/);
    tf.dispose([weight, wrongShape]);
  });

  it('exempts biases and 1-D parameters by default', () => {
    const matrix = tf.variable(tf.zeros([2, 2]));
    const vector = tf.variable(tf.zeros([2]));
    expect(decayMatricesOnly('encoder.mlp.0.weight', matrix)).toBe(true);
    expect(decayMatricesOnly('encoder.mlp.0.bias', matrix)).toBe(false);
    expect(decayMatricesOnly('ln.weight', vector)).toBe(false);
    expect(decayMatricesOnly('prototypes', matrix)).toBe(true);
    tf.dispose([matrix, vector]);
  });
});
