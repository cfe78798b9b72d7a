// @file The fmnist-tiny quality benchmark (issue 5): the reference protocol on Fashion-MNIST, with its loss windows,
// ms/step, wall time and label-efficiency evaluations next to the random-init encoder and raw pixels.
//
// npx -y pnpm@12.4.2 --filter @msn/example-plain... build && npx -y pnpm@12.4.2 --filter @msn/example-plain bench
// (flags after `--`: --steps 600 --eval-at 600 [--eval-subset n] [--backend wasm] [--out runs/fmnist-tiny] [--workers 1]
//  [--entropy-weight 1: the trainer recipe's default instead of the protocol's 0])
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { FASHION_MNIST_FOLDER, type TrainingRecipe, formatUsage, openDataset, parseArguments, run } from '@msn/app-kit';
import { formatDuration } from '@msn/trainer/lightning';
import { compareEncoders, formatLabelEfficiencyTable, type LabelEfficiencyRow, type NamedEncoder } from '@msn/trainer/evaluation';
import { writeRunReport } from '@msn/trainer/report';
import { MSNModel, msnPreset, resolveMSNConfig, setupTensorflow } from '@msn/trainer';
import { pretrain, type StepRecord } from '../src/pretrain';

const FLAGS = {
  steps: { type: 'integer', minimum: 1, default: 600, description: 'training steps' },
  evalAt: { type: 'string', default: '600', description: 'steps after which to evaluate, comma-separated (e.g. 600,3000)' },
  evalSubset: { type: 'integer', minimum: 1, description: 'evaluate on n train / n test images instead of all 60000 / 10000 (quick checks)' },
  backend: { type: 'string', choices: ['tensorflow', 'wasm', 'cpu'], description: 'TensorFlow.js backend (default: automatic)' },
  data: { type: 'string', default: FASHION_MNIST_FOLDER, description: 'Fashion-MNIST IDX folder' },
  out: { type: 'string', default: 'runs/fmnist-tiny', description: 'output folder' },
  resume: { type: 'string', description: 'checkpoint to resume from' },
  workers: { type: 'integer', minimum: 0, default: 1, description: 'data-loading worker threads' },
  entropyWeight: { type: 'number', minimum: 0, default: 0, description: "MSNLoss entropyWeight (0: the protocol; 1: the trainer recipe's default)" },
} as const;

// The protocol's loss windows and the reference implementation's numbers (issue 5).
const WINDOWS: [number, number][] = [
  [1, 50],
  [51, 100],
  [151, 200],
  [551, 600],
];
const REFERENCE = {
  loss: { '1-50': 5.51, '51-100': 5.41, '151-200': 5.3, '551-600': 4.97 } as Record<string, number>,
  evaluation: [
    'reference, 600 steps:   k-NN 73.4–73.7 %, 10-shot 39.3 ± 2.3 to 40.9 ± 1.9 %',
    'reference, 3000 steps:  k-NN 80.9 %, 10-shot 59.6 ± 3.8 %',
    'reference, random init: k-NN 72.1 %, 10-shot 35.0 ± 2.3 %',
    'reference, raw pixels:  k-NN 85.7 %, 10-shot 68.5 ± 1.5 %',
  ],
};

