// One rank of the DDP equivalence test: trains MSN and PMSN for a few steps on its shard and writes a report.
import { writeFileSync } from 'node:fs';
import { registerGradients, useBackend, type TestBackend } from '@msn/test-utils';
import { initProcessGroup } from '../../distributed/init-process-group';
import type { BackendPreference } from '../../distributed/protocol';
import { ddp } from '../ddp';
import { SETUP, createLoss, createModel, runSteps, type LossKind, type RunReport, type Variant } from './equivalence-setup';

const options = JSON.parse(process.argv[2]!) as {
  backend: BackendPreference;
  tensorBackend: TestBackend;
  output: string;
  runs: { kind: LossKind; variant: Variant }[];
};
await registerGradients();
await useBackend(options.tensorBackend);
const group = await initProcessGroup({ backend: options.backend, timeoutMs: 60_000, rendezvousTimeoutMs: 60_000 });
const reports: Record<string, RunReport> = {};
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
  reports[`${kind}/${variant}`] = group.rank === 0 ? report : { ...report, parameters: {}, steps: report.steps.map((step) => ({ ...step, gradients: {} })) };
  model.dispose();
}
writeFileSync(options.output, JSON.stringify({ rank: group.rank, backend: group.backend, reports }));
group.destroy();
