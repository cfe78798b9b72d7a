// Which parameters of an MSN model get weight decay under the MSN reference recipe.
import type * as tf from '@tensorflow/tfjs-core';
import type { WeightDecayFilter } from '../optim/adamw';

/**
 * The MSN reference's parameter groups (`msn_train.py`): weight decay on every parameter whose name has no `bias` and
 * that is not 1-D (matrices, the class token, a learned position table), none on biases, LayerNorm/BatchNorm scales
 * or the `prototypes`. lightly's example instead decays every parameter that has a gradient: use `decayEverything`.
 *
 * @example const optimizer = new AdamW(model.trainableParameters(), { weightDecay: 0.04, weightDecayFilter: msnWeightDecayFilter });
 */
export const msnWeightDecayFilter: WeightDecayFilter = (name: string, parameter: tf.Variable) =>
  name !== 'prototypes' && !name.includes('bias') && parameter.rank !== 1;
