// Finite-difference checks of every parameter gradient (ViT through the masked and interpolated paths, and the head).
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, embeddedBackends, expectClose, FIXTURE_TOLERANCE } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { dropPathScales } from './drop-path';
import { encoderBlock, type EncoderBlockWeights } from './encoder-block';
import { MaskedVisionTransformer } from './masked-vision-transformer';
import { MSNProjectionHead } from './msn-projection-head';
import { createRandom } from '@msn/random';

// Central differences in float32: the step balances rounding noise (~1e-7·|loss|/step) against truncation (~step²);
// the head's batch normalisation is more curved, so it uses a smaller step.
const RELATIVE = 2e-2;
const ABSOLUTE_OF_MAX = 2e-3;

interface Mismatch {
  name: string;
  index: number;
  analytic: number;
  numeric: number;
}

/**
 * Compares tf.variableGrads with central differences on a few elements of every variable (the largest-gradient
 * element plus random ones). Returns the analytic gradients' L2 norms by name and every mismatch.
 */
function checkGradients(loss: () => tf.Scalar, variables: Map<string, tf.Variable>, options: { samplesPerTensor: number; seed: number; step: number }) {
  const { samplesPerTensor, seed, step } = options;
  const { value, grads } = tf.variableGrads(loss, [...variables.values()]);
  value.dispose();
  const analytic = new Map<string, Float32Array>();
  for (const [name, variable] of variables) analytic.set(name, grads[variable.name]!.dataSync() as Float32Array);
  tf.dispose(Object.values(grads));
  let largest = 0;
  for (const values of analytic.values()) for (const entry of values) largest = Math.max(largest, Math.abs(entry));
  const random = createRandom(seed);
  const mismatches: Mismatch[] = [];
  const norms = new Map<string, number>();
  const evaluate = () => tf.tidy(() => loss().dataSync()[0]!);
  for (const [name, variable] of variables) {
    const gradient = analytic.get(name)!;
    norms.set(name, Math.hypot(...gradient));
    const original = variable.dataSync().slice() as Float32Array;
    let argmax = 0;
    for (let index = 1; index < gradient.length; index++) if (Math.abs(gradient[index]!) > Math.abs(gradient[argmax]!)) argmax = index;
    const indices = new Set([argmax]);
    while (indices.size < Math.min(samplesPerTensor, gradient.length)) indices.add(random.nextInt(gradient.length));
    for (const index of indices) {
      const perturbed = original.slice();
      perturbed[index] = original[index]! + step;
      tf.tidy(() => variable.assign(tf.tensor(perturbed, variable.shape)));
      const plus = evaluate();
      perturbed[index] = original[index]! - step;
      tf.tidy(() => variable.assign(tf.tensor(perturbed, variable.shape)));
      const minus = evaluate();
      tf.tidy(() => variable.assign(tf.tensor(original, variable.shape)));
      const numeric = (plus - minus) / (2 * step);
      const allowed = RELATIVE * Math.abs(gradient[index]!) + ABSOLUTE_OF_MAX * largest;
      if (!(Math.abs(numeric - gradient[index]!) <= allowed)) mismatches.push({ name, index, analytic: gradient[index]!, numeric });
    }
  }
  return { norms, mismatches };
}

/** An encoder block's weights and an input of `batch · sequence` tokens, all variables drawn from one seeded stream. */
function randomBlock(sizes: { batchSize: number; sequenceLength: number; hiddenDim: number; mlpDim: number }, seed: number) {
  const { batchSize, sequenceLength, hiddenDim, mlpDim } = sizes;
  const random = createRandom(seed);
  const variable = (shape: number[], std: number, offset = 0) =>
    tf.variable(
      tf.add(
        tf.mul(
          tf.tensor(
            Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.nextNormal()),
            shape,
          ),
          std,
        ),
        offset,
      ),
    );
  const named = new Map<string, tf.Variable>([
    ['input', variable([batchSize * sequenceLength, hiddenDim], 1)],
    ['ln1Weight', variable([hiddenDim], 0.2, 1)],
    ['ln1Bias', variable([hiddenDim], 0.2)],
    ['inProjWeight', variable([3 * hiddenDim, hiddenDim], 0.4)],
    ['inProjBias', variable([3 * hiddenDim], 0.2)],
    ['outProjWeight', variable([hiddenDim, hiddenDim], 0.4)],
    ['outProjBias', variable([hiddenDim], 0.2)],
    ['ln2Weight', variable([hiddenDim], 0.2, 1)],
    ['ln2Bias', variable([hiddenDim], 0.2)],
    ['mlp0Weight', variable([mlpDim, hiddenDim], 0.4)],
    ['mlp0Bias', variable([mlpDim], 0.2)],
    ['mlp3Weight', variable([hiddenDim, mlpDim], 0.4)],
    ['mlp3Bias', variable([hiddenDim], 0.2)],
  ]);
  const weights = Object.fromEntries([...named].filter(([name]) => name !== 'input')) as unknown as EncoderBlockWeights;
  return { named, weights };
}

