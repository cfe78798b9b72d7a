import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss, PMSNLoss } from '@msn/loss';
import { describeEachBackend, embeddedBackends } from '@msn/test-utils';
import { expect, it } from 'vitest';
import { trainDemo, type DemoConfig } from './demo';

const tiny: DemoConfig = {
  numClusters: 3,
  inputDim: 8,
  embedDim: 4,
  numPrototypes: 5,
  batchSize: 6,
  numViews: 2,
  maskRatio: 0.3,
  steps: 2,
  learningRate: 0.02,
  momentum: 0.9,
  seed: 3,
};

describeEachBackend(embeddedBackends(), 'example-plain demo', () => {
  it('runs two training steps with finite losses for MSN and PMSN, freeing every tensor', () => {
    for (const criterion of [new MSNLoss(), new PMSNLoss()]) {
      const before = tf.memory().numTensors;
      const logs = trainDemo(criterion, tiny);
      expect(logs.map((log) => log.step)).toEqual([1, 2]);
      for (const log of logs) {
        for (const value of [log.loss, log.crossEntropy, log.regLoss]) expect(Number.isFinite(value)).toBe(true);
        expect(log.crossEntropy).toBeGreaterThan(0);
        // λ = 1 for both losses: the trained loss is the logged cross-entropy plus the regulariser.
        expect(log.loss).toBeCloseTo(log.crossEntropy + log.regLoss, 4);
      }
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
