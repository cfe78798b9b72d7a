// One rank of the MSNModule-under-ddpStrategy test: the Trainer's MSN module trained data-parallel, unchanged.
import { createHash } from 'node:crypto';
import { registerGradients, useBackend } from '@msn/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { differentiableAllReduce } from '../../distributed/differentiable-all-reduce';
import { initProcessGroup } from '../../distributed/init-process-group';
import type { TrainLoader } from '../../lightning/lightning-module';
import { Trainer } from '../../lightning/trainer';
import { MSNModule, type MSNModuleBatch } from '../../msn-module/msn-module';
import { ddp } from '../ddp';
import { ddpStrategy } from '../ddp-strategy';

/** Random views per (epoch, batch, rank): every rank its own images. */
class RandomViews implements TrainLoader<MSNModuleBatch> {
  readonly length = 3;
  constructor(private readonly rank: number) {}
  *batches({ epoch }: { epoch: number }): Iterable<MSNModuleBatch> {
    for (let index = 0; index < this.length; index++) {
      const seed = 1000 * epoch + 10 * index + this.rank;
      yield { views: [16, 16, 8, 8].map((size, view) => tf.randomNormal([3, 3, size, size], 0, 1, 'float32', seed * 7 + view) as tf.Tensor4D) };
    }
  }
}

await registerGradients();
await useBackend('cpu');
const group = await initProcessGroup({ backend: 'auto', timeoutMs: 30_000, rendezvousTimeoutMs: 30_000 });
const module = new MSNModule({
  config: { vit: { imageSize: 16, patchSize: 4, numLayers: 1, numHeads: 2, hiddenDim: 16, mlpDim: 32 }, head: { hiddenDim: 32, outputDim: 16 }, numPrototypes: 8 },
  // Different seeds per rank: the strategy's broadcast must make the ranks start from rank 0's weights.
  seed: group.rank,
  prior: 'power_law',
  // The distributed loss through MSNModule's own loss options.
  loss: { gatherDistributed: true, allReduce: (tensor) => differentiableAllReduce(group, tensor) },
});
// Synchronised BatchNorm in both heads (the strategy broadcasts the weights; it averages the optimiser's gradients).
ddp(module.model, group, { broadcastWeights: false });
const losses: number[] = [];
const trainer = new Trainer({
  maxSteps: 4,
  strategy: ddpStrategy(group),
  handleSignals: false,
  callbacks: [{ onTrainBatchEnd: (_trainer, _module, output) => void losses.push(output.loss) }],
});
const result = await trainer.fit(module, new RandomViews(group.rank));
const hash = createHash('sha256');
for (const [name, variable] of module.model.namedVariables()) {
  const values = variable.dataSync() as Float32Array;
  hash.update(name).update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}
console.log(JSON.stringify({ rank: group.rank, result, losses, digest: hash.digest('hex') }));
module.dispose();
group.destroy();
