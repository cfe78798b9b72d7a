// @file Value checks that read a small tensor back: synchronously where tensors live in host memory, else deferred.
import * as tf from '@tensorflow/tfjs-core';

// Why deferred: a GPU backend (webgpu) cannot read synchronously in Node and only slowly in browsers, and the loss
// must stay a synchronous function for the caller's tf.grad. There the check reads its flags asynchronously; the
// first failure is thrown by the next check (of any @msn package) and by settleDeviceChecks(). The state lives on
// the global object (like tfjs's engine) so that every installed copy of @msn/errors (ESM and CJS, or two versions)
// shares one queue.
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

interface DeviceCheckState {
  pending: Set<Promise<void>>;
  failure: Error | undefined;
}

function state(): DeviceCheckState {
  const global = globalThis as { [key: symbol]: DeviceCheckState | undefined };
  const key = Symbol.for('msn.deviceChecks');
  global[key] ??= { pending: new Set(), failure: undefined };
  return global[key];
}

function throwRecordedFailure(): void {
  const checks = state();
  const failure = checks.failure;
  if (failure === undefined) return;
  checks.failure = undefined;
  throw failure;
}

/**
 * Runs `check` on the values of `tensor` (which this function takes ownership of and disposes) and throws the error
 * it returns. On host-memory backends this happens now; on others the values are read asynchronously and a failure
 * is thrown by the next call here or by {@link settleDeviceChecks}.
 */
export function checkTensorValues(tensor: tf.Tensor, check: (values: ArrayLike<number>) => Error | undefined): void {
  throwRecordedFailure();
  if (HOST_MEMORY_BACKENDS.has(tf.getBackend())) {
    let values: ArrayLike<number>;
    try {
      values = tensor.dataSync();
    } finally {
      tensor.dispose();
    }
    const failure = check(values);
    if (failure !== undefined) throw failure;
    return;
  }
  const checks = state();
  // Kept: a surrounding tidy (or tf.grad) would otherwise free the tensor before its values arrive.
  tf.keep(tensor);
  const read: Promise<void> = tensor
    .data()
    .then(
      (values) => {
        checks.failure ??= check(values);
      },
      (error: unknown) => {
        checks.failure ??= error instanceof Error ? error : new Error(String(error));
      },
    )
    .finally(() => {
      tensor.dispose();
      checks.pending.delete(read);
    });
  checks.pending.add(read);
}

/**
 * Waits for every deferred value check (GPU backends only; on cpu and wasm checks run at once) and throws the
 * first failure, e.g. `MSNLoss.forward: invalid argument 'prototypes' = "tensor [5,6] with NaN or Infinity"`.
 * Tensors held by pending checks are freed once their values arrive. The training step calls this once per step.
 *
 * @example
 * const loss = criterion.forward(anchors, targets, prototypes);
 * await settleDeviceChecks(); // throws InvalidArgumentError if an input held NaN
 */
export async function settleDeviceChecks(): Promise<void> {
  const checks = state();
  while (checks.pending.size > 0) await Promise.all([...checks.pending]);
  throwRecordedFailure();
}
