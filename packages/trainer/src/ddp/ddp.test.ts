// The DDP setup in a world of one process: arguments, what it installs, memory. (Two ranks: equivalence.test.ts.)
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss } from '@msn/loss';
import { localBatchStatistics } from '@msn/vit';
import { FIXTURE_TOLERANCE, describeEachBackend, embeddedBackends, expectClose, expectNoLeakedTensors } from '@msn/test-utils';
import { describe, expect, it } from 'vitest';
import { SingleProcessGroup } from '../distributed/single-process-group';
import { InvalidArgumentError } from '@msn/errors';
import { MSNModel } from '../msn/msn-model';
import { msnTrainingStep } from '../msn/msn-training-step';
import { ddp } from './ddp';
import { DistributedOptimizer } from './distributed-optimizer';
import { rankSeed } from './rank-seed';

const CONFIG = {
  vit: { imageSize: 8, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 8, mlpDim: 16 },
  head: { hiddenDim: 16, outputDim: 8 },
  numPrototypes: 5,
};

function batch() {
  return {
    targets: tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 1) as tf.Tensor4D,
    anchors: tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 2) as tf.Tensor4D,
  };
}

describeEachBackend(['cpu'], 'ddp arguments', () => {
  const group = new SingleProcessGroup();
  it('names the option that is wrong', () => {
    const model = new MSNModel({ config: CONFIG, seed: 0 });
    try {
      expect(() => ddp(model, group, { root: 1 })).toThrow(InvalidArgumentError);
      expect(() => ddp(model, group, { root: 1 })).toThrow(/ddp: invalid argument 'root' = 1; expected a rank below the world size 1/);
      expect(() => ddp(model, group, { broadcast: true } as never)).toThrow(/broadcast/);
      expect(() => ddp(model, group, { synchronizeBatchNorm: 'yes' } as never)).toThrow(/synchronizeBatchNorm.*"yes".*boolean/);
      expect(() => ddp(model, {} as never)).toThrow(/'group'.*ProcessGroup/);
    } finally {
      model.dispose();
    }
  });
});

describe('rankSeed', () => {
  it('differs across ranks and steps, and is a pure function of (seed, rank, step)', () => {
    const seeds = new Set<number>();
    for (let rank = 0; rank < 4; rank++) for (let step = 0; step < 50; step++) seeds.add(rankSeed(7, rank, step));
    expect(seeds.size).toBe(200);
    expect(rankSeed(7, 1, 3)).toBe(rankSeed(7, 1, 3));
    expect(rankSeed(2 ** 40 + 7, 0, 0)).not.toBe(rankSeed(7, 0, 0));
    for (const seed of seeds) expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
  });
});

