import * as tf from '@tensorflow/tfjs-core';
import { sharpen, sinkhorn, type AllReduceSum } from '@msn/sinkhorn';
import { prototypeLogits } from './prototype-probabilities';
import { withoutGradient } from './without-gradient';

export interface TargetProbabilitiesOptions {
  temperature: number;
  sharpenTemperature: number;
  sinkhornIterations: number;
  allReduce: AllReduceSum | undefined;
}

/**
 * The target branch: softmax((t̂ · p̂ᵀ) / τ), sharpened with T, then Sinkhorn when iterations > 0, shape
 * [N, K]. No gradient on this branch (lightly computes it under `torch.no_grad()`): it runs untaped, so
 * `targets` — with the target network behind them — get no gradient at all (not a zero one) and the
 * prototypes get theirs only through the anchors.
 */
export function targetProbabilities(normalizedTargets: tf.Tensor2D, normalizedPrototypes: tf.Tensor2D, options: TargetProbabilitiesOptions): tf.Tensor2D {
  return withoutGradient(() => {
    const probabilities = tf.softmax(prototypeLogits(normalizedTargets, normalizedPrototypes, options.temperature));
    const sharpened = sharpen(probabilities as tf.Tensor2D, options.sharpenTemperature);
    const value = options.sinkhornIterations > 0 ? sinkhorn(sharpened, { iterations: options.sinkhornIterations, allReduce: options.allReduce }) : sharpened;
    return value;
  });
}
