// @file The DDP trainer: `mpirun -np 2 node --import tsx src/main.ts [flags]` starts one process per rank. It trains like
// apps/lightning (the same flags, recipe, MSNModule and callbacks) with the Trainer's ddp strategy: every rank trains on
// its share of each batch and the job trains one model on the combined batch. Rank 0 logs, checkpoints and finally
// prints the label-efficiency table (trained encoder vs. the same encoder untrained vs. raw pixels).
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  formatUsage,
  openRecipeDataset,
  parseArguments,
  recipeLoader,
  recipeModuleOptions,
  recipeTotalSteps,
  reportRecipeEvaluation,
  resolveRecipePrior,
  resolveTrainingRecipe,
  run,
} from '@msn/app-kit';
import {
  CollapseMonitor,
  CsvLogger,
  JsonLinesLogger,
  LearningRateMonitor,
  MSNModule,
  ModelCheckpoint,
  ProgressBar,
  RunReport,
  TensorBoardLogger,
  ThroughputMonitor,
  Trainer,
  formatDuration,
  type Callback,
  type FitResult,
  type Logger,
} from '@msn/trainer/lightning';
import { ddpStrategy, initProcessGroup } from '@msn/trainer/ddp';
import { priorTargetShares, writeHealthFile, writeRunReport } from '@msn/trainer/report';
import { setupTensorflow } from '@msn/trainer';
import { FLAGS } from './flags';

const APP = { program: 'mpirun -np N node --import tsx src/main.ts', out: 'runs/ddp' };

