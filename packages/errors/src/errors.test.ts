// Messages and identity of every error class: instanceof must hold for errors made by another copy of the class.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  CheckpointError,
  DataFileError,
  DataLoaderError,
  DeviceError,
  InvalidArgumentError,
  SafetensorsError,
  ShapeError,
  StateDictError,
  MsnError,
  isMsnError,
} from './index';

// The CJS build is a second, separately evaluated copy of every class, as a dual-package install would load.
const cjs = createRequire(import.meta.url)('../dist/index.cjs') as typeof import('./index');

const samples = (errors: typeof import('./index')) => ({
  InvalidArgumentError: new errors.InvalidArgumentError({ caller: 'MSNLoss', argument: 'temperature', value: -1, expected: 'a finite number > 0' }),
  ShapeError: new errors.ShapeError('MSNLoss: anchors [24,16] and prototypes [10,32] must share the last dimension'),
  DataFileError: new errors.DataFileError({ caller: 'IdxDataset', file: 'train.idx', problem: 'truncated', offset: 16 }),
  DataLoaderError: new errors.DataLoaderError('sample 3 failed', { index: 3 }),
  BackendUnavailableError: new errors.BackendUnavailableError('webgpu is not installed'),
  DeviceError: new errors.DeviceError('out of memory'),
  CheckpointError: new errors.CheckpointError('missing weights'),
  StateDictError: new errors.StateDictError('ViT', { missing: ['a'], unexpected: [], mismatched: [] }),
  SafetensorsError: new errors.SafetensorsError({ source: 'buffer', offset: 8, problem: 'bad header' }),
});

const classes = {
  InvalidArgumentError,
  ShapeError,
  DataFileError,
  DataLoaderError,
  BackendUnavailableError,
  DeviceError,
  CheckpointError,
  StateDictError,
  SafetensorsError,
};

describe('error messages', () => {
  it('name the caller, the argument, its value and what was expected', () => {
    const errors = samples({ ...classes, isMsnError } as typeof import('./index'));
    expect(errors.InvalidArgumentError.message).toBe("MSNLoss: invalid argument 'temperature' = -1; expected a finite number > 0");
    expect(errors.DataFileError.message).toBe("IdxDataset: 'train.idx' at byte 16: truncated");
    expect(errors.StateDictError.message).toBe('ViT: the state dict does not fit: missing a');
    expect(errors.SafetensorsError.message).toBe('safetensors buffer: bad header (at byte offset 8)');
  });

  it('print strings quoted, arrays inline and tensors by dtype and shape', () => {
    const message = (value: unknown) => new InvalidArgumentError({ caller: 'f', argument: 'x', value, expected: 'y' }).message;
    expect(message('a')).toBe(`f: invalid argument 'x' = "a"; expected y`);
    expect(message([1, [2, 3]])).toBe("f: invalid argument 'x' = [1,[2,3]]; expected y");
    expect(message({ shape: [2, 3], dtype: 'float32' })).toBe("f: invalid argument 'x' = float32 tensor [2,3]; expected y");
  });
});

describe('instanceof across copies', () => {
  it('holds for errors from the CJS build (a second copy of each class) and the reverse', () => {
    const fromEsm = samples({ ...classes, isMsnError } as typeof import('./index'));
    const fromCjs = samples(cjs);
    for (const name of Object.keys(classes) as (keyof typeof classes)[]) {
      expect(cjs[name]).not.toBe(classes[name]);
      expect(fromCjs[name]).toBeInstanceOf(classes[name]);
      expect(fromEsm[name]).toBeInstanceOf(cjs[name]);
      expect(fromCjs[name].name).toBe(name);
      expect(isMsnError(fromCjs[name])).toBe(true);
    }
  });

  it('holds for a class of the same name from a package that still defined its own copy', () => {
    const MSN_ERROR = Symbol.for('msn.error');
    class LegacyShapeError extends Error {
      readonly [MSN_ERROR] = true;
      override name = 'ShapeError';
    }
    expect(new LegacyShapeError('x')).toBeInstanceOf(ShapeError);
    expect(new LegacyShapeError('x')).not.toBeInstanceOf(InvalidArgumentError);
  });

  it('keeps classes apart and leaves subclasses to the prototype chain', () => {
    class CliArgumentError extends InvalidArgumentError {}
    const plain = new InvalidArgumentError({ caller: 'f', argument: 'x', value: 1, expected: 'y' });
    const sub = new CliArgumentError({ caller: 'f', argument: 'x', value: 1, expected: 'y' });
    expect(plain).not.toBeInstanceOf(ShapeError);
    expect(plain).not.toBeInstanceOf(CliArgumentError);
    expect(sub).toBeInstanceOf(CliArgumentError);
    expect(sub).toBeInstanceOf(InvalidArgumentError);
    expect(new Error('x')).not.toBeInstanceOf(ShapeError);
    expect(null).not.toBeInstanceOf(ShapeError);
    expect(isMsnError(new Error('x'))).toBe(false);
  });

  it('makes MsnError match every class of every copy, and narrow to the class asked about', () => {
    const thrown: unknown = samples(cjs).ShapeError;
    expect(thrown).toBeInstanceOf(MsnError);
    expect(samples(cjs).StateDictError).toBeInstanceOf(MsnError);
    expect(new Error('x')).not.toBeInstanceOf(MsnError);
    if (!(thrown instanceof ShapeError)) throw new Error('expected a ShapeError');
    const narrowed: ShapeError = thrown; // compile-time check: instanceof narrows to ShapeError, not MsnError
    expect(narrowed.name).toBe('ShapeError');
  });
});
