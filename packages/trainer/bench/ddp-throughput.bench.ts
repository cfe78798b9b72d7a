// Training throughput (images/s) of MSN with 1 and 2 processes on this machine (not part of `test`).
//
//   npx -y pnpm@12.4.2 --filter @msn/trainer bench:ddp                          # bench config, wasm, Open MPI
//   npx tsx bench/ddp-throughput.bench.ts --config fmnist --steps 20 --mpirun mpirun.mpich
//
// Each process runs msnTrainingStep on random views (no data loading: the step alone) with the wasm backend. Three
// runs: one process with the global batch (the baseline), two processes with half of it each (the same training,
// "strong scaling": DDP equals the one-process run step for step), and two processes with the whole batch each
// (twice the images per step, "weak scaling"). Steps after the warm-up are timed on rank 0; the load average is
// printed before and after, since other jobs on the machine share its cores. Distributed runs start under mpirun
// (--oversubscribe --bind-to none); the all-reduce itself is measured by scripts/bench-allreduce.sh.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { MSNLoss } from '@msn/loss';
import { useBackend, type TestBackend } from '@msn/test-utils';
import { ddp } from '../src/ddp/ddp';
import { initProcessGroup } from '../src/distributed/init-process-group';
import { MSNModel } from '../src/msn/msn-model';
import { msnTrainingStep } from '../src/msn/msn-training-step';

/** The bench config (image 32, …, K 1024, batch 32, 4 focal views at 16 px) and the fmnist-tiny model of the apps. */
const CONFIGS = {
  bench: {
    vit: { imageSize: 32, patchSize: 4, numLayers: 6, numHeads: 3, hiddenDim: 192, mlpDim: 768 },
    head: { hiddenDim: 1024, outputDim: 256 },
    numPrototypes: 1024,
    batch: 32,
    focalViews: 4,
    focalSize: 16,
  },
  fmnist: {
    vit: { imageSize: 28, patchSize: 4, numLayers: 4, numHeads: 4, hiddenDim: 128, mlpDim: 512 },
    head: { hiddenDim: 512, outputDim: 128 },
    numPrototypes: 256,
    batch: 64,
    focalViews: 4,
    focalSize: 12,
  },
} as const;
type ConfigName = keyof typeof CONFIGS;

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

interface ChildOptions {
  config: ConfigName;
  batch: number;
  steps: number;
  warmup: number;
  backend: TestBackend;
  distributed: boolean;
}

interface ChildReport {
  rank: number;
  worldSize: number;
  msPerStep: number;
  /** Time inside collectives per step (communication plus waiting for the slower rank). */
  collectiveMsPerStep: number;
  /** Collectives per step and the bytes they reduce. */
  collectivesPerStep: number;
  megabytesPerStep: number;
  /** CPU time (user + system, all threads of the process) per step: below msPerStep when the process waited or was starved. */
  cpuMsPerStep: number;
  imagesPerSecond: number;
  groupBackend: string;
}

async function child(options: ChildOptions): Promise<void> {
  await useBackend(options.backend);
  const { vit, head, numPrototypes, focalViews, focalSize } = CONFIGS[options.config];
  const model = new MSNModel({ config: { vit, head, numPrototypes }, seed: 0 });
  const group = options.distributed ? await initProcessGroup() : undefined;
  // Time spent inside the synchronous collectives a step makes (BatchNorm, Sinkhorn, regulariser, gradients).
  let collectiveMs = 0;
  let collectives = 0;
  let bytes = 0;
  const sizeOf = (value: unknown): number =>
    Array.isArray(value)
      ? value.reduce((total: number, item) => total + sizeOf(item), 0)
      : value instanceof tf.Tensor
        ? value.size * 4
        : ArrayBuffer.isView(value)
          ? value.byteLength
          : 0;
  if (group !== undefined) {
    for (const name of ['allReduce', 'allReduceCoalesced'] as const) {
      const original = group[name].bind(group) as (...args: unknown[]) => unknown;
      (group as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        collectives += 1;
        bytes += sizeOf(args[0]);
        const start = performance.now();
        try {
          return original(...args);
        } finally {
          collectiveMs += performance.now() - start;
        }
      };
    }
  }
  const distributed = group === undefined ? undefined : ddp(model, group);
  const loss = new MSNLoss(distributed?.lossOptions ?? {});
  const optimizer = model.createOptimizer();
  const rank = group?.rank ?? 0;
  const views = (size: number, count: number, seed: number) =>
    Array.from({ length: count }, (_, view) => tf.randomNormal([options.batch, 3, size, size], 0, 1, 'float32', seed + view) as tf.Tensor4D);
  const [targets, anchors] = views(vit.imageSize, 2, 100 * rank);
  const focal = views(focalSize, focalViews, 100 * rank + 10);
  let started = 0;
  let cpuStart = process.cpuUsage();
  for (let step = 0; step < options.warmup + options.steps; step++) {
    if (step === options.warmup) {
      // Ranks start timing together.
      group?.barrier();
      started = performance.now();
      [collectiveMs, collectives, bytes] = [0, 0, 0];
      cpuStart = process.cpuUsage();
    }
    await msnTrainingStep(
      model,
      { targets: targets!, anchors: anchors!, focal },
      {
        optimizer,
        loss,
        maskSeed: distributed?.maskSeed(0, step) ?? step,
        ...(distributed === undefined ? {} : { reduceGradients: distributed.reduceGradients }),
      },
    );
  }
  const msPerStep = (performance.now() - started) / options.steps;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMsPerStep = (cpu.user + cpu.system) / 1000 / options.steps;
  const worldSize = group?.worldSize ?? 1;
  const report: ChildReport = {
    rank,
    worldSize,
    msPerStep,
    collectiveMsPerStep: collectiveMs / options.steps,
    collectivesPerStep: collectives / options.steps,
    megabytesPerStep: bytes / options.steps / 2 ** 20,
    cpuMsPerStep,
    imagesPerSecond: (options.batch * worldSize * 1000) / msPerStep,
    groupBackend: group?.backend ?? 'none',
  };
  console.log(JSON.stringify(report));
  tf.dispose([targets!, anchors!, ...focal]);
  optimizer.dispose();
  model.dispose();
  group?.destroy();
}

