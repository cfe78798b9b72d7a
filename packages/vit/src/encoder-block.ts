// One pre-norm transformer block of torchvision's ViT (EncoderBlock) as a single op with a hand-written backward.
import * as tf from '@tensorflow/tfjs-core';
import { normalizeRows } from './normalize-rows';
import { attentionBackward, attentionForward } from './attention';
import { dropPathScales } from './drop-path';
import { geluBackward, geluForward } from './gelu';
import type { Random } from '@msn/random';
import { timesTransposedWeight, weightGradients } from './weight-products';

// Why one custom-gradient op per block: tfjs keeps every taped intermediate and every intermediate gradient until the
// whole backward pass ends. As one op, a block keeps only the tensors its backward needs (about a dozen per block
// instead of ~80) and frees its backward temporaries at once; it also runs fewer kernels. Every matrix product is
// 2-D where possible and unflagged unless the backend's products are transpose-free (see linear.ts).

/** The weights of one block (`encoder.layers.encoder_layer_{i}.*`), in torch's layout. */
export interface EncoderBlockWeights {
  ln1Weight: tf.Tensor1D;
  ln1Bias: tf.Tensor1D;
  /** `[3D, D]`: rows [0, D) query, [D, 2D) key, [2D, 3D) value. */
  inProjWeight: tf.Tensor2D;
  inProjBias: tf.Tensor1D;
  outProjWeight: tf.Tensor2D;
  outProjBias: tf.Tensor1D;
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
  random?: Random | undefined;
  /**
   * Compute the output of the first token of each sample only (`[B, D]`): its query, attention, projection and MLP;
   * keys and values still come from every token. Same values as the full block's first rows, ~1/6 of its cost.
   * @default false
   */
  firstTokenOnly?: boolean;
}

// LayerNorm backward for the input: (g − mean(g) − x̂·mean(g·x̂))/σ with g = dy·γ.
function layerNormInputGradient(dy: tf.Tensor2D, normalized: tf.Tensor2D, inverseStd: tf.Tensor2D, scale: tf.Tensor1D): tf.Tensor2D {
  const scaled = tf.mul(dy, scale);
  const projection = tf.mean(tf.mul(scaled, normalized), 1, true);
  return tf.mul(tf.sub(tf.sub(scaled, tf.mean(scaled, 1, true)), tf.mul(normalized, projection)), inverseStd);
}

