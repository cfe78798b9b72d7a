// @file WGSL for NORMALIZE_ROWS_KERNEL on tfjs-backend-webgpu: one workgroup per row, reductions in shared memory.

// Why: the op chain (mean, sub, square, mean, add, rsqrt, mul) is seven dispatches and six [R, D] or [R, 1]
// temporaries per LayerNorm; this is two dispatches (the normalised rows, and the inverse standard deviations).
// Modelled on tfjs-backend-webgpu's own SoftmaxProgram, whose interface (WebGPUProgram) this implements.

import { FLAT_WORKGROUP_INDEX, flatDispatch, type WebGPUProgramShape } from './webgpu-program';

const WORKGROUP_SIZE = 64;

/**
 * Normalises each row of `x` `[R, D]`: output `'normalized'` writes (x − μ)·r for every element, output
 * `'inverseStd'` writes r = 1/√(σ² + eps) as `[R, 1]` (σ² biased, two-pass: mean first, then squared deviations).
 */
export function normalizeRowsProgram(inputShape: readonly [number, number], output: 'normalized' | 'inverseStd'): WebGPUProgramShape {
  const [rows, columns] = inputShape;
  const write =
    output === 'normalized'
      ? `for (var col = tid; col < cols; col += blockSize) { setOutputAtCoords(row, col, (getX(row, col) - mean) * inverseStd); }`
      : `if (tid == 0) { setOutputAtCoords(row, 0, inverseStd); }`;
  return {
    variableNames: ['x'],
    outputShape: output === 'normalized' ? [rows, columns] : [rows, 1],
    shaderKey: `msnNormalizeRows_${output}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: flatDispatch(rows),
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    uniforms: 'epsilon : f32,',
    getUserCode: () => `
    var<workgroup> partial : array<f32, ${WORKGROUP_SIZE}>;
    const blockSize = ${WORKGROUP_SIZE};

    // Sum of partial[0..blockSize) into partial[0] (blockSize is a power of two).
    fn reducePartial(tid : i32) {
      for (var size = blockSize >> 1; size > 0; size = size >> 1) {
        if (tid < size) { partial[tid] = partial[tid] + partial[tid + size]; }
        workgroupBarrier();
      }
    }

    fn main(index : i32) {
      let rows = uniforms.xShape[0];
      let cols = uniforms.xShape[1];
      // Workgroups past the last row (a partly used second dimension) recompute it and write nothing.
      let workgroup = ${FLAT_WORKGROUP_INDEX};
      let row = min(workgroup, rows - 1);
      let tid = i32(localId.x);

      var sum = 0.0;
      for (var col = tid; col < cols; col += blockSize) { sum += getX(row, col); }
      partial[tid] = sum;
      workgroupBarrier();
      reducePartial(tid);
      let mean = partial[0] / f32(cols);
      workgroupBarrier();

      var squares = 0.0;
      for (var col = tid; col < cols; col += blockSize) {
        let deviation = getX(row, col) - mean;
        squares += deviation * deviation;
      }
      partial[tid] = squares;
      workgroupBarrier();
      reducePartial(tid);
      let inverseStd = inverseSqrt(partial[0] / f32(cols) + uniforms.epsilon);

      if (workgroup < rows) {
        ${write}
      }
    }
    `,
  };
}
