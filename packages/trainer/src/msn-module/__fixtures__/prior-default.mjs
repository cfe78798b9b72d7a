// A custom prior as a default export: the square root of the mean anchor probabilities, renormalised.
import * as tf from '@tensorflow/tfjs-core';

export default function sqrtPrior(meanAnchorProbs) {
  return tf.tidy(() => {
    const root = tf.sqrt(meanAnchorProbs);
    return tf.div(root, tf.sum(root));
  });
}