// x·Wᵀ + b (weight-products.ts: flagged where the backend's products are transpose-free, else an explicit transpose).
const affine = (x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D => timesTransposedWeight(x, weight, bias);

// Weight dyᵀ·x and bias Σ_rows dy gradients of x·Wᵀ + b.
function linearGradients(dy: tf.Tensor2D, x: tf.Tensor2D): { weight: tf.Tensor2D; bias: tf.Tensor1D } {
  const { weight, bias } = weightGradients(dy, x, true);
  return { weight, bias: bias! };
}

/**
 * x ← x + MHA(LN₁(x)); x ← x + MLP(LN₂(x)) on `[B·L, D]` rows (B samples of L tokens), with MLP = Linear → GELU(erf) →
 * Linear and MHA = torch's `MultiheadAttention` (softmax((q/√dh)·kᵀ)·v per head, heads concatenated, `out_proj`).
 * With `random`, each branch is dropped per sample with probability `dropPathRate` (survivors scaled by 1/keep).
 * Returns `[B·L, D]`, or `[B, D]` with `firstTokenOnly`.
 */
export function encoderBlock(rows: tf.Tensor2D, weights: EncoderBlockWeights, settings: EncoderBlockSettings): tf.Tensor2D {
  const { batchSize, numHeads, layerNormEps, dropPathRate, random, firstTokenOnly = false } = settings;
  const [count, hiddenDim] = rows.shape;
  const sequenceLength = count / batchSize;
  const headDim = hiddenDim / numHeads;
  const queryScale = 1 / Math.sqrt(headDim);
  // The rows after attention: every token, or the first of each sample.
  const queryLength = firstTokenOnly ? 1 : sequenceLength;
  const sizes = { batchSize, sequenceLength, numHeads, headDim, queryLength };

  const applyScales = (branch: tf.Tensor2D, scales: Float32Array | undefined): tf.Tensor2D =>
    scales === undefined
      ? branch
      : (tf.reshape(tf.mul(tf.reshape(branch, [batchSize, -1, hiddenDim]), tf.tensor3d(scales, [batchSize, 1, 1])), branch.shape) as tf.Tensor2D);
  // [B·L, D] → the first row of each sample [B, D], and back (zeros elsewhere).
  const firstRows = (t: tf.Tensor2D): tf.Tensor2D =>
    tf.reshape(tf.slice(tf.reshape(t, [batchSize, sequenceLength, hiddenDim]), [0, 0, 0], [batchSize, 1, hiddenDim]), [batchSize, hiddenDim]);
  const padFirstRows = (t: tf.Tensor2D): tf.Tensor2D =>
    tf.reshape(
      tf.pad(tf.reshape(t, [batchSize, 1, hiddenDim]), [
        [0, 0],
        [0, sequenceLength - 1],
        [0, 0],
      ]),
      [count, hiddenDim],
    );
  // Host arrays, so the backward pass can rebuild them whatever scope the forward pass ran in.
  const attentionScales = dropPathScales(batchSize, dropPathRate, random);
  const mlpScales = dropPathScales(batchSize, dropPathRate, random);

  const run = tf.customGrad((...args: unknown[]) => {
    const save = args[13] as tf.GradSaveFunc;
    const [x, ln1Weight, ln1Bias, inProjWeight, inProjBias, outProjWeight, outProjBias, ln2Weight, ln2Bias, mlp0Weight, mlp0Bias, mlp3Weight, mlp3Bias] =
      args as [
        tf.Tensor2D,
        tf.Tensor1D,
        tf.Tensor1D,
        tf.Tensor2D,
        tf.Tensor1D,
        tf.Tensor2D,
        tf.Tensor1D,
        tf.Tensor1D,
        tf.Tensor1D,
        tf.Tensor2D,
        tf.Tensor1D,
        tf.Tensor2D,
        tf.Tensor1D,
      ];
    const first = normalizeRows(x, layerNormEps);
    const attentionInput = tf.add(tf.mul(first.normalized, ln1Weight), ln1Bias) as tf.Tensor2D;
    // [q | k | v] rows from one product with the whole in_proj.
    const projections = affine(attentionInput, inProjWeight, inProjBias);
    const { probabilities: attention, context } = attentionForward(projections, sizes, queryScale);
    const residual = firstTokenOnly ? firstRows(x) : x;
    const afterAttention = tf.add(residual, applyScales(affine(context, outProjWeight, outProjBias), attentionScales)) as tf.Tensor2D;
    const second = normalizeRows(afterAttention, layerNormEps);
    const hidden = affine(tf.add(tf.mul(second.normalized, ln2Weight), ln2Bias) as tf.Tensor2D, mlp0Weight, mlp0Bias);
    const activated = geluForward(hidden);
    const output = tf.add(afterAttention, applyScales(affine(activated, mlp3Weight, mlp3Bias), mlpScales)) as tf.Tensor2D;
    save([
      first.normalized,
      first.inverseStd,
      projections,
      attention,
      context,
      second.normalized,
      second.inverseStd,
      hidden,
      ln1Weight,
      ln1Bias,
      inProjWeight,
      outProjWeight,
      ln2Weight,
      ln2Bias,
      mlp0Weight,
      mlp3Weight,
    ]);
    return {
      value: output,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [
            normalized1,
            inverseStd1,
            savedProjections,
            savedAttention,
            savedContext,
            normalized2,
            inverseStd2,
            savedHidden,
            scale1,
            shift1,
            savedInProj,
            savedOutProj,
            scale2,
            shift2,
            savedMlp0,
            savedMlp3,
          ] = saved as [
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor3D,
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor1D,
            tf.Tensor1D,
            tf.Tensor2D,
            tf.Tensor2D,
            tf.Tensor1D,
            tf.Tensor1D,
            tf.Tensor2D,
            tf.Tensor2D,
          ];
          // MLP branch: out = x₁ + s₂·(GELU(y₂·W₀ᵀ + b₀)·W₃ᵀ + b₃), y₂ = LN₂(x₁).
          const mlpGradient = applyScales(dy, mlpScales);
          const { activated, inputGradient: hiddenGradient } = geluBackward(savedHidden, tf.matMul(mlpGradient, savedMlp3));
          const { weight: mlp3WeightGradient, bias: mlp3BiasGradient } = linearGradients(mlpGradient, activated);
          const mlpInput = tf.add(tf.mul(normalized2, scale2), shift2) as tf.Tensor2D;
          const { weight: mlp0WeightGradient, bias: mlp0BiasGradient } = linearGradients(hiddenGradient, mlpInput);
          const mlpInputGradient = tf.matMul(hiddenGradient, savedMlp0) as tf.Tensor2D;
          const ln2WeightGradient = tf.sum(tf.mul(mlpInputGradient, normalized2), 0);
          const ln2BiasGradient = tf.sum(mlpInputGradient, 0);
          const afterAttentionGradient = tf.add(dy, layerNormInputGradient(mlpInputGradient, normalized2, inverseStd2, scale2)) as tf.Tensor2D;

          // Attention branch: x₁ = x + s₁·(merge(softmax(q·kᵀ/√dh)·v)·W_oᵀ + b_o).
          const attentionGradient = applyScales(afterAttentionGradient, attentionScales);
          const { weight: outProjWeightGradient, bias: outProjBiasGradient } = linearGradients(attentionGradient, savedContext);
          const contextGradient = tf.matMul(attentionGradient, savedOutProj) as tf.Tensor2D;
          // [dq | dk | dv] as one [B·L, 3D] matrix: one product each for the input and in_proj gradients.
          const projectedGradient = attentionBackward(contextGradient, savedAttention, savedProjections, sizes, queryScale);
          const attentionInput = tf.add(tf.mul(normalized1, scale1), shift1) as tf.Tensor2D;
          const { weight: inProjWeightGradient, bias: inProjBiasGradient } = linearGradients(projectedGradient, attentionInput);
          const attentionInputGradient = tf.matMul(projectedGradient, savedInProj) as tf.Tensor2D;
          const ln1WeightGradient = tf.sum(tf.mul(attentionInputGradient, normalized1), 0);
          const ln1BiasGradient = tf.sum(attentionInputGradient, 0);
          const inputGradient = tf.add(
            firstTokenOnly ? padFirstRows(afterAttentionGradient) : afterAttentionGradient,
            layerNormInputGradient(attentionInputGradient, normalized1, inverseStd1, scale1),
          );
          return [
            inputGradient,
            ln1WeightGradient,
            ln1BiasGradient,
            inProjWeightGradient,
            inProjBiasGradient,
            outProjWeightGradient,
            outProjBiasGradient,
            ln2WeightGradient,
            ln2BiasGradient,
            mlp0WeightGradient,
            mlp0BiasGradient,
            mlp3WeightGradient,
            mlp3BiasGradient,
          ];
        }),
    };
  });

  return run(
    rows,
    weights.ln1Weight,
    weights.ln1Bias,
    weights.inProjWeight,
    weights.inProjBias,
    weights.outProjWeight,
    weights.outProjBias,
    weights.ln2Weight,
    weights.ln2Bias,
    weights.mlp0Weight,
    weights.mlp0Bias,
    weights.mlp3Weight,
    weights.mlp3Bias,
  ) as tf.Tensor2D;
}