describeEachBackend(embeddedBackends(), 'gradients', () => {
  it('reach every ViT parameter through the masked and the interpolated path and match finite differences', () => {
    const vit = new MaskedVisionTransformer({
      config: { imageSize: 12, patchSize: 4, numLayers: 2, numHeads: 2, hiddenDim: 8, mlpDim: 16, positionEmbedding: 'learned', initialization: 'msn' },
      seed: 11,
    });
    // Larger than the MSN init so the signal dominates float32 noise.
    for (const variable of vit.trainableVariables())
      tf.tidy(() => variable.assign(tf.mul(variable, variable.name.includes('ln_') || variable.name.includes('.ln.') ? 1 : 10)));
    const images = tf.randomNormal([2, 3, 12, 12], 0, 1, 'float32', 12) as tf.Tensor4D;
    const focal = tf.randomNormal([2, 3, 8, 8], 0, 1, 'float32', 13) as tf.Tensor4D;
    const idxKeep = tf.tensor2d(
      [
        [0, 7, 2, 9, 4],
        [0, 1, 8, 5, 3],
      ],
      [2, 5],
      'int32',
    );
    const weights = tf.randomNormal([2, 8], 0, 1, 'float32', 14);
    const loss = () =>
      tf.tidy(() => {
        const masked = vit.forward(images, { idxKeep, training: true });
        const focalOut = vit.forward(focal, { training: true });
        return tf.add(tf.sum(tf.mul(tf.tanh(masked), weights)), tf.sum(tf.mul(tf.tanh(focalOut), weights))) as tf.Scalar;
      });
    const trainable = new Map([...vit.namedVariables()].filter(([, variable]) => variable.trainable));
    expect(trainable.size).toBe(vit.namedVariables().size); // learned table: everything trains
    const { norms, mismatches } = checkGradients(loss, trainable, { samplesPerTensor: 4, seed: 15, step: 1e-2 });
    expect(mismatches).toEqual([]);
    for (const [name, norm] of norms) expect(norm, `gradient of ${name}`).toBeGreaterThan(0);
    tf.dispose([images, focal, idxKeep, weights]);
    vit.dispose();
  });

  it('leave a sin-cos position table untrained', () => {
    const vit = new MaskedVisionTransformer({ config: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 1, hiddenDim: 8, mlpDim: 8 }, seed: 1 });
    const table = vit.namedVariables().get('encoder.pos_embedding')!;
    expect(table.trainable).toBe(false);
    expect(vit.trainableVariables()).not.toContain(table);
    expect(vit.trainableVariables().length).toBe(vit.namedVariables().size - 1);
    vit.dispose();
  });

  it('match finite differences for every head parameter in training mode (batch statistics)', () => {
    const head = new MSNProjectionHead({ inputDim: 4, hiddenDim: 6, outputDim: 3, seed: 21 });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 22) as tf.Tensor2D;
    const weights = tf.randomNormal([5, 3], 0, 1, 'float32', 23);
    const loss = () => tf.tidy(() => tf.sum(tf.mul(tf.tanh(head.forward(x, { training: true })), weights)) as tf.Scalar);
    const trainable = new Map([...head.namedVariables()].filter(([, variable]) => variable.trainable));
    const { norms, mismatches } = checkGradients(loss, trainable, { samplesPerTensor: 6, seed: 24, step: 1e-3 });
    expect(mismatches).toEqual([]);
    for (const [name, norm] of norms) expect(norm, `gradient of ${name}`).toBeGreaterThan(0);
    tf.dispose([x, weights]);
    head.dispose();
  });
});

