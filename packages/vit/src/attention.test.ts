// Both attention implementations (WebAssembly kernels, tfjs ops) against a float64 loop reference, on every backend.
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors, FIXTURE_TOLERANCE } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { attentionBackward, attentionForward, type AttentionImplementation, type AttentionSizes } from './attention';
import { setKernelMemoryBudget, simdKernelsAvailable } from './simd-kernels';
import { createRandom } from '@msn/random';

// Sizes whose rows (L) and columns (L, dh) are not multiples of the kernels' 4×8 tiles, a single head and sample,
// and queries restricted to the class token (M = 1) or the first rows.
const CASES: AttentionSizes[] = [
  { batchSize: 2, sequenceLength: 7, numHeads: 3, headDim: 5 },
  { batchSize: 3, sequenceLength: 9, numHeads: 2, headDim: 8 },
  { batchSize: 1, sequenceLength: 17, numHeads: 1, headDim: 12 },
  { batchSize: 3, sequenceLength: 6, numHeads: 2, headDim: 4, queryLength: 1 },
  { batchSize: 2, sequenceLength: 10, numHeads: 3, headDim: 6, queryLength: 5 },
];

function randomValues(count: number, seed: number, scale: number): Float64Array {
  const random = createRandom(seed);
  return Float64Array.from({ length: count }, () => random.nextNormal() * scale);
}

// Textbook multi-head attention in float64 on [B·L, 3D] rows (queries: the first M rows of each sample), and its
// gradient by the chain rule.
function reference(projections: Float64Array, contextGradient: Float64Array, sizes: AttentionSizes, scale: number) {
  const { batchSize: B, sequenceLength: L, numHeads: H, headDim: dh } = sizes;
  const M = sizes.queryLength ?? L;
  const D = H * dh;
  const at = (b: number, i: number, part: number, h: number, d: number) => (b * L + i) * 3 * D + part * D + h * dh + d;
  const probabilities = new Float64Array(B * H * M * L);
  const context = new Float64Array(B * M * D);
  const gradient = new Float64Array(B * L * 3 * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const p = (i: number, j: number) => ((b * H + h) * M + i) * L + j;
      for (let i = 0; i < M; i++) {
        let max = -Infinity;
        const scores = new Float64Array(L);
        for (let j = 0; j < L; j++) {
          let dot = 0;
          for (let d = 0; d < dh; d++) dot += projections[at(b, i, 0, h, d)]! * projections[at(b, j, 1, h, d)]!;
          scores[j] = dot * scale;
          max = Math.max(max, scores[j]!);
        }
        let total = 0;
        for (let j = 0; j < L; j++) total += Math.exp(scores[j]! - max);
        for (let j = 0; j < L; j++) probabilities[p(i, j)] = Math.exp(scores[j]! - max) / total;
        for (let d = 0; d < dh; d++) {
          let sum = 0;
          for (let j = 0; j < L; j++) sum += probabilities[p(i, j)]! * projections[at(b, j, 2, h, d)]!;
          context[(b * M + i) * D + h * dh + d] = sum;
        }
      }
      for (let i = 0; i < M; i++) {
        const dP = new Float64Array(L);
        let weighted = 0;
        for (let j = 0; j < L; j++) {
          for (let d = 0; d < dh; d++) dP[j]! += contextGradient[(b * M + i) * D + h * dh + d]! * projections[at(b, j, 2, h, d)]!;
          weighted += dP[j]! * probabilities[p(i, j)]!;
        }
        for (let j = 0; j < L; j++) {
          const dS = probabilities[p(i, j)]! * (dP[j]! - weighted) * scale;
          for (let d = 0; d < dh; d++) {
            gradient[at(b, i, 0, h, d)]! += dS * projections[at(b, j, 1, h, d)]!;
            gradient[at(b, j, 1, h, d)]! += dS * projections[at(b, i, 0, h, d)]!;
            gradient[at(b, j, 2, h, d)]! += probabilities[p(i, j)]! * contextGradient[(b * M + i) * D + h * dh + d]!;
          }
        }
      }
    }
  }
  return { probabilities, context, gradient };
}

