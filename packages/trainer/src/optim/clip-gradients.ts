import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, assertPositiveFinite } from '@msn/errors';
import type { NamedGradients } from './adamw';
import { globalNorm } from './global-norm';

/** Result of {@link clipGradientsByGlobalNorm}. */
export interface ClippedGradients {
  /** The scaled gradients (new tensors owned by the caller), keyed like the input; absent gradients stay absent. */
  gradients: Map<string, tf.Tensor>;
  /** The global L2 norm before clipping, as a scalar owned by the caller. */
  totalNorm: tf.Scalar;
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`, as `torch.nn.utils.clip_grad_norm_`:
 * total = ‖(‖g₁‖, ‖g₂‖, …)‖, coefficient = min(1, maxNorm / (total + 1e-6)), every gradient multiplied by it.
 * Runs on the device (no read-back); the inputs stay owned by the caller.
 *
 * @example
 * const { gradients, totalNorm } = clipGradientsByGlobalNorm(grads, 3.0);  // MSN's clip_grad
 * optimizer.step(gradients); tf.dispose([...gradients.values(), totalNorm]);
 * @throws {InvalidArgumentError} when `maxNorm` is not a finite number > 0 or there are no gradients.
 */
export function clipGradientsByGlobalNorm(gradients: NamedGradients, maxNorm: number): ClippedGradients {
  const caller = 'clipGradientsByGlobalNorm';
  assertPositiveFinite(caller, 'maxNorm', maxNorm);
  const entries = (gradients instanceof Map ? [...gradients.entries()] : Object.entries(gradients)).filter(
    (entry): entry is [string, tf.Tensor] => entry[1] != null,
  );
  if (entries.length === 0) {
    throw new InvalidArgumentError({ caller, argument: 'gradients', value: '(none)', expected: 'at least one gradient tensor' });
  }
  // tidy keeps the tensors of a returned array (it does not look inside a Map), so return them as a list.
  const [totalNorm, ...scaled] = tf.tidy(() => {
    const norm = globalNorm(entries.map(([, gradient]) => gradient));
    const coefficient = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6))));
    return [norm, ...entries.map(([, gradient]) => tf.mul(gradient, coefficient))];
  });
  return {
    gradients: new Map(entries.map(([name], index) => [name, scaled[index]!])),
    totalNorm: totalNorm as tf.Scalar,
  };
}