describeEachBackend(embeddedBackends(), 'dropPath', () => {
  it('drops whole samples with the given rate and scales survivors by 1/(1 − rate), reproducibly', () => {
    const batchSize = 4000;
    const rate = 0.25;
    const scales = dropPathScales(batchSize, rate, createRandom(5))!;
    const dropped = scales.filter((scale) => scale === 0).length;
    for (const scale of scales) expect(scale === 0 || Math.abs(scale - 1 / (1 - rate)) < 1e-6).toBe(true);
    // Binomial(4000, 0.25): mean 1000, σ ≈ 27; ±5σ.
    expect(Math.abs(dropped - 1000)).toBeLessThan(137);
    expect(Array.from(dropPathScales(batchSize, rate, createRandom(5))!)).toEqual(Array.from(scales));
    expect(dropPathScales(batchSize, 0, createRandom(5))).toBeUndefined();
    expect(dropPathScales(batchSize, rate, undefined)).toBeUndefined();
  });

  for (const firstTokenOnly of [false, true]) {
    it(`back-propagates through dropped paths: finite differences of one block with fixed drop decisions${firstTokenOnly ? ' (first token only)' : ''}`, () => {
      const [batchSize, sequenceLength, hiddenDim, mlpDim] = [4, 3, 8, 12];
      const { named, weights } = randomBlock({ batchSize, sequenceLength, hiddenDim, mlpDim }, 31);
      const target = tf.randomNormal([batchSize * (firstTokenOnly ? 1 : sequenceLength), hiddenDim], 0, 1, 'float32', 32);
      // A fresh stream per evaluation: every evaluation drops the same samples (rate 0.5 drops some, keeps some).
      const scales = dropPathScales(batchSize, 0.5, createRandom(33))!;
      expect(scales.some((scale) => scale === 0) && scales.some((scale) => scale > 0)).toBe(true);
      const loss = () =>
        tf.tidy(() => {
          const output = encoderBlock(named.get('input') as tf.Tensor as tf.Tensor2D, weights, {
            batchSize,
            numHeads: 2,
            layerNormEps: 1e-6,
            dropPathRate: 0.5,
            random: createRandom(33),
            firstTokenOnly,
          });
          return tf.sum(tf.mul(tf.tanh(output), target)) as tf.Scalar;
        });
      const { norms, mismatches } = checkGradients(loss, named, { samplesPerTensor: 6, seed: 34, step: 1e-3 });
      expect(mismatches).toEqual([]);
      for (const [name, norm] of norms) expect(norm, `gradient of ${name}`).toBeGreaterThan(0);
      tf.dispose([...named.values(), target]);
    });
  }

  it('gives the first rows of the full block and their gradients when computing the first token only', () => {
    const [batchSize, sequenceLength, hiddenDim, mlpDim] = [3, 5, 8, 12];
    const { named, weights } = randomBlock({ batchSize, sequenceLength, hiddenDim, mlpDim }, 41);
    const target = tf.randomNormal([batchSize, hiddenDim], 0, 1, 'float32', 42);
    const run = (firstTokenOnly: boolean) =>
      tf.variableGrads(() => {
        const output = encoderBlock(named.get('input') as tf.Tensor as tf.Tensor2D, weights, {
          batchSize,
          numHeads: 2,
          layerNormEps: 1e-6,
          dropPathRate: 0.5,
          random: createRandom(43),
          firstTokenOnly,
        });
        const first = firstTokenOnly
          ? output
          : tf.reshape(tf.slice(tf.reshape(output, [batchSize, sequenceLength, hiddenDim]), [0, 0, 0], [batchSize, 1, hiddenDim]), [batchSize, hiddenDim]);
        return tf.sum(tf.mul(tf.tanh(first), target)) as tf.Scalar;
      }, [...named.values()]);
    const full = run(false);
    const firstOnly = run(true);
    expectClose(firstOnly.value, full.value, { label: 'loss', tolerance: FIXTURE_TOLERANCE });
    for (const [name, variable] of named) {
      expectClose(firstOnly.grads[variable.name]!, full.grads[variable.name]!, { label: `gradient of ${name}`, tolerance: FIXTURE_TOLERANCE });
    }
    tf.dispose([...named.values(), target, full.value, firstOnly.value, ...Object.values(full.grads), ...Object.values(firstOnly.grads)]);
  });

  it('makes training forwards stochastic and leaves evaluation deterministic', () => {
    const vit = new MaskedVisionTransformer({
      config: { imageSize: 8, patchSize: 4, numLayers: 3, numHeads: 1, hiddenDim: 8, mlpDim: 8, dropPathRate: 0.5 },
      seed: 2,
    });
    const images = tf.randomNormal([4, 3, 8, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
    const evalA = vit.forward(images);
    const evalB = vit.forward(images, { training: false });
    expect(Array.from(evalB.dataSync())).toEqual(Array.from(evalA.dataSync()));
    const outputs = Array.from({ length: 4 }, () => vit.forward(images, { training: true }));
    const distinct = new Set(outputs.map((output) => Array.from(output.dataSync()).join(',')));
    expect(distinct.size).toBeGreaterThan(1);
    tf.dispose([images, evalA, evalB, ...outputs]);
    vit.dispose();
  });
});
