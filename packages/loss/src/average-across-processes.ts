import * as tf from '@tensorflow/tfjs-core';
import type { AllReduceSum } from '@msn/sinkhorn';

/**
 * allReduce(x) / allReduce(1): the mean of `x` over all processes (equal local batches), with the gradient
 * passed through unchanged, as the original MSN's `AllReduce` autograd function does. Each process then
 * back-propagates the global regulariser's gradient through its own share, so averaging gradients across
 * processes (DDP) gives the gradient of the large-batch loss.
 */
export function averageAcrossProcesses<T extends tf.Tensor>(tensor: T, allReduce: AllReduceSum): T {
  const average = tf.customGrad((...inputs) => ({
    value: tf.div(allReduce(inputs[0] as tf.Tensor), allReduce(tf.scalar(1))),
    // A clone, not dy itself, so the engine never frees one tensor twice while accumulating gradients.
    gradFunc: (dy: tf.Tensor) => tf.clone(dy),
  }));
  return average(tensor) as T;
}
