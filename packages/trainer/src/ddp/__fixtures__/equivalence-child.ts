// One rank of the DDP equivalence test (started by mpirun): trains MSN and PMSN for a few steps on its shard and writes a report.
import { writeFileSync } from 'node:fs';
import { registerGradients, useBackend, type TestBackend } from '@msn/test-utils';
import { initProcessGroup } from '../../distributed/init-process-group';
import { ddp } from '../ddp';
import * as tf from '@tensorflow/tfjs-core';
import { SETUP, createLoss, createModel, runSteps, stepBatch, type LossKind, type RunReport, type Variant } from './equivalence-setup';

const options = JSON.parse(process.argv[2]!) as {
  tensorBackend: TestBackend;
  /** Each rank writes `${output}-rank${rank}.json`. */
  output: string;
  runs: { kind: LossKind; variant: Variant }[];
};
await registerGradients();
await useBackend(options.tensorBackend);
const group = await initProcessGroup();
/** b: the combined batch of the one-process run split over the ranks. */
const perRankBatch = (SETUP.worldSize * SETUP.perRankBatch) / group.worldSize;
const reports: Record<string, RunReport> = {};
// ddp's shardMasks must give this rank exactly the rows the test splits from the combined batch's masks.
let shardMasksAgree = true;
{
  const model = createModel(SETUP.modelSeed);
  const distributed = ddp(model, group, { broadcastWeights: false, synchronizeBatchNorm: false });
  for (let step = 0; step < SETUP.steps; step++) {
    const batch = stepBatch(model, step, group.rank, group.worldSize);
    const masks = distributed.shardMasks(SETUP.maskSeed * 7919 + step, { anchors: batch.anchors, focal: batch.focal!, batchSize: perRankBatch });
    for (const [mine, expected] of [
      [masks.idxKeepAnchors, batch.idxKeepAnchors],
      [masks.idxKeepFocal, batch.idxKeepFocal],
    ] as const) {
      shardMasksAgree &&= mine !== undefined && tf.util.arraysEqual(mine.shape, expected!.shape) && tf.util.arraysEqual(mine.dataSync(), expected!.dataSync());
    }
    tf.dispose([...Object.values(batch).flat(), ...Object.values(masks)] as tf.Tensor[]);
  }
  model.dispose();
}
for (const { kind, variant } of options.runs) {
  // Different initial weights on every rank: only the broadcast makes them start from rank 0's.
  const model = createModel(SETUP.modelSeed + 1000 * group.rank);
  const distributed = ddp(model, group, { synchronizeBatchNorm: variant !== 'local-batch-norm' });
  const loss = createLoss(kind, variant === 'local-loss' ? {} : distributed.lossOptions);
  const report =
    variant === 'clip-before-average'
      ? await runSteps(model, loss, group.rank, group.worldSize, undefined, (optimizer) => distributed.wrapOptimizer(optimizer))
      : await runSteps(model, loss, group.rank, group.worldSize, distributed.reduceGradients);
  // Rank 0 reports everything; the others only what must agree with it (their losses are their own shard's).
  reports[`${kind}/${variant}`] = group.rank === 0 ? report : { ...report, steps: report.steps.map((step) => ({ ...step, gradients: {}, parameters: {} })) };
  model.dispose();
}
writeFileSync(`${options.output}-rank${group.rank}.json`, JSON.stringify({ rank: group.rank, backend: group.backend, reports, shardMasksAgree }));
group.destroy();
