// Loads a whole state dict into named variables, checking every name and shape before assigning anything.
import * as tf from '@tensorflow/tfjs-core';
import { StateDictError, type StateDict, type StateDictMismatch, type StateDictTensor } from '@msn/vit';
import { InvalidArgumentError } from '@msn/errors';

/** Options of {@link loadNamedVariables}. */
export interface LoadNamedVariablesOptions {
  /** Every variable must be present and nothing unexpected may appear. @default true */
  strict?: boolean;
  /** Names skipped silently (e.g. PyTorch's `num_batches_tracked` buffers). */
  ignore?: (name: string) => boolean;
}

function entriesOf(tensors: StateDict): [string, StateDictTensor][] {
  if (tensors instanceof Map) return [...(tensors as ReadonlyMap<string, StateDictTensor>).entries()];
  return Object.entries(tensors as Readonly<Record<string, StateDictTensor>>);
}

/**
 * Copies `tensors` into `variables` by name. Validates everything first, so a failed load changes nothing (the
 * submodules' own `loadStateDict` are atomic per module only).
 * @throws {StateDictError} listing every missing, unexpected and mis-shaped name.
 */
export function loadNamedVariables(
  caller: string,
  variables: ReadonlyMap<string, tf.Variable>,
  tensors: StateDict,
  options: LoadNamedVariablesOptions = {},
): void {
  const { strict = true, ignore = () => false } = options;
  if (typeof tensors !== 'object' || tensors === null) {
    throw new InvalidArgumentError({ caller, argument: 'tensors', value: tensors, expected: 'a Map or object of tensors by name' });
  }
  const selected = new Map(entriesOf(tensors).filter(([name]) => !ignore(name)));
  const mismatch: StateDictMismatch = { missing: [], unexpected: [], mismatched: [] };
  if (strict) for (const name of variables.keys()) if (!selected.has(name)) mismatch.missing.push(name);
  for (const [name, tensor] of selected) {
    const variable = variables.get(name);
    if (variable === undefined) {
      if (strict) mismatch.unexpected.push(name);
      continue;
    }
    const shape = [...tensor.shape];
    const size = shape.reduce((product, dimension) => product * dimension, 1);
    const lengthOk = tensor instanceof tf.Tensor || tensor.data.length === size;
    if (!lengthOk || !tf.util.arraysEqual(shape, variable.shape)) {
      mismatch.mismatched.push({ name, expected: [...variable.shape], got: lengthOk ? shape : [tensor.data.length] });
    }
  }
  if (mismatch.missing.length > 0 || mismatch.unexpected.length > 0 || mismatch.mismatched.length > 0) {
    throw new StateDictError(caller, mismatch);
  }
  for (const [name, tensor] of selected) {
    const variable = variables.get(name);
    if (variable === undefined) continue;
    tf.tidy(() => {
      const value = tensor instanceof tf.Tensor ? tf.cast(tensor, 'float32') : tf.tensor(Float32Array.from(tensor.data), variable.shape, 'float32');
      // Tensor data is immutable, so sharing storage with the source (even another variable) is safe.
      variable.assign(value);
    });
  }
}
