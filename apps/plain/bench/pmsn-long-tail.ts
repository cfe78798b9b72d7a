// @file The PMSN long-tail benchmark: MSN (uniform prior) against PMSN (power-law priors, and the empirical class
// frequencies as an oracle) with the same budget and seeds, on balanced and long-tailed Fashion-MNIST. Each run is
// apps/plain's main job with `--long-tail <ratio>` (ratio 1 is the balanced training set, with the same seeded class
// ranks, so head / medium / tail mean the same classes in both); the table is printed and saved as table.md.
//
// npx -y pnpm@12.4.2 --filter @msn/example-plain... build && npx -y pnpm@12.4.2 --filter @msn/example-plain bench:pmsn-long-tail
// (flags after `--`: --steps 1500 --seeds 0 --ratios 1,100 --exponents 0.15,0.25,0.5 [--image-size 16] [--out runs/pmsn-long-tail])
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { empiricalPrior, powerLawPrior, uniformPrior, type Prior } from '@msn/priors';
import { formatUsage, parseArguments } from '@msn/app-kit';
import { formatDuration } from '@msn/trainer/lightning';
import type { LabelEfficiencyResult } from '@msn/trainer/evaluation';
import { setupTensorflow } from '@msn/trainer';

const FLAGS = {
  steps: { type: 'integer', minimum: 1, default: 1500, description: 'training steps of every run' },
  seeds: { type: 'string', default: '0', description: 'seeds, comma-separated (each seed: weights, data order, class ranks)' },
  ratios: { type: 'string', default: '1,100', description: 'long-tail ratios, comma-separated (1: balanced)' },
  exponents: { type: 'string', default: '0.15,0.25,0.5', description: 'power-law exponents of the PMSN runs' },
  imageSize: { type: 'integer', minimum: 4, default: 16, description: 'image side' },
  evalSubset: { type: 'integer', minimum: 1, default: 5000, description: 'evaluate on n pool / n test images' },
  out: { type: 'string', default: 'runs/pmsn-long-tail', description: 'output folder (one sub-folder per run)' },
  help: { type: 'boolean', default: false, description: 'print this help' },
} as const;

interface Condition {
  ratio: number;
  prior: string;
  flags: string[];
  label: string;
}

interface RunResult {
  condition: Condition;
  seed: number;
  seconds: number;
  trained: LabelEfficiencyResult;
  untrained: LabelEfficiencyResult;
  groups: { name: string; result: LabelEfficiencyResult }[];
  usageDistance: number;
  collapsed: boolean;
}

const list = (text: string) => text.split(',').map((part) => Number(part.trim()));

function conditions(ratios: number[], exponents: number[]): Condition[] {
  return ratios.flatMap((ratio) => [
    { ratio, prior: 'uniform', flags: ['--prior', 'uniform'], label: 'MSN (uniform)' },
    ...exponents.map((exponent) => ({
      ratio,
      prior: `power_law ${exponent}`,
      flags: ['--prior', 'power_law', '--power-law-exponent', String(exponent)],
      label: `PMSN power law τ ${exponent}`,
    })),
    // On a balanced set the class frequencies are uniform: the oracle is MSN itself.
    ...(ratio === 1 ? [] : [{ ratio, prior: 'empirical', flags: ['--prior', 'empirical'], label: 'PMSN empirical (oracle)' }]),
  ]);
}

function runApp(args: string[], log: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const keep = (chunk: Buffer) => lines.push(chunk.toString());
    child.stdout.on('data', keep);
    child.stderr.on('data', (chunk: Buffer) => {
      keep(chunk);
      const text = chunk.toString();
      if (/warning|error/i.test(text)) process.stderr.write(text);
    });
    child.on('error', reject);
    child.on('close', async (code) => {
      await writeFile(log, lines.join(''));
      if (code === 0) resolve();
      else reject(new Error(`apps/plain ${args.join(' ')} exited with ${code}; see ${log}`));
    });
  });
}

// Half the L1 distance between the sorted prototype usage and the sorted prior (0: the prior is met exactly).
async function usageDistance(prior: Prior, shares: number[]): Promise<number> {
  const uniform = tf.fill([shares.length], 1 / shares.length) as tf.Tensor1D;
  const target = prior(uniform);
  const values = Array.from(await target.data()).sort((left, right) => right - left);
  tf.dispose([uniform, target]);
  return 0.5 * values.reduce((sum, value, index) => sum + Math.abs(value - shares[index]!), 0);
}

function priorOf(condition: Condition, classCounts: number[]): Prior {
  if (condition.prior === 'uniform') return uniformPrior();
  if (condition.prior === 'empirical') return empiricalPrior(classCounts);
  return powerLawPrior(Number(condition.prior.split(' ')[1]));
}

