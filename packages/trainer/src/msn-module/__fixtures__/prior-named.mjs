// A custom prior as the named export `prior`: uniform over the clusters.
import * as tf from '@tensorflow/tfjs-core';

export const prior = (meanAnchorProbs) => tf.fill([meanAnchorProbs.size], 1 / meanAnchorProbs.size);
