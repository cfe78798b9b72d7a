import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `compute` so that nothing it does is recorded for gradients: a stop-gradient, which tfjs lacks.
 *
 * Ops run inside the forward function of `tf.customGrad` are not taped, and this custom op takes no tensor
 * inputs (`compute` captures what it needs), so the tape holds a single node with no inputs: no backward
 * work at all, and the captured tensors get no gradient through it — not a zero one — the way
 * `torch.no_grad()` leaves a parameter's `.grad` unset (so an optimiser skips it).
 */
export function withoutGradient<T extends tf.Tensor>(compute: () => T): T {
  const stopped = tf.customGrad(() => ({ value: compute(), gradFunc: () => [] }));
  return stopped() as T;
}