/** Runs this script in child mode: one process, or `worldSize` ranks under mpirun; returns rank 0's report. */
async function measure(options: ChildOptions, worldSize: number, mpirun: string): Promise<ChildReport> {
  const script = fileURLToPath(import.meta.url);
  const node = [process.execPath, '--import', 'tsx', script, '--child', JSON.stringify(options)];
  const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
  const openMpi = mpirun.includes('mpich') ? [] : ['--oversubscribe', '--bind-to', 'none', ...root];
  const command = options.distributed ? [mpirun, ...openMpi, '-np', String(worldSize), ...node] : node;
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  await new Promise<void>((resolveRun, reject) =>
    child.once('close', (code) => (code === 0 ? resolveRun() : reject(new Error(`${command[0]} exited with code ${code}`)))),
  );
  const reports = stdout
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .map((text) => JSON.parse(text) as ChildReport);
  return reports.find((report) => report.rank === 0)!;
}

async function main(): Promise<void> {
  const childOptions = argument('child');
  if (childOptions !== undefined) return child(JSON.parse(childOptions) as ChildOptions);
  const config = (argument('config') ?? 'bench') as ConfigName;
  if (!(config in CONFIGS)) throw new Error(`--config must be one of ${Object.keys(CONFIGS).join(', ')}, got ${config}`);
  const batch = Number(argument('batch') ?? CONFIGS[config].batch);
  const mpirun = argument('mpirun') ?? 'mpirun';
  const common = {
    config,
    steps: Number(argument('steps') ?? 10),
    warmup: Number(argument('warmup') ?? 2),
    backend: (argument('backend') ?? 'wasm') as TestBackend,
  };
  console.log(
    `ddp throughput: config ${config}, global batch ${batch}, ${common.steps} timed steps after ${common.warmup} warm-up, ${common.backend}, launcher ${mpirun}`,
  );
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), load average before ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  const runs: [string, ChildOptions, number][] = [
    ['1 process, batch B', { ...common, batch, distributed: false }, 1],
    ['2 processes, B/2 each (same training)', { ...common, batch: batch / 2, distributed: true }, 2],
    ['2 processes, B each (2B per step)', { ...common, batch, distributed: true }, 2],
  ];
  const rows: string[] = [];
  let baseline = 0;
  for (const [label, options, worldSize] of runs) {
    const report = await measure(options, worldSize, mpirun);
    baseline ||= report.imagesPerSecond;
    const collectives =
      worldSize === 1 ? '–' : `${report.collectiveMsPerStep.toFixed(0)} (${report.collectivesPerStep} collectives, ${report.megabytesPerStep.toFixed(1)} MiB)`;
    rows.push(
      `| ${label} | ${options.batch * worldSize} | ${report.msPerStep.toFixed(0)} | ${report.cpuMsPerStep.toFixed(0)} | ${collectives} | ${report.imagesPerSecond.toFixed(1)} | ${(report.imagesPerSecond / baseline).toFixed(2)}× |`,
    );
  }
  console.log(
    [
      '',
      '| run | images per step | ms per step | CPU ms per step (rank 0) | of which in collectives (rank 0) | images/s | vs 1 process |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
  console.log(
    `load average after ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
}

await main();
