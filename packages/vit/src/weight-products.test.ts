// The layer products give the same values whether the backend is declared transpose-free (flagged) or not.
import * as tf from '@tensorflow/tfjs-core';
import { FIXTURE_TOLERANCE, describeEachBackend, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { afterEach, expect, it } from 'vitest';
import { declareTransposeFreeMatMul, isTransposeFreeMatMul } from './transpose-free-mat-mul';
import { timesTransposedWeight, weightGradients } from './weight-products';

// cpu only: the stock wasm kernels are not transpose-free, and their _FusedMatMul adds the bias wrongly to flagged
// products (tfjs-backend-wasm 4.22), which is why flags are used only on a backend declared transpose-free.
// @msn/trainer tests these layers on wasm with its BLAS kernels (the step fixtures).
describeEachBackend(['cpu'], 'weight products, flagged or transposed', (backend) => {
  afterEach(() => declareTransposeFreeMatMul(backend, false));

  const x = () => tf.randomNormal([37, 24], 0, 1, 'float32', 1) as tf.Tensor2D;
  const weight = () => tf.randomNormal([19, 24], 0, 1, 'float32', 2) as tf.Tensor2D;
  const bias = () => tf.randomNormal([19], 0, 1, 'float32', 3) as tf.Tensor1D;
  const dy = () => tf.randomNormal([37, 19], 0, 1, 'float32', 4) as tf.Tensor2D;

  // Runs `compute` undeclared and declared transpose-free and compares every returned tensor.
  function bothWays(label: string, compute: () => tf.Tensor[]): void {
    const plain = tf.tidy(compute);
    declareTransposeFreeMatMul(backend, true);
    expect(isTransposeFreeMatMul()).toBe(true);
    const flagged = tf.tidy(compute);
    declareTransposeFreeMatMul(backend, false);
    expect(flagged.map((tensor) => tensor.shape)).toEqual(plain.map((tensor) => tensor.shape));
    flagged.forEach((tensor, index) => expectClose(tensor, plain[index]!, { label: `${label} #${index}`, tolerance: FIXTURE_TOLERANCE }));
    tf.dispose([...plain, ...flagged]);
  }

  it('x·Wᵀ with and without bias', () => {
    bothWays('x·Wᵀ + b', () => [timesTransposedWeight(x(), weight(), bias()), timesTransposedWeight(x(), weight())]);
  });

  it('weight and bias gradients (bias = Σ_rows dy, checked against tf.sum too)', () => {
    bothWays('gradients', () => {
      const { weight: weightGradient, bias: biasGradient } = weightGradients(dy(), x(), true);
      return [weightGradient, biasGradient!, weightGradients(dy(), x(), false).weight];
    });
    declareTransposeFreeMatMul(backend, true);
    const { bias: biasGradient } = weightGradients(dy(), x(), true);
    expectClose(biasGradient!, tf.sum(dy(), 0), { label: 'bias gradient', tolerance: FIXTURE_TOLERANCE });
    expect(weightGradients(dy(), x(), false).bias).toBeUndefined();
  });

  it('leaks no tensors when transpose-free', async () => {
    declareTransposeFreeMatMul(backend, true);
    const [input, w, b, gradient] = [x(), weight(), bias(), dy()];
    await expectNoLeakedTensors(() => {
      const { weight: weightGradient, bias: biasGradient } = weightGradients(gradient, input, true);
      tf.dispose([timesTransposedWeight(input, w, b), weightGradient, biasGradient!]);
    });
    tf.dispose([input, w, b, gradient]);
  });
});