await run(async () => {
  const flags = parseArguments(FLAGS);
  if (flags.help) {
    process.stdout.write(`${formatUsage('pnpm --filter @msn/example-plain bench --', FLAGS)}\n`);
    return;
  }
  const evalAt = flags.evalAt
    .split(',')
    .filter((part) => part.trim() !== '')
    .map(Number);
  if (!evalAt.every((step) => Number.isInteger(step) && step >= 1 && step <= flags.steps)) {
    throw new Error(`--eval-at ${flags.evalAt}: expected comma-separated steps in [1, ${flags.steps}]`);
  }
  const started = performance.now();
  const backend = await setupTensorflow(flags.backend === undefined ? {} : { backend: flags.backend });
  const data = openDataset({ name: 'fashion-mnist', path: flags.data });
  const recipe: TrainingRecipe = {
    dataset: 'fashion-mnist',
    data: flags.data,
    imageSize: 28,
    focalSize: 12,
    randomViews: 2,
    focalViews: 4,
    // MSNTransform's defaults.
    randomCropScale: [0.3, 1],
    focalCropScale: [0.05, 0.3],
    augmentation: { cjStrength: 1, randomGrayScale: 0.2, gaussianBlur: 0.5 },
    // ViT 28/4/128/4/4 MLP 512, head 128 → 512 → 128, K 256, mask 0.15 (sequence length counts the class token).
    config: resolveMSNConfig({ ...msnPreset('fmnist-tiny', 28), maskRatio: 0.15 }),
    batchSize: 64,
    steps: flags.steps,
    // AdamW lr 1e-3, weight decay 0.04, constant; EMA momentum 0.996; no clipping; MSNLoss defaults.
    schedule: 'constant',
    learningRate: 1e-3,
    weightDecay: 0.04,
    momentum: 0.996,
    maxGradNorm: 0,
    freezePrototypes: 0,
    loss: { temperature: 0.1, sinkhornIterations: 3, regularizationWeight: 1, entropyWeight: flags.entropyWeight, sharpenTemperature: 0.25 },
    prior: 'uniform',
    out: flags.out,
    ...(flags.resume === undefined ? {} : { resume: flags.resume }),
    checkpointEvery: 100,
    workers: flags.workers,
    seed: 0,
    evaluate: true,
    ...(flags.evalSubset === undefined ? {} : { evalSubset: flags.evalSubset }),
  };
  await mkdir(flags.out, { recursive: true });
  await writeFile(join(flags.out, 'config.json'), `${JSON.stringify({ ...recipe, backendUsed: backend.description }, null, 2)}\n`);
  process.stderr.write(
    `fmnist-tiny: ${data.description}; ${flags.steps} steps, evaluation after ${evalAt.join(', ')}${flags.evalSubset === undefined ? '' : ` on ${flags.evalSubset} / ${flags.evalSubset} images`}\n`,
  );

  // Features: the target backbone's class token (before the head), images without augmentation; pixels: one channel
  // (the three are copies of the gray image), as the raw-pixel reference.
  const evaluate = (encoders: NamedEncoder[]) =>
    compareEncoders({
      train: data.evaluation!.train,
      test: data.evaluation!.test,
      imageSize: 28,
      normalize: data.normalize,
      encoders,
      workers: flags.workers,
      ...(flags.evalSubset === undefined ? {} : { subset: flags.evalSubset }),
      onEvaluate: (name) => process.stderr.write(`evaluating: ${name}\n`),
    });
  const rows: LabelEfficiencyRow[] = [];
  const baselineModel = new MSNModel({ config: recipe.config, seed: recipe.seed });
  const baselines = await evaluate([
    { name: 'random init', embed: (images) => baselineModel.embed(images) },
    { name: 'raw pixels', embed: (images) => tf.reshape(tf.slice(images, [0, 0, 0, 0], [-1, 1, -1, -1]), [images.shape[0], -1]) },
  ]);
  baselineModel.dispose();
  process.stdout.write(`${formatLabelEfficiencyTable(baselines)}\n`);

  const times: number[] = [];
  const trainingStarted = performance.now();
  const result = await pretrain(
    recipe,
    data,
    { prior: 'uniform', description: 'uniform (MSN)' },
    {
      weightDecayGroups: 'all',
      afterStep: async (record: StepRecord, model: MSNModel) => {
        times.push(record.milliseconds);
        if (evalAt.includes(record.step)) {
          const [row] = await evaluate([{ name: `MSN, ${record.step} steps`, embed: (images) => model.embed(images) }]);
          rows.push(row!);
          process.stdout.write(`${formatLabelEfficiencyTable([row!])}\n`);
        }
      },
    },
  );
  const trainingSeconds = (performance.now() - trainingStarted) / 1000;
  result.model.dispose();

  // Loss windows over the whole run, read back from metrics.jsonl: a resumed run holds the earlier steps only there.
  const losses = await readLossesByStep(join(flags.out, 'metrics.jsonl'));
  const windows = Object.fromEntries(
    WINDOWS.filter(([first, last]) => range(first, last).every((step) => losses.has(step))).map(([first, last]) => {
      const sum = range(first, last).reduce((total, step) => total + losses.get(step)!, 0);
      return [`${first}-${last}`, sum / (last - first + 1)];
    }),
  );
  const timed = times.length > 1 ? times.slice(1) : times; // the first step includes compilation
  const summary = {
    steps: result.progress.globalStep,
    lossWindows: windows,
    referenceLossWindows: REFERENCE.loss,
    millisecondsPerStep: timed.reduce((sum, time) => sum + time, 0) / Math.max(1, timed.length),
    trainingWallSeconds: trainingSeconds,
    totalWallSeconds: (performance.now() - started) / 1000,
    evaluation: [...rows, ...baselines],
  };
  await writeFile(join(flags.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  // pretrain rewrote the report at each checkpoint; this one adds summary.json's evaluations.
  const report = await writeRunReport(flags.out);
  const windowLines = Object.entries(windows).map(
    ([window, mean]) => `  steps ${window.padEnd(8)} mean loss ${mean.toFixed(3)}   (reference ${REFERENCE.loss[window]?.toFixed(2) ?? '–'})`,
  );
  process.stdout.write(
    [
      '',
      `fmnist-tiny: ${summary.steps} steps, ${summary.millisecondsPerStep.toFixed(0)} ms/step, training ${formatDuration(trainingSeconds)}, total ${formatDuration(summary.totalWallSeconds)}`,
      ...windowLines,
      '',
      formatLabelEfficiencyTable(summary.evaluation),
      '',
      ...REFERENCE.evaluation,
      '',
      `report: ${report.path}`,
      '',
    ].join('\n'),
  );
});

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, offset) => first + offset);
}

/** Step → loss from a metrics.jsonl log; a step logged twice (a resumed run repeats none, but be safe) keeps its last. */
async function readLossesByStep(path: string): Promise<Map<number, number>> {
  const losses = new Map<number, number>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { step?: unknown; loss?: unknown };
    if (typeof record.step === 'number' && typeof record.loss === 'number') losses.set(record.step, record.loss);
  }
  return losses;
}