/** Rank 0's record of when each step ended, for the steady-state throughput (the first step warms up). */
function throughputProbe(): Callback & { imagesPerSecond(): number | undefined } {
  const ends: { time: number; images: number }[] = [];
  return {
    onTrainBatchEnd: (_trainer, _module, output) => void ends.push({ time: performance.now(), images: output.batchSize ?? 0 }),
    imagesPerSecond: () => {
      if (ends.length < 2) return undefined;
      const images = ends.slice(1).reduce((total, end) => total + end.images, 0);
      return images / ((ends.at(-1)!.time - ends[0]!.time) / 1000);
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

await run(async () => {
  const flags = parseArguments(FLAGS);
  if (flags.help) {
    // Once per job, not once per rank.
    if ((process.env.OMPI_COMM_WORLD_RANK ?? process.env.PMI_RANK ?? process.env.PMIX_RANK ?? '0') === '0')
      process.stdout.write(`${formatUsage(APP.program, FLAGS)}\n`);
    return;
  }
  const recipe = resolveTrainingRecipe(flags, { out: APP.out });
  const started = performance.now();
  // Files and flags are checked before any rank waits for the others.
  const prior = await resolveRecipePrior(recipe);
  // MPI under mpirun / srun --mpi=pmix / an MPIJob; a world of one under plain node.
  const group = await initProcessGroup();
  const leader = group.rank === 0;
  let module: MSNModule | undefined;
  let evaluation: (() => Promise<void>) | undefined;
  try {
    try {
      const backend = await setupTensorflow({ ...(recipe.backend === undefined ? {} : { backend: recipe.backend }), ...(leader ? {} : { log: false }) });
      const data = openRecipeDataset(recipe);
      if (leader) {
        await mkdir(recipe.out, { recursive: true });
        await writeFile(
          join(recipe.out, 'config.json'),
          `${JSON.stringify({ ...recipe, worldSize: group.worldSize, backendUsed: backend.description }, null, 2)}\n`,
        );
      }

      // Data: MSN's views, as apps/lightning makes them. Every rank sees the same shuffled order and takes its interleaved
      // share; views depend only on (seed, epoch, index), so the job's batches are those of one process with batch
      // batch-size × world size (with one rank, exactly apps/lightning's).
      const loader = recipeLoader(recipe, data, { rank: group.rank, worldSize: group.worldSize });
      const totalSteps = recipeTotalSteps(recipe, loader.length);

      // MSNModule trains data-parallel under ddpStrategy (synchronised BatchNorm, distributed loss, the combined batch's
      // masks, gradients averaged before clipping).
      module = new MSNModule(recipeModuleOptions(recipe, prior, { stepsPerEpoch: loader.length, totalSteps }));
      const checkpoints = join(recipe.out, 'checkpoints');
      const probe = throughputProbe();
      // Warns on rank 0 when the ranks' mean health metrics show a collapse.
      const collapseMonitor = new CollapseMonitor();
      // health.json: the monitor's summary, rank 0's sorted prototype usage and the prior's target beside it.
      const trained = module;
      const priorTarget = { description: prior.description, shares: await priorTargetShares(prior.prior, recipe.config.numPrototypes, prior.powerLawExponent) };
      const writeHealth = () => writeHealthFile(recipe.out, { ...collapseMonitor.summary(), prototypeShares: trained.prototypeShares(), prior: priorTarget });
      const loggers: Logger[] = [new CsvLogger(join(recipe.out, 'metrics.csv')), new JsonLinesLogger(join(recipe.out, 'metrics.jsonl'))];
      if (recipe.tensorboard !== false) loggers.push(new TensorBoardLogger(recipe.out));
      // Callbacks and loggers are given on every rank; the Trainer keeps them on rank 0 only.
      const trainer = new Trainer({
        maxSteps: totalSteps,
        strategy: ddpStrategy(group),
        callbacks: [
          collapseMonitor,
          new ModelCheckpoint({ dirpath: checkpoints, everyNTrainSteps: recipe.checkpointEvery, keepLast: 2 }),
          new LearningRateMonitor(),
          // The step's batch size is the job's (the ranks' sum), so images/s and the progress bar are the whole job's.
          new ThroughputMonitor(),
          probe,
          ...(flags.progress ? [new ProgressBar({ printEveryNSteps: 10 })] : []),
          new RunReport({ folder: recipe.out, everyNTrainSteps: recipe.checkpointEvery, beforeWrite: writeHealth }),
        ],
        loggers,
        defaultRootDir: recipe.out,
      });
      if (leader) {
        const { vit, head, numPrototypes, maskRatio } = recipe.config;
        console.log(
          `example-ddp: ${group.worldSize} rank(s) on ${group.backend}, ${recipe.batchSize} images per rank (${recipe.batchSize * group.worldSize} per step), ${data.name} (${data.train.length} images), prior ${recipe.prior}`,
        );
        process.stderr.write(
          `data: ${data.description}\n` +
            `model: ViT ${vit.imageSize}px patch ${vit.patchSize}, dim ${vit.hiddenDim}, depth ${vit.numLayers}, ${vit.numHeads} heads, MLP ${vit.mlpDim}; ` +
            `head ${head.hiddenDim} → ${head.outputDim}; K ${numPrototypes}; mask ${maskRatio}; prior ${prior.description}\n` +
            `views: ${recipe.randomViews} × ${recipe.imageSize}px + ${recipe.focalViews} × ${recipe.focalSize}px, batch ${recipe.batchSize} × ${group.worldSize} ranks, ${totalSteps} steps; output ${recipe.out}\n`,
        );
      }
      // Rank 0 decides whether to resume and reads the checkpoint for every rank. `auto` resumes when there is one, so
      // the same command line serves the first attempt and the rerun after a failed job.
      const last = join(checkpoints, 'last');
      const ckptPath = recipe.resume === 'auto' ? ((await exists(last)) ? last : undefined) : recipe.resume;
      const fitStarted = performance.now();
      const fitted: FitResult = await trainer.fit(module, loader, { ...(leader && ckptPath !== undefined ? { ckptPath } : {}) });
      await loader.close();
      if (!leader) return;
      const health = collapseMonitor.summary();
      await writeHealth();
      const rate = probe.imagesPerSecond();
      console.log(
        `example-ddp: ${fitted.stopReason} after step ${fitted.globalStep}/${totalSteps}; loss ${trainer.callbackMetrics.loss?.toFixed(4)}; ` +
          `${rate === undefined ? '' : `${rate.toFixed(1)} images/s, `}${((performance.now() - fitStarted) / 1000).toFixed(1)} s; checkpoints in ${checkpoints}`,
      );
      console.log(
        JSON.stringify({
          summary: {
            steps: fitted.globalStep,
            stopReason: fitted.stopReason,
            loss: trainer.callbackMetrics.loss,
            imagesPerSecond: rate,
            worldSize: group.worldSize,
            collapseWarnings: health.warnings.map((warning) => warning.kind),
          },
        }),
      );
      if (fitted.stopReason === 'interrupted' || !recipe.evaluate || data.evaluation === undefined) return;
      // After the group is gone: the other ranks need not wait for rank 0's evaluation (the fit tore the module's
      // distributed setup down; evaluation uses no collective).
      evaluation = async () => {
        await reportRecipeEvaluation(trained.model, recipe, data);
        process.stderr.write(`total wall time ${formatDuration((performance.now() - started) / 1000)}\n`);
        process.stderr.write(`report: ${(await writeRunReport(recipe.out)).path}\n`);
      };
    } finally {
      group.destroy();
    }
    await evaluation?.();
  } finally {
    module?.dispose();
  }
});
