// DDP's gradient step: every rank replaces its gradients by their mean over ranks, in one collective.
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@msn/errors';
import type { ProcessGroup } from './process-group';

/** Gradient names in the order every rank uses (sorted), after checking they are float32. */
function sortedNames(caller: string, gradients: tf.NamedTensorMap): string[] {
  const names = Object.keys(gradients).sort();
  for (const name of names) {
    const gradient = gradients[name]!;
    if (gradient.dtype !== 'float32') {
      throw new InvalidArgumentError({
        caller,
        argument: `gradients['${name}']`,
        value: `a ${gradient.dtype} tensor`,
        expected: 'float32 gradients',
      });
    }
  }
  return names;
}

/**
 * Averages named float32 gradients over all ranks with one coalesced all-reduce. Names are taken in sorted
 * order, so ranks agree whatever order their maps were built in; every rank must hold the same names with the
 * same shapes. Returns new tensors (the caller disposes both maps).
 *
 * With per-rank mean losses over equal batches, the average is the gradient of the combined batch's mean
 * loss, which is why data-parallel training equals large-batch training.
 *
 * @example
 * const { value, grads } = tf.variableGrads(() => loss(batch));
 * const averaged = averageGradients(group, grads);
 * optimizer.applyGradients(averaged);
 * @throws {InvalidArgumentError} for a gradient that is not float32.
 */
export function averageGradients(group: ProcessGroup, gradients: tf.NamedTensorMap): tf.NamedTensorMap {
  const names = sortedNames('averageGradients', gradients);
  const averaged = group.allReduceCoalesced(
    names.map((name) => gradients[name]!),
    'mean',
  );
  return Object.fromEntries(names.map((name, index) => [name, averaged[index]!]));
}

/** {@link averageGradients}, enqueued now (program order) and completed in the background. */
export async function averageGradientsAsync(group: ProcessGroup, gradients: tf.NamedTensorMap): Promise<tf.NamedTensorMap> {
  const names = sortedNames('averageGradientsAsync', gradients);
  const averaged = await group.allReduceCoalescedAsync(
    names.map((name) => gradients[name]!),
    'mean',
  );
  return Object.fromEntries(names.map((name, index) => [name, averaged[index]!]));
}
