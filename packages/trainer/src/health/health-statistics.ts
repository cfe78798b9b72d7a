// @file The training-health statistics of one MSN step, computed on the device from tensors the step already has.
import * as tf from '@tensorflow/tfjs-core';

/**
 * How one MSN step looked, as plain numbers. Entropies are relative to ln K (1: uniform over the K prototypes,
 * 0: one prototype takes everything), so runs with different K read the same.
 */
export interface StepHealth {
  /** Mean over anchor rows of H(anchor prediction) / ln K. Near 1: every prediction is ≈ uniform. */
  anchorEntropy: number;
  /** Mean over images of H(target) / ln K, the targets after sharpening and Sinkhorn. */
  targetEntropy: number;
  /** H(mean anchor prediction) / ln K. Near 0: one prototype wins every image. */
  meanAnchorEntropy: number;
  /** H(mean target) / ln K. */
  meanTargetEntropy: number;
  /** Mean cosine similarity between the target embeddings of different images. Near 1: every image looks the same. */
  featureCosine: number;
  /** The loss' cross-entropy / ln K: 1 is what uniform predictions of uniform targets give. */
  lossRatio: number;
  /** How many of this step's images each prototype won (argmax of the image's target), `[K]`. */
  prototypeWins: Int32Array;
}

/** The tensors {@link healthStatistics} reads (the step's loss details and the target embeddings). */
export interface HealthInputs {
  /** Anchor probabilities `[rows, K]`. */
  anchorProbs: tf.Tensor2D;
  /** Target probabilities after sharpening and Sinkhorn `[B, K]`. */
  targetProbs: tf.Tensor2D;
  /** Target embeddings `[B, D]` (the target head's output). */
  targetEmbeddings: tf.Tensor2D;
  /** The loss' cross-entropy. */
  crossEntropy: tf.Scalar;
}

const SCALARS = 6;

/**
 * The health statistics as one float32 vector `[6 + K]`: anchor entropy, target entropy, mean-anchor entropy,
 * mean-target entropy, feature cosine, loss ratio, then the prototype wins. One vector, so the step reads it back
 * with its loss in one transfer. Read it with {@link readStepHealth}. The caller owns the result.
 */
export function healthStatistics(inputs: HealthInputs): tf.Tensor1D {
  return tf.tidy(() => {
    const { anchorProbs, targetProbs, targetEmbeddings, crossEntropy } = inputs;
    const numPrototypes = anchorProbs.shape[1];
    // ln K is 0 for K = 1: entropies are then 0 by definition (there is nothing to spread over).
    const logK = Math.log(numPrototypes);
    const scale = logK > 0 ? 1 / logK : 0;
    const rowEntropy = (probs: tf.Tensor2D) => tf.mul(tf.mean(entropy(probs, 1)), scale);
    const meanEntropy = (probs: tf.Tensor2D) => tf.mul(entropy(tf.mean(probs, 0), 0), scale);
    const normalized = tf.div(targetEmbeddings, tf.maximum(tf.norm(targetEmbeddings, 2, 1, true), 1e-12));
    // Σᵢ≠ⱼ cos(zᵢ, zⱼ) = ‖Σᵢ zᵢ‖² − B for unit rows: the mean over pairs without the B × B matrix.
    const rows = targetEmbeddings.shape[0];
    const pairSum = tf.sub(tf.sum(tf.square(tf.sum(normalized, 0))), rows);
    const featureCosine = rows > 1 ? tf.div(pairSum, rows * (rows - 1)) : tf.scalar(1);
    const wins = tf.cast(tf.sum(tf.oneHot(tf.argMax(targetProbs, 1), numPrototypes), 0), 'float32');
    const scalars = tf.stack([
      rowEntropy(anchorProbs),
      rowEntropy(targetProbs),
      meanEntropy(anchorProbs),
      meanEntropy(targetProbs),
      featureCosine,
      tf.mul(crossEntropy, scale),
    ]);
    return tf.concat([scalars, wins]) as tf.Tensor1D;
  });
}

/** The {@link StepHealth} in a vector of {@link healthStatistics} (from `offset`). */
export function readStepHealth(values: Float32Array | readonly number[], offset = 0): StepHealth {
  const at = (index: number) => values[offset + index]!;
  const wins = Int32Array.from(values.slice(offset + SCALARS), (value) => Math.round(value));
  return {
    anchorEntropy: at(0),
    targetEntropy: at(1),
    meanAnchorEntropy: at(2),
    meanTargetEntropy: at(3),
    featureCosine: at(4),
    lossRatio: at(5),
    prototypeWins: wins,
  };
}

// −Σ p log p along `axis`, with 0 · log 0 = 0.
function entropy(probs: tf.Tensor, axis: number): tf.Tensor {
  const safe = tf.maximum(probs, 1e-30);
  return tf.neg(tf.sum(tf.mul(probs, tf.log(safe)), axis));
}