async function runOne(condition: Condition, seed: number, options: { steps: number; imageSize: number; evalSubset: number; out: string }): Promise<RunResult> {
  const folder = join(options.out, `ratio${condition.ratio}-${condition.prior.replace(' ', '')}-seed${seed}`);
  const started = performance.now();
  if (!existsSync(join(folder, 'evaluation.json'))) {
    const args = [
      '--dataset',
      'fashion-mnist',
      '--long-tail',
      String(condition.ratio),
      '--image-size',
      String(options.imageSize),
      '--steps',
      String(options.steps),
      '--seed',
      String(seed),
      '--eval-subset',
      String(options.evalSubset),
      '--checkpoint-every',
      String(options.steps),
      '--out',
      folder,
      ...condition.flags,
    ];
    await mkdir(folder, { recursive: true });
    await runApp(args, join(folder, 'log.txt'));
  }
  const seconds = (performance.now() - started) / 1000;
  const evaluation = JSON.parse(await readFile(join(folder, 'evaluation.json'), 'utf8'));
  const health = JSON.parse(await readFile(join(folder, 'health.json'), 'utf8'));
  const log = await readFile(join(folder, 'log.txt'), 'utf8').catch(() => '');
  const counts = /long tail \(ratio [\d.]+\) of \d+ of its \d+ training images: ([\d, ]+) per class/.exec(log)?.[1]?.split(', ').map(Number) ?? [1];
  return {
    condition,
    seed,
    seconds,
    trained: evaluation.rows[0].result,
    untrained: evaluation.rows[1].result,
    groups: evaluation.rows[0].groups ?? [],
    usageDistance: await usageDistance(priorOf(condition, counts), health.prototypeShares),
    collapsed: health.collapsed,
  };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

// Accuracy % with its standard deviation over seeds once there are several.
const percent = (values: number[]) => {
  const average = mean(values);
  const std = Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / values.length);
  return values.length === 1 ? (100 * average).toFixed(1) : `${(100 * average).toFixed(1)} ± ${(100 * std).toFixed(1)}`;
};

function table(results: RunResult[], seeds: number[]): string {
  const header =
    '| pre-training set | prior | k-NN | 1-shot | 2-shot | 5-shot | 10-shot | head k-NN / 10-shot | medium k-NN / 10-shot | tail k-NN / 10-shot | usage vs prior (TV) |';
  const lines = [header, `|${'---|'.repeat(11)}`];
  const keys = [...new Set(results.map((result) => `${result.condition.ratio}|${result.condition.label}`))];
  for (const key of keys) {
    const runs = results.filter((result) => `${result.condition.ratio}|${result.condition.label}` === key);
    const { ratio, label } = runs[0]!.condition;
    const shot = (index: number) => percent(runs.map((run) => run.trained.fewShot[index]!.mean));
    const group = (name: string) => {
      const parts = runs.map((run) => run.groups.find((entry) => entry.name === name)!.result);
      return `${percent(parts.map((part) => part.knnAccuracy))} / ${percent(parts.map((part) => part.fewShot[3]!.mean))}`;
    };
    const warned = runs.some((run) => run.collapsed) ? ' (collapse warned)' : '';
    lines.push(
      `| ${ratio === 1 ? 'balanced' : `long tail ${ratio}`} | ${label}${warned} | ${percent(runs.map((run) => run.trained.knnAccuracy))} | ${shot(0)} | ${shot(1)} | ${shot(2)} | ${shot(3)} | ${group('head')} | ${group('medium')} | ${group('tail')} | ${mean(runs.map((run) => run.usageDistance)).toFixed(3)} |`,
    );
  }
  const untrained = results.find((result) => result.seed === seeds[0])!.untrained;
  lines.push(
    '',
    `Same encoder untrained (seed ${seeds[0]}): k-NN ${percent([untrained.knnAccuracy])}, few-shot ${untrained.fewShot.map((shot) => percent([shot.mean])).join(' / ')}.`,
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const flags = parseArguments(FLAGS, process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`${formatUsage('bench:pmsn-long-tail', FLAGS)}\n`);
    return;
  }
  await setupTensorflow({ backend: 'cpu', log: false });
  const seeds = list(flags.seeds);
  const started = performance.now();
  const results: RunResult[] = [];
  const all = conditions(list(flags.ratios), list(flags.exponents));
  for (const seed of seeds) {
    for (const condition of all) {
      process.stderr.write(`[${formatDuration((performance.now() - started) / 1000)}] ratio ${condition.ratio}, ${condition.label}, seed ${seed}\n`);
      const result = await runOne(condition, seed, { steps: flags.steps, imageSize: flags.imageSize, evalSubset: flags.evalSubset, out: flags.out });
      results.push(result);
      process.stderr.write(
        `  k-NN ${(100 * result.trained.knnAccuracy).toFixed(1)}, 10-shot ${(100 * result.trained.fewShot[3]!.mean).toFixed(1)}, ${result.seconds.toFixed(0)} s\n`,
      );
    }
  }
  const text = `${table(results, seeds)}\n\n${flags.steps} steps per run, ${flags.imageSize} px, seeds ${seeds.join(', ')}, evaluation on ${flags.evalSubset} / ${flags.evalSubset} images; ${formatDuration((performance.now() - started) / 1000)} in all.\n`;
  await mkdir(flags.out, { recursive: true });
  await writeFile(join(flags.out, 'table.md'), text);
  process.stdout.write(`${text}`);
}

await main();
