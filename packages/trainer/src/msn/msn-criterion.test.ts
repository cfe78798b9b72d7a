import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { createMSNCriterion, probePrior } from './msn-criterion';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('createMSNCriterion', () => {
  it('reports unnormalised and throwing priors with their cause', () => {
    const unnormalised = function doubled(q: tf.Tensor1D) {
      return tf.mul(q, 2) as tf.Tensor1D;
    };
    expect(() => probePrior(unnormalised, 8)).toThrow(/prior doubled \[sum\]' = 2/);
    const throwing = () => {
      throw new Error('boom');
    };
    const error = (() => {
      try {
        probePrior(throwing, 8, 'my-prior.mjs#default');
      } catch (caught) {
        return caught as InvalidArgumentError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error!.message).toMatch(/prior my-prior.mjs#default.*boom/);
    expect(error!.cause).toBeDefined();
  });

  it('builds the loss of each prior option and checks its arguments', () => {
    expect(createMSNCriterion({ numPrototypes: 8 }).targetDistribution).toBe('uniform');
    const pmsn = createMSNCriterion({ numPrototypes: 8, prior: 'power_law', powerLawExponent: 0.75, temperature: 0.2 });
    expect([pmsn.targetDistribution, pmsn.powerLawExponent, pmsn.temperature]).toEqual(['power_law', 0.75, 0.2]);
    expect(() => createMSNCriterion({ numPrototypes: 8, prior: 'power_law', powerLawExponent: -1 })).toThrow(/'powerLawExponent' = -1/);
    expect(() => createMSNCriterion({ numPrototypes: 0 })).toThrow(/'numPrototypes' = 0/);
    expect(() => createMSNCriterion({ numPrototypes: 8, temperature: -1 })).toThrow(/temperature.*-1/);
  });
});
