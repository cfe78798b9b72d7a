// An all-reduce that gradients flow through: the building block of synchronised batch statistics.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@msn/errors';
import type { ProcessGroup } from './process-group';
import type { ReduceOp } from './collective-types';

/**
 * All-reduces a float32 tensor inside a differentiable computation: forward y = Σ_r x_r (or the mean), backward
 * dx = Σ_r dy_r (or the mean), i.e. the all-reduce of the upstream gradient (the adjoint of the forward map).
 *
 * Gradient semantics: each rank r back-propagates its own loss L_r, and this gradient makes rank r's dL/dx_r
 * the gradient of the global objective Σ_s L_s with respect to its input, because y feeds every rank's loss.
 * Data-parallel training then averages parameter gradients over ranks, which yields the gradient of
 * (1/worldSize) Σ_s L_s, the loss of the combined batch when each L_s is a per-rank mean. Every rank must run
 * the backward pass (the gradient is a collective too), in the same order.
 *
 * @example
 * const total = differentiableAllReduce(group, tf.sum(x, 0)); // inside tf.grad / optimizer.minimize
 * @param op `sum` or `mean`. @default 'sum'
 * @throws {InvalidArgumentError} when `x` is not a float32 tensor or `op` is unknown.
 */
export function differentiableAllReduce<T extends tf.Tensor>(group: ProcessGroup, x: T, op: ReduceOp = 'sum'): T {
  if (x.dtype !== 'float32') {
    throw new InvalidArgumentError({
      caller: 'differentiableAllReduce',
      argument: 'x',
      value: `a ${x.dtype} tensor`,
      expected: 'a float32 tensor (gradients are float32)',
    });
  }
  if (op !== 'sum' && op !== 'mean') {
    throw new InvalidArgumentError({ caller: 'differentiableAllReduce', argument: 'op', value: op, expected: "'sum' or 'mean'" });
  }
  const reduce = tf.customGrad((...inputs) => ({
    value: group.allReduce(inputs[0] as tf.Tensor, op),
    gradFunc: (dy: tf.Tensor) => group.allReduce(dy, op),
  }));
  return reduce(x) as T;
}
