import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError, assertInRange } from '@msn/errors';

/** One EMA pair: the target variable that is updated and the anchor tensor it follows. */
export type EmaPair = readonly [target: tf.Variable, anchor: tf.Tensor];

/**
 * Exponential moving average of target parameters towards anchor parameters, in place:
 * target ← m·target + (1 − m)·anchor (MSN/BYOL's momentum encoder update). Pass every *parameter* pair;
 * buffers such as BatchNorm running statistics are not averaged (the reference excludes them).
 *
 * @example
 * updateEma(targetNames.map((name) => [targetVariables.get(name)!, anchorVariables.get(name)!]), momentum(step));
 * @throws {InvalidArgumentError} when `momentum` is outside [0, 1] or a target is not a tf.Variable.
 * @throws {ShapeError} when a pair's shapes differ.
 */
export function updateEma(pairs: Iterable<EmaPair>, momentum: number): void {
  const caller = 'updateEma';
  assertInRange(caller, 'momentum', momentum, 0, 1);
  const list = [...pairs];
  list.forEach(([target, anchor], index) => {
    if (!(target instanceof tf.Variable)) {
      throw new InvalidArgumentError({ caller, argument: `pairs[${index}][0]`, value: target, expected: 'a tf.Variable (the target parameter)' });
    }
    if (!tf.util.arraysEqual(target.shape, anchor.shape)) {
      throw new ShapeError(`${caller}: pair ${index} (${target.name}) has target shape [${target.shape}] and anchor shape [${anchor.shape}]`);
    }
  });
  tf.tidy(() => {
    const keep = tf.scalar(momentum);
    const take = tf.scalar(1 - momentum);
    for (const [target, anchor] of list) target.assign(tf.add(tf.mul(target, keep), tf.mul(anchor, take)));
  });
}
