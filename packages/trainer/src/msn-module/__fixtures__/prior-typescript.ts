// A custom prior written in TypeScript (loads under tsx, as the apps run).
import * as tf from '@tensorflow/tfjs-core';

export default function halfUniform(meanAnchorProbs: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.add(tf.mul(meanAnchorProbs, 0.5), 0.5 / meanAnchorProbs.size));
}
