// @file The main job with the Lightning-like Trainer: MSNModule + DataLoader + callbacks (checkpoints, learning-rate
// and throughput monitors, progress bar, training report, optional early stopping) + CSV / JSON-lines / TensorBoard
// loggers + k-NN validation, then the label-efficiency table (trained encoder vs. the same encoder untrained vs. raw
// pixels).
import { join } from 'node:path';
import { DataLoader, PlainTransform, RandomSampler, type ImageDataset, type Sampler } from '@msn/data';
import { MSN_TRAINING_FLAGS, prepareRun, recipeLoader, recipeModuleOptions, recipeTotalSteps, reportRecipeEvaluation, run } from '@msn/app-kit';
import {
  CollapseMonitor,
  CsvLogger,
  EarlyStopping,
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
  type Logger,
} from '@msn/trainer/lightning';
import { priorTargetShares, writeHealthFile, writeRunReport } from '@msn/trainer/report';

// Configuration: the shared training flags (defaults: the main job, a few minutes on synthetic shapes; `--help`
// lists them) plus this app's validation and early-stopping flags and its output folder.
const FLAGS = {
  ...MSN_TRAINING_FLAGS,
  valEveryNEpochs: { type: 'integer', minimum: 0, default: 8, description: 'k-NN validation on a held-out labelled split every n epochs (0: never)' },
  valImages: { type: 'integer', minimum: 1, default: 600, description: 'images of the validation split and of its k-NN reference set' },
  earlyStoppingPatience: { type: 'integer', minimum: 1, description: 'stop when the validation k-NN accuracy has not improved for n validations' },
} as const;
const APP = { program: 'pnpm --filter @msn/example-lightning start --', out: 'runs/lightning' };

await run(async () => {
  // Flags (or --help), recipe, backend (printed), data, prior and <out>/config.json.
  const prepared = await prepareRun(FLAGS, APP);
  if (prepared === undefined) return;
  const { flags, recipe, data, prior, started } = prepared;

  // Data: MSN's views by role ({ target, anchors, focal }), shuffled per epoch.
  const loader = recipeLoader(recipe, data);
  const totalSteps = recipeTotalSteps(recipe, loader.length);

  // Validation: k-NN accuracy of the target encoder on held-out labelled images, against a labelled reference set.
  const validate = flags.valEveryNEpochs > 0 && data.evaluation !== undefined;
  const labelled = (dataset: ImageDataset) => ({
    length: Math.ceil(Math.min(flags.valImages, dataset.length) / 200),
    batches: ({ epoch }: { epoch: number }) =>
      new DataLoader(dataset, {
        batchSize: 200,
        transform: new PlainTransform({ size: recipe.imageSize, normalize: data.normalize }),
        sampler: fixedSubset(dataset.length, flags.valImages),
      }).batches({ epoch }),
  });

  const module = new MSNModule({
    ...recipeModuleOptions(recipe, prior, { stepsPerEpoch: loader.length, totalSteps }),
    ...(validate ? { validation: { reference: labelled(data.evaluation!.train) } } : {}),
  });
  // Warns (stderr, health.json) when the health metrics MSNModule logs show a collapse.
  const collapseMonitor = new CollapseMonitor();
  // health.json: the monitor's summary, the sorted prototype usage and the prior's target beside it.
  const priorTarget = { description: prior.description, shares: await priorTargetShares(prior.prior, recipe.config.numPrototypes, prior.powerLawExponent) };
  const writeHealth = () => writeHealthFile(recipe.out, { ...collapseMonitor.summary(), prototypeShares: module.prototypeShares(), prior: priorTarget });
  const callbacks: Callback[] = [
    collapseMonitor,
    new ModelCheckpoint({ dirpath: join(recipe.out, 'checkpoints'), everyNTrainSteps: recipe.checkpointEvery, keepLast: 2 }),
    new LearningRateMonitor(),
    new ThroughputMonitor(),
    new ProgressBar({ printEveryNSteps: 10 }),
    // report.html at each checkpoint and at the end of the fit (and once more after the evaluation, below).
    new RunReport({ folder: recipe.out, everyNTrainSteps: recipe.checkpointEvery, beforeWrite: writeHealth }),
  ];
  const loggers: Logger[] = [new CsvLogger(join(recipe.out, 'metrics.csv')), new JsonLinesLogger(join(recipe.out, 'metrics.jsonl'))];
  if (recipe.tensorboard !== false) loggers.push(new TensorBoardLogger(recipe.out));
  if (validate && flags.earlyStoppingPatience !== undefined)
    callbacks.push(new EarlyStopping({ monitor: 'knn_accuracy', mode: 'max', patience: flags.earlyStoppingPatience }));
  const trainer = new Trainer({
    maxSteps: totalSteps,
    ...(validate ? { checkValEveryNEpochs: flags.valEveryNEpochs } : {}),
    callbacks,
    loggers,
    defaultRootDir: recipe.out,
  });
  const { vit, head, numPrototypes, maskRatio } = recipe.config;
  process.stderr.write(
    `data: ${data.description}\n` +
      `model: ViT ${vit.imageSize}px patch ${vit.patchSize}, dim ${vit.hiddenDim}, depth ${vit.numLayers}, ${vit.numHeads} heads, MLP ${vit.mlpDim}; ` +
      `head ${head.hiddenDim} → ${head.outputDim}; K ${numPrototypes}; mask ${maskRatio}; prior ${prior.description}\n` +
      `views: ${recipe.randomViews} × ${recipe.imageSize}px + ${recipe.focalViews} × ${recipe.focalSize}px, batch ${recipe.batchSize}, ${totalSteps} steps; output ${recipe.out}\n`,
  );

  try {
    const fitted = await trainer.fit(module, loader, {
      ...(recipe.resume === undefined ? {} : { ckptPath: recipe.resume }),
      ...(validate ? { valLoader: labelled(data.evaluation!.test) } : {}),
    });
    await loader.close();
    await writeHealth();
    process.stderr.write(
      `fit ended (${fitted.stopReason}) at step ${fitted.globalStep}/${totalSteps}; checkpoints in ${join(recipe.out, 'checkpoints')} (resume: --resume ${join(recipe.out, 'checkpoints', 'last')})\n`,
    );
    if (fitted.stopReason === 'interrupted' || !recipe.evaluate || data.evaluation === undefined) return;
    await reportRecipeEvaluation(module.model, recipe, data);
    process.stderr.write(`total wall time ${formatDuration((performance.now() - started) / 1000)}\n`);
    process.stderr.write(`report: ${(await writeRunReport(recipe.out)).path}\n`);
  } finally {
    module.dispose();
  }
});

/** A fixed random subset of `count` images (the same every validation), in index order. */
function fixedSubset(datasetLength: number, count: number): Sampler {
  const chosen = new RandomSampler(datasetLength, { seed: 1 })
    .indices()
    .slice(0, count)
    .sort((left, right) => left - right);
  return { length: chosen.length, setEpoch: () => {}, indices: () => chosen };
}
