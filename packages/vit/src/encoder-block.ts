// One pre-norm transformer block of torchvision's ViT (EncoderBlock), on flattened [B·L, D] rows.
import * as tf from '@tensorflow/tfjs-core';
import { dropPath } from './drop-path';
import { gelu } from './gelu';
import { layerNorm } from './layer-norm';
import { linear } from './linear';
import { multiHeadAttention, type AttentionWeights } from './multi-head-attention';
import type { Random } from './random';

/** The weights of one block (`encoder.layers.encoder_layer_{i}.*`). */
export interface EncoderBlockWeights extends AttentionWeights {
  ln1Weight: tf.Tensor1D;
  ln1Bias: tf.Tensor1D;
  ln2Weight: tf.Tensor1D;
  ln2Bias: tf.Tensor1D;
  /** `mlp.0.weight [M, D]` */
  mlp0Weight: tf.Tensor2D;
  mlp0Bias: tf.Tensor1D;
  /** `mlp.3.weight [D, M]` */
  mlp3Weight: tf.Tensor2D;
  mlp3Bias: tf.Tensor1D;
}

export interface EncoderBlockSettings {
  batchSize: number;
  numHeads: number;
  layerNormEps: number;
  /** Drop-path rate of this block, applied when `random` is given. */
  dropPathRate: number;
  random?: Random;
}

/** x ← x + MHA(LN₁(x)); x ← x + MLP(LN₂(x)), MLP = Linear → GELU(erf) → Linear; optional drop path per branch. */
export function encoderBlock(rows: tf.Tensor2D, weights: EncoderBlockWeights, settings: EncoderBlockSettings): tf.Tensor2D {
  return tf.tidy(() => {
    const { batchSize, numHeads, layerNormEps, dropPathRate, random } = settings;
    const maybeDrop = (branch: tf.Tensor2D): tf.Tensor2D =>
      random === undefined ? branch : dropPath(branch, batchSize, dropPathRate, random);
    const attended = multiHeadAttention(layerNorm(rows, weights.ln1Weight, weights.ln1Bias, layerNormEps), weights, batchSize, numHeads);
    const afterAttention = tf.add(rows, maybeDrop(attended)) as tf.Tensor2D;
    const hidden = gelu(linear(layerNorm(afterAttention, weights.ln2Weight, weights.ln2Bias, layerNormEps), weights.mlp0Weight, weights.mlp0Bias));
    const mlpOut = linear(hidden as tf.Tensor2D, weights.mlp3Weight, weights.mlp3Bias);
    return tf.add(afterAttention, maybeDrop(mlpOut)) as tf.Tensor2D;
  });
}
