// Makes every rank start from rank 0's weights: one coalesced broadcast for a list of variables.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@msn/errors';
import type { ProcessGroup } from './process-group';

/**
 * Overwrites `variables` on every rank with the values they have on `root` (DDP's initial weight broadcast,
 * also usable after loading a checkpoint on one rank). All float32 variables travel in one collective, int32
 * ones in a second; every rank must pass variables of the same shapes in the same order (a different total
 * size fails with a `collective-mismatch` DistributedError).
 *
 * @example
 * broadcastVariables(group, model.trainableVariables()); // before the first step
 * @param root the rank whose values win. @default 0
 * @throws {InvalidArgumentError} for a variable that is neither float32 nor int32.
 */
export function broadcastVariables(group: ProcessGroup, variables: readonly tf.Variable[], root = 0): void {
  const byDtype = new Map<'float32' | 'int32', tf.Variable[]>();
  variables.forEach((variable, index) => {
    if (variable.dtype !== 'float32' && variable.dtype !== 'int32') {
      throw new InvalidArgumentError({
        caller: 'broadcastVariables',
        argument: `variables[${index}]`,
        value: `a ${variable.dtype} variable '${variable.name}'`,
        expected: 'float32 or int32 variables',
      });
    }
    const list = byDtype.get(variable.dtype) ?? [];
    list.push(variable);
    byDtype.set(variable.dtype, list);
  });
  for (const dtype of ['float32', 'int32'] as const) {
    const list = byDtype.get(dtype);
    if (!list) continue;
    const total = list.reduce((sum, variable) => sum + variable.size, 0);
    const flat = dtype === 'float32' ? new Float32Array(total) : new Int32Array(total);
    if (group.rank === root) {
      let offset = 0;
      for (const variable of list) {
        flat.set(variable.dataSync() as Float32Array | Int32Array, offset);
        offset += variable.size;
      }
    }
    const received = group.broadcast(flat, root);
    let offset = 0;
    for (const variable of list) {
      const values = received.subarray(offset, offset + variable.size);
      offset += variable.size;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, dtype)));
    }
  }
}