describeEachBackend(embeddedBackends(), 'ddp in a world of one', () => {
  it('installs synchronised statistics in both heads, distributed loss options, and detach restores local statistics', () => {
    const model = new MSNModel({ config: CONFIG, seed: 0 });
    try {
      const distributed = ddp(model, new SingleProcessGroup());
      expect(model.anchorHead.batchStatistics).not.toBe(localBatchStatistics);
      expect(model.targetHead.batchStatistics).toBe(model.anchorHead.batchStatistics);
      expect(distributed.lossOptions.gatherDistributed).toBe(true);
      expect([distributed.rank, distributed.worldSize]).toEqual([0, 1]);
      expect(distributed.maskSeed(3, 5)).toBe(rankSeed(3, 0, 5));
      distributed.detach();
      expect(model.anchorHead.batchStatistics).toBe(localBatchStatistics);
      expect(model.targetHead.batchStatistics).toBe(localBatchStatistics);
    } finally {
      model.dispose();
    }
  });

  it('trains exactly like the plain step in a world of one, with reduceGradients or the wrapped optimiser, leaking nothing', async () => {
    const plain = new MSNModel({ config: CONFIG, seed: 4 });
    const viaHook = new MSNModel({ config: CONFIG, seed: 4 });
    const viaOptimizer = new MSNModel({ config: CONFIG, seed: 4 });
    const group = new SingleProcessGroup();
    const [hook, wrapped] = [ddp(viaHook, group), ddp(viaOptimizer, group)];
    const optimizers = [plain.createOptimizer(), viaHook.createOptimizer(), wrapped.wrapOptimizer(viaOptimizer.createOptimizer())];
    expect(optimizers[2]).toBeInstanceOf(DistributedOptimizer);
    const losses = [new MSNLoss(), new MSNLoss(hook.lossOptions), new MSNLoss(wrapped.lossOptions)];
    const data = batch();
    try {
      const step = async () => [
        await msnTrainingStep(plain, data, { optimizer: optimizers[0]!, loss: losses[0], maskSeed: 1, maxGradNorm: 1 }),
        await msnTrainingStep(viaHook, data, {
          optimizer: optimizers[1]!,
          loss: losses[1],
          maskSeed: 1,
          maxGradNorm: 1,
          reduceGradients: hook.reduceGradients,
        }),
        await msnTrainingStep(viaOptimizer, data, { optimizer: optimizers[2]!, loss: losses[2], maskSeed: 1, maxGradNorm: 1 }),
      ];
      // One rank's sums and means are its own values, so only the statistics' float32 rounding differs (Σx/n
      // against tf.mean), far below the fixtures' tolerance.
      for (let repeat = 0; repeat < 2; repeat++) {
        const [first, ...others] = await step();
        for (const [index, other] of others.entries()) {
          for (const key of ['loss', 'crossEntropy', 'regLoss', 'gradNorm'] as const) {
            expectClose(other[key], first![key], { label: `run ${index + 1} step ${repeat + 1} ${key}`, tolerance: FIXTURE_TOLERANCE });
          }
        }
      }
      // Parameters with a zero gradient in exact arithmetic move by float32 noise (equivalence.test.ts bounds them).
      const loose = /in_proj_bias|encoder\.ln\.bias|layers\.1\.running_mean/;
      for (const [name, variable] of [...plain.namedVariables()].filter(([name]) => !loose.test(name))) {
        expectClose(viaHook.namedVariables().get(name)!, variable, { label: `reduceGradients ${name}`, tolerance: FIXTURE_TOLERANCE });
        expectClose(viaOptimizer.namedVariables().get(name)!, variable, { label: `wrapOptimizer ${name}`, tolerance: FIXTURE_TOLERANCE });
      }
      await expectNoLeakedTensors(async () => {
        await msnTrainingStep(viaHook, data, { optimizer: optimizers[1]!, loss: losses[1], maskSeed: 1, reduceGradients: hook.reduceGradients });
        await msnTrainingStep(viaOptimizer, data, { optimizer: optimizers[2]!, loss: losses[2], maskSeed: 1 });
      });
      // The wrapper shows the wrapped optimiser's hyper-parameters and state.
      optimizers[2]!.learningRate = 0.5;
      expect((optimizers[2] as DistributedOptimizer).inner.learningRate).toBe(0.5);
      expect(Object.keys((await optimizers[2]!.getState()).tensors).length).toBeGreaterThan(0);
    } finally {
      tf.dispose(Object.values(data));
      optimizers.forEach((optimizer) => optimizer.dispose());
      [plain, viaHook, viaOptimizer].forEach((model) => model.dispose());
    }
  });

  it('msnTrainingStep rejects a reduceGradients that is not a function', async () => {
    const model = new MSNModel({ config: CONFIG, seed: 0 });
    const optimizer = model.createOptimizer();
    const data = batch();
    try {
      await expect(msnTrainingStep(model, data, { optimizer, reduceGradients: 3 as never })).rejects.toThrow(/'reduceGradients' = 3; expected a function/);
    } finally {
      tf.dispose(Object.values(data));
      optimizer.dispose();
      model.dispose();
    }
  });
});
