// MSNModule trained by the Trainer on the DDP equivalence experiment's data: one process with the 2b combined batches
// (the test), or one rank of a ddpStrategy run with its b rows of each (msn-module-child.ts).
import type { Callback } from '../../lightning/callback';
import type { TrainLoader } from '../../lightning/lightning-module';
import { Trainer } from '../../lightning/trainer';
import { MSNModule, type MSNModuleBatch } from '../../msn-module/msn-module';
import type { StoredTensor } from '../../optim/optimizer-state';
import { constantSchedule } from '../../schedules/constant-schedule';
import type { TrainerStrategy } from '../trainer-strategy';
import { SETUP, createModel, readVariables, stepViews, type RunReport } from './equivalence-setup';
import { groupMSNViews } from '@msn/data';

/** The equivalence experiment's views, step by step: rank r of a world of n gets its interleaved rows of each step. */
export class EquivalenceViews implements TrainLoader<MSNModuleBatch> {
  readonly length = SETUP.steps;

  constructor(
    private readonly rank: number,
    private readonly worldSize: number,
  ) {}

  *batches(): Iterable<MSNModuleBatch> {
    for (let step = 0; step < SETUP.steps; step++) yield { views: groupMSNViews(stepViews(step, this.rank, this.worldSize), 2) };
  }
}

/**
 * An MSNModule (PMSN) with the experiment's architecture, constant hyper-parameters and active clipping, holding the
 * random weights of `createModel(modelSeed)`. The module seed, which the masks derive from, is the same everywhere.
 */
export function createEquivalenceModule(modelSeed: number): MSNModule {
  const module = new MSNModule({
    config: SETUP.config,
    seed: SETUP.maskSeed,
    prior: 'power_law',
    maxGradNorm: SETUP.maxGradNorm,
    schedules: {
      learningRate: constantSchedule(SETUP.learningRate),
      weightDecay: constantSchedule(SETUP.weightDecay),
      momentum: constantSchedule(SETUP.momentum),
      sharpenTemperature: constantSchedule(0.25),
    },
  });
  const source = createModel(modelSeed);
  const weights = new Map<string, StoredTensor>();
  for (const [name, variable] of source.namedVariables()) weights.set(name, { shape: [...variable.shape], data: variable.dataSync() as Float32Array });
  module.loadStateDict(weights);
  source.dispose();
  return module;
}

/**
 * Trains `module` for the experiment's steps with the Trainer (and `strategy`, if any). The report has the logged loss,
 * cross-entropy, regulariser and gradient norm of each step (under ddpStrategy: averaged over ranks) and every
 * variable after it, as seen by the callbacks (rank 0 only under a strategy), and the final weights' digest.
 */
export async function trainEquivalenceModule(module: MSNModule, loader: EquivalenceViews, strategy?: TrainerStrategy): Promise<RunReport> {
  const steps: RunReport['steps'] = [];
  const probe: Callback = {
    onTrainBatchEnd: (_trainer, _module, output) => {
      const { cross_entropy: crossEntropy, reg_loss: regLoss, grad_norm: gradNorm } = output.logs;
      steps.push({
        loss: output.loss,
        crossEntropy: crossEntropy!,
        regLoss: regLoss!,
        gradNorm: gradNorm!,
        gradients: {},
        parameters: readVariables(module.model).values,
      });
    },
  };
  const trainer = new Trainer({ maxSteps: SETUP.steps, callbacks: [probe], handleSignals: false, ...(strategy === undefined ? {} : { strategy }) });
  await trainer.fit(module, loader);
  return { steps, parameterDigest: readVariables(module.model).digest };
}
