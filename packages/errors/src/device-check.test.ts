// The value checks on a host-memory backend: thrown at once, tensor freed either way, nothing left to settle.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { checkTensorValues, settleDeviceChecks } from './device-check';
import { InvalidArgumentError } from './invalid-argument-error';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const finite = (values: ArrayLike<number>) =>
  Array.from(values).every(Number.isFinite)
    ? undefined
    : new InvalidArgumentError({ caller: 'test', argument: 'x', value: 'tensor with NaN', expected: 'finite values' });

it('throws the failure at once on cpu and disposes the tensor', async () => {
  const before = tf.memory().numTensors;
  expect(() => checkTensorValues(tf.tensor1d([1, Number.NaN]), finite)).toThrow(InvalidArgumentError);
  expect(() => checkTensorValues(tf.tensor1d([1, 2]), finite)).not.toThrow();
  expect(tf.memory().numTensors).toBe(before);
  await expect(settleDeviceChecks()).resolves.toBeUndefined();
});
