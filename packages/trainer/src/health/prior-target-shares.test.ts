import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeakedTensors, useBackend } from '@msn/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { priorTargetShares } from './prior-target-shares';

describe('priorTargetShares', () => {
  beforeAll(() => useBackend('cpu'));

  it("is 1/K for MSN, k^(-τ)/Σ for PMSN's power law, and a custom prior's output sorted largest first", async () => {
    expect(await priorTargetShares('uniform', 4)).toEqual([0.25, 0.25, 0.25, 0.25].map(Math.fround));
    const total = [1, 2, 3].reduce((sum, rank) => sum + rank ** -0.5, 0);
    const powerLaw = await priorTargetShares('power_law', 3, 0.5);
    [1, 2, 3].forEach((rank, index) => expect(Math.abs(powerLaw[index]! - rank ** -0.5 / total)).toBeLessThanOrEqual(1e-7));
    const custom = () => tf.tensor1d([0.1, 0.6, 0.3]);
    expect(await priorTargetShares(custom, 3)).toEqual([0.6, 0.3, 0.1].map(Math.fround));
  });

  it('frees every tensor it makes', async () => {
    await expectNoLeakedTensors(async () => void (await priorTargetShares('power_law', 8)));
  });

  it('rejects K < 1 and a custom prior of the wrong length, naming them', async () => {
    await expect(priorTargetShares('uniform', 0)).rejects.toThrow(/priorTargetShares: invalid argument 'numPrototypes' = 0; expected an integer >= 1/);
    await expect(priorTargetShares(() => tf.tensor1d([0.5, 0.5]), 3)).rejects.toThrow(/shape/);
  });
});
