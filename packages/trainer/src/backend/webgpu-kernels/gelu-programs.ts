// @file WGSL for GELU_KERNEL and GELU_BACKWARD_KERNEL: exact (erf) GELU and its input gradient, one dispatch each.

// Why: the op chain is five dispatches forward (mul, erf, add, mul, mul) and about ten backward, each writing a
// temporary as wide as the MLP; these read x (and dy) once and write one result.
import * as tf from '@tensorflow/tfjs-core';
import { flatDispatch, type WebGPUProgramShape } from './webgpu-program';

const WORKGROUP_SIZE = 64;

// Φ(x) with erf from Abramowitz and Stegun 7.1.26, the approximation (and constants) of tfjs' own erf kernels, so the
// fused kernels match the op chain they replace.
const NORMAL_CDF = `
  fn normalCdf(x : f32) -> f32 {
    let a = x * ${Math.SQRT1_2};
    let absA = abs(a);
    let t = 1.0 / (1.0 + ${tf.backend_util.ERF_P} * absA);
    let poly = ((((${tf.backend_util.ERF_A5} * t + ${tf.backend_util.ERF_A4}) * t + ${tf.backend_util.ERF_A3}) * t + ${tf.backend_util.ERF_A2}) * t + ${tf.backend_util.ERF_A1}) * t;
    let erfA = sign(a) * (1.0 - poly * exp(-absA * absA));
    return 0.5 * (1.0 + erfA);
  }
`;

/** What a GELU program writes at each element: the activation x·Φ(x), or the input gradient dy·(Φ(x) + x·φ(x)). */
export type GeluOutput = 'activated' | 'inputGradient';

/** An element-wise GELU program over `shape` (inputs `x`, and `dy` for the input gradient). */
export function geluProgram(shape: readonly number[], output: GeluOutput): WebGPUProgramShape {
  const size = shape.reduce((product, extent) => product * extent, 1);
  const value =
    output === 'activated'
      ? 'x[index] * normalCdf(x[index])'
      : `dy[index] * (normalCdf(x[index]) + x[index] * exp(-0.5 * x[index] * x[index]) * ${1 / Math.sqrt(2 * Math.PI)})`;
  return {
    variableNames: output === 'activated' ? ['x'] : ['x', 'dy'],
    outputShape: [...shape],
    shaderKey: `msnGelu_${output}`,
    dispatchLayout: { x: shape.map((_, axis) => axis) },
    dispatch: flatDispatch(Math.ceil(size / WORKGROUP_SIZE)),
    workgroupSize: [WORKGROUP_SIZE, 1, 1],
    size: true,
    getUserCode: () => `
    ${NORMAL_CDF}
    fn main(index : i32) {
      if (index < uniforms.size) { result[index] = ${value}; }
    }
    `,
  };
}