function inputs(sizes: AttentionSizes, seed: number) {
  const rows = sizes.batchSize * sizes.sequenceLength;
  const queryRows = sizes.batchSize * (sizes.queryLength ?? sizes.sequenceLength);
  const hiddenDim = sizes.numHeads * sizes.headDim;
  return {
    projections: randomValues(rows * 3 * hiddenDim, seed, 1),
    contextGradient: randomValues(queryRows * hiddenDim, seed + 1, 1),
    scale: 1 / Math.sqrt(sizes.headDim),
  };
}

describeEachBackend(embeddedBackends(), 'attention', (backend) => {
  it('has the WebAssembly kernels on this backend (Node ships WebAssembly SIMD)', () => {
    expect(simdKernelsAvailable()).toBe(true);
    expect(backend === 'cpu' || backend === 'wasm').toBe(true);
  });

  const RUNS: { implementation: AttentionImplementation; budget?: number }[] = [
    { implementation: 'kernels' },
    // ~2 samples per chunk: the chunked path (3 samples → chunks of 2 and 1).
    { implementation: 'kernels', budget: 2000 },
    { implementation: 'tfjs' },
  ];
  for (const { implementation, budget } of RUNS) {
    const title = budget === undefined ? implementation : `${implementation} in chunks of samples`;
    for (const [index, sizes] of CASES.entries()) {
      it(`${title}: probabilities, context and gradient match float64 attention (case ${index})`, () => {
        const previousBudget = budget === undefined ? undefined : setKernelMemoryBudget(budget);
        const { projections, contextGradient, scale } = inputs(sizes, 10 * index);
        const want = reference(projections, contextGradient, sizes, scale);
        const rows = sizes.batchSize * sizes.sequenceLength;
        const queries = sizes.queryLength ?? sizes.sequenceLength;
        const queryRows = sizes.batchSize * queries;
        const hiddenDim = sizes.numHeads * sizes.headDim;
        tf.tidy(() => {
          const projectionTensor = tf.tensor2d(Float32Array.from(projections), [rows, 3 * hiddenDim]);
          const { probabilities, context } = attentionForward(projectionTensor, sizes, scale, implementation);
          const gradient = attentionBackward(
            tf.tensor2d(Float32Array.from(contextGradient), [queryRows, hiddenDim]),
            probabilities,
            projectionTensor,
            sizes,
            scale,
            implementation,
          );
          const label = `${implementation} case ${index}`;
          expect(probabilities.shape).toEqual([sizes.batchSize * sizes.numHeads, queries, sizes.sequenceLength]);
          expectClose(probabilities.dataSync(), want.probabilities, { label: `${label} probabilities`, tolerance: FIXTURE_TOLERANCE });
          expectClose(context, tf.tensor2d(Float32Array.from(want.context), [queryRows, hiddenDim]), {
            label: `${label} context`,
            tolerance: FIXTURE_TOLERANCE,
          });
          expectClose(gradient, tf.tensor2d(Float32Array.from(want.gradient), [rows, 3 * hiddenDim]), {
            label: `${label} gradient`,
            tolerance: FIXTURE_TOLERANCE,
          });
        });
        if (previousBudget !== undefined) setKernelMemoryBudget(previousBudget);
      });
    }

    it(`${title}: leaks no tensors`, async () => {
      const previousBudget = budget === undefined ? undefined : setKernelMemoryBudget(budget);
      const sizes = CASES[0]!;
      const { projections, contextGradient, scale } = inputs(sizes, 3);
      const rows = sizes.batchSize * sizes.sequenceLength;
      const hiddenDim = sizes.numHeads * sizes.headDim;
      const projectionTensor = tf.tensor2d(Float32Array.from(projections), [rows, 3 * hiddenDim]);
      const gradientTensor = tf.tensor2d(Float32Array.from(contextGradient), [rows, hiddenDim]);
      await expectNoLeakedTensors(() => {
        const { probabilities, context } = attentionForward(projectionTensor, sizes, scale, implementation);
        const gradient = attentionBackward(gradientTensor, probabilities, projectionTensor, sizes, scale, implementation);
        tf.dispose([probabilities, context, gradient]);
      });
      tf.dispose([projectionTensor, gradientTensor]);
      if (previousBudget !== undefined) setKernelMemoryBudget(previousBudget);
    });
  }
});
