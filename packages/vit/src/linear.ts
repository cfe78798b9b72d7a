// y = x·Wᵀ + b with a hand-written gradient whose matrix products suit the backend (see weight-products.ts).
import * as tf from '@tensorflow/tfjs-core';
import { timesTransposedWeight, weightGradients } from './weight-products';

// Why: tfjs-backend-wasm 4.22 sends a matMul to XNNPACK only when neither operand is flagged as transposed
// (and the batch is 1); a flagged product runs a scalar loop ~12x slower. tfjs' own matMul gradient uses flags,
// so both directions here transpose explicitly (a cheap 2-D copy) and multiply unflagged, unless the backend's
// products are transpose-free (a native BLAS).

/**
 * A fully connected layer `[rows, in] → [rows, out]` with a PyTorch-layout weight `[out, in]` and optional
 * bias `[out]`. When `inputGradient` is false the input gets no gradient (the patch embedding's pixels), which
 * skips one matrix product in the backward pass.
 */
export function linear(input: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D, options: { inputGradient?: boolean } = {}): tf.Tensor2D {
  const { inputGradient = true } = options;
  const forward = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | undefined): tf.Tensor2D => timesTransposedWeight(x, w, b);
  const parameterGradients = (dy: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor[] => {
    const gradients = weightGradients(dy, x, bias !== undefined);
    return gradients.bias === undefined ? [gradients.weight] : [gradients.weight, gradients.bias];
  };

  if (inputGradient) {
    const withInput = tf.customGrad((...args: unknown[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [x, w, b] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D | undefined];
      save([x, w]);
      return {
        value: forward(x, w, bias === undefined ? undefined : b),
        // Temporaries of a custom gradient are otherwise kept until the whole backward pass ends.
        gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) =>
          tf.tidy(() => {
            const [savedX, savedW] = saved as [tf.Tensor2D, tf.Tensor2D];
            return [tf.matMul(dy, savedW), ...parameterGradients(dy, savedX)];
          }),
      };
    });
    return (bias === undefined ? withInput(input, weight) : withInput(input, weight, bias)) as tf.Tensor2D;
  }

  const withoutInput = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [w, b] = args as [tf.Tensor2D, tf.Tensor1D | undefined];
    // `input` is closed over, not an argument, so it must be saved to survive until the backward pass.
    save([input]);
    return {
      value: forward(input, w, bias === undefined ? undefined : b),
      // Temporaries of a custom gradient are otherwise kept until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          return parameterGradients(dy, saved[0] as tf.Tensor2D);
        }),
    };
  });
  return (bias === undefined ? withoutInput(weight) : withoutInput(weight, bias)) as tf.Tensor2D;
}
