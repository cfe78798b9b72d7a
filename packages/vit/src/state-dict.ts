// Loading PyTorch-named tensors into a module's variables, with one error that lists every mismatch.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, StateDictError, type StateDictMismatch } from '@msn/errors';

/** One tensor of a state dict: a tfjs tensor, or raw values with a shape (what `readSafetensors` returns). */
export type StateDictTensor = tf.Tensor | { readonly shape: readonly number[]; readonly data: ArrayLike<number> };

/** Tensors by PyTorch `state_dict` key, as a Map or a plain object. */
export type StateDict = ReadonlyMap<string, StateDictTensor> | Readonly<Record<string, StateDictTensor>>;

export interface LoadStateDictOptions {
  /**
   * Only names starting with this prefix are considered, with the prefix removed (e.g. `'anchor.backbone.vit.'`
   * for a checkpoint holding several modules); other names are ignored.
   * @default ''
   */
  prefix?: string;
  /**
   * When true, every variable must be present and nothing unexpected may appear under the prefix. When false, only
   * the names present in both are loaded (shapes must still match).
   * @default true
   */
  strict?: boolean;
}

function entriesOf(tensors: StateDict): [string, StateDictTensor][] {
  if (tensors instanceof Map) return [...(tensors as ReadonlyMap<string, StateDictTensor>).entries()];
  return Object.entries(tensors as Readonly<Record<string, StateDictTensor>>);
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/**
 * Copies `tensors` into `variables` (same names, same shapes). Validates everything before assigning anything,
 * so a failed load leaves the module unchanged. `ignore` names are skipped silently (e.g. `num_batches_tracked`).
 */
export function loadIntoVariables(
  caller: string,
  variables: ReadonlyMap<string, tf.Variable>,
  tensors: StateDict,
  options: LoadStateDictOptions = {},
  ignore: (name: string) => boolean = () => false,
): void {
  const { prefix = '', strict = true } = options;
  if (typeof tensors !== 'object' || tensors === null) {
    throw new InvalidArgumentError({ caller, argument: 'tensors', value: tensors, expected: 'a Map or object of tensors' });
  }
  const selected = new Map<string, StateDictTensor>();
  for (const [name, tensor] of entriesOf(tensors)) {
    if (!name.startsWith(prefix)) continue;
    const local = name.slice(prefix.length);
    if (!ignore(local)) selected.set(local, tensor);
  }
  const mismatch: StateDictMismatch = { missing: [], unexpected: [], mismatched: [] };
  for (const name of variables.keys()) if (!selected.has(name)) mismatch.missing.push(prefix + name);
  for (const [name, tensor] of selected) {
    const variable = variables.get(name);
    if (variable === undefined) {
      mismatch.unexpected.push(prefix + name);
      continue;
    }
    const shape = [...tensor.shape];
    const lengthOk = tensor instanceof tf.Tensor || tensor.data.length === sizeOf(shape);
    if (!lengthOk || shape.join(',') !== variable.shape.join(',')) {
      mismatch.mismatched.push({ name: prefix + name, expected: [...variable.shape], got: lengthOk ? shape : [tensor.data.length] });
    }
  }
  const fatal = mismatch.mismatched.length > 0 || (strict && (mismatch.missing.length > 0 || mismatch.unexpected.length > 0));
  if (fatal) {
    if (!strict) {
      mismatch.missing = [];
      mismatch.unexpected = [];
    }
    throw new StateDictError(caller, mismatch);
  }
  for (const [name, tensor] of selected) {
    const variable = variables.get(name);
    if (variable === undefined) continue;
    tf.tidy(() => {
      const value =
        tensor instanceof tf.Tensor
          ? tensor.dtype === 'float32'
            ? tensor
            : tf.cast(tensor, 'float32')
          : tf.tensor(Float32Array.from(tensor.data), variable.shape, 'float32');
      // assign shares the value's storage (tfjs tensors are immutable), so the source may be disposed later.
      variable.assign(value);
    });
  }
}

/** The module's variables under `prefix + name`, in state-dict order (the variables themselves, not copies). */
export function prefixedVariables(variables: ReadonlyMap<string, tf.Variable>, prefix = ''): Map<string, tf.Variable> {
  return new Map([...variables].map(([name, variable]) => [prefix + name, variable]));
}
