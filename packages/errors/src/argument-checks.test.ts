// Each check accepts exactly its domain and names caller, argument, value and expectation when it rejects.
import type * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  ShapeError,
  assertBoolean,
  assertDtype,
  assertFiniteNumber,
  assertInRange,
  assertInteger,
  assertKnownKeys,
  assertNonNegativeFinite,
  assertOneOf,
  assertOptions,
  assertPositiveFinite,
  assertProbability,
  assertRank,
  assertString,
} from './index';

type Check = (caller: string, argument: string, value: unknown) => void;

function accepts(check: Check, values: unknown[]): void {
  for (const value of values) expect(() => check('f', 'x', value), String(value)).not.toThrow();
}

function rejects(check: Check, values: unknown[], expected: string): void {
  for (const value of values) {
    const call = () => check('f', 'x', value);
    expect(call, String(value)).toThrow(InvalidArgumentError);
    expect(call).toThrow(`f: invalid argument 'x' = `);
    expect(call).toThrow(`; expected ${expected}`);
  }
}

describe('scalar checks', () => {
  it('accept their domain and reject everything else', () => {
    accepts(assertFiniteNumber, [0, -1.5, 1e300]);
    rejects(assertFiniteNumber, [NaN, Infinity, '1', undefined], 'a finite number');
    accepts(assertPositiveFinite, [1e-30, 3]);
    rejects(assertPositiveFinite, [0, -1, Infinity, null], 'a finite number > 0');
    accepts(assertNonNegativeFinite, [0, 2]);
    rejects(assertNonNegativeFinite, [-1e-9, NaN], 'a finite number >= 0');
    accepts(assertInteger, [0, 7, Number.MAX_SAFE_INTEGER]);
    rejects(assertInteger, [-1, 1.5, 2 ** 60, '3'], 'an integer >= 0');
    rejects((caller, argument, value) => assertInteger(caller, argument, value, 2), [1], 'an integer >= 2');
    accepts(assertProbability, [0, 0.5, 1]);
    rejects(assertProbability, [-0.1, 1.1, NaN], 'a number in [0, 1]');
    accepts(assertBoolean, [true, false]);
    rejects(assertBoolean, [0, 'true'], 'true or false');
    accepts(assertString, ['a']);
    rejects(assertString, ['', 1], 'a non-empty string');
    accepts((caller, argument, value) => assertOneOf(caller, argument, value, ['a', 'b']), ['a', 'b']);
    rejects((caller, argument, value) => assertOneOf(caller, argument, value, ['a', 'b']), ['c', 1], 'one of "a", "b"');
  });

  it('write open and closed interval ends as they are checked', () => {
    const halfOpen: Check = (caller, argument, value) => assertInRange(caller, argument, value, 0, 1, { lowInclusive: false });
    accepts(halfOpen, [1e-9, 1]);
    rejects(halfOpen, [0, 1.01], 'a number in (0, 1]');
    const open: Check = (caller, argument, value) => assertInRange(caller, argument, value, -1, 1, { lowInclusive: false, highInclusive: false });
    rejects(open, [-1, 1], 'a number in (-1, 1)');
  });

  it('name an unknown option, inside its options argument when given', () => {
    expect(() => assertKnownKeys('f', { lr: 1 }, ['lr', 'momentum'])).not.toThrow();
    expect(() => assertKnownKeys('f', { learningrate: 1 }, ['lr', 'momentum'])).toThrow(
      "f: invalid argument 'learningrate' = 1; expected no such option; known options are lr, momentum",
    );
    expect(() => assertKnownKeys('f', { maskratio: 0.1 }, ['maskRatio'], 'config')).toThrow("invalid argument 'config.maskratio' = 0.1");
    expect(() => assertOptions('f', null, ['lr'], '{ lr }')).toThrow("f: invalid argument 'options' = null; expected { lr }");
    expect(() => assertOptions('f', 3, ['lr'], '{ lr }')).toThrow("f: invalid argument 'options' = 3; expected { lr }");
    expect(() => assertOptions('f', { lr: 1, momentum: 0 }, ['lr'], '{ lr }')).toThrow("invalid argument 'momentum' = 0; expected no such option");
    expect(() => assertOptions('f', { lr: 1 }, ['lr'], '{ lr }')).not.toThrow();
  });
});

describe('tensor checks', () => {
  it('name the argument, the layout expected and the shape given', () => {
    // Only shape and dtype are read, so tensor-shaped records stand in for tensors (no backend needed).
    const tensor = (shape: number[]) => ({ shape, rank: shape.length, size: shape.reduce((a, b) => a * b, 1), dtype: 'float32' }) as unknown as tf.Tensor;
    const matrix = tensor([2, 3]);
    const empty = tensor([0]);
    expect(() => assertRank('f', 'x', matrix, 2, '[rows, classes]')).not.toThrow();
    expect(() => assertRank('f', 'x', matrix, 1, '[K]')).toThrow(new ShapeError("f: 'x' must be a 1-D [K] tensor, got shape [2,3]"));
    expect(() => assertRank('f', 'x', empty, 1, '[K]')).not.toThrow();
    expect(() => assertRank('f', 'x', empty, 1, '[K]', { nonEmpty: true })).toThrow("f: 'x' must be a non-empty 1-D [K] tensor, got shape [0]");
    expect(() => assertDtype('f', 'x', matrix, 'float32')).not.toThrow();
    expect(() => assertDtype('f', 'x', matrix, 'int32')).toThrow('f: invalid argument \'x\' = "float32 tensor"; expected a int32 tensor');
  });
});
