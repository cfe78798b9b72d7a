// One rank of the MSNModule-under-ddpStrategy test: MSNModule trained by the Trainer on this rank's rows of every
// combined batch; writes its report (rank 0: the logged, rank-averaged values and every variable after each step).
import { writeFileSync } from 'node:fs';
import { registerGradients, useBackend, type TestBackend } from '@msn/test-utils';
import { initProcessGroup } from '../../distributed/init-process-group';
import { ddpStrategy } from '../ddp-strategy';
import { SETUP } from './equivalence-setup';
import { EquivalenceViews, createEquivalenceModule, trainEquivalenceModule } from './msn-module-run';

const options = JSON.parse(process.argv[2]!) as { tensorBackend: TestBackend /** Rank r writes `${output}-rank${r}.json`. */; output: string };
await registerGradients();
await useBackend(options.tensorBackend);
const group = await initProcessGroup();
// Different initial weights on every rank: the strategy's broadcast must replace them with rank 0's.
const module = createEquivalenceModule(SETUP.modelSeed + 1000 * group.rank);
const report = await trainEquivalenceModule(module, new EquivalenceViews(group.rank, group.worldSize), ddpStrategy(group));
// After the fit the module is a one-process module again (local BatchNorm statistics, local loss).
const tornDown = module.distributed === undefined && module.criterion.gatherDistributed === false;
writeFileSync(`${options.output}-rank${group.rank}.json`, JSON.stringify({ rank: group.rank, report, tornDown }));
module.dispose();
group.destroy();
