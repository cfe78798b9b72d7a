// The DDP trainer: `msn-run --nproc-per-node 2 src/main.ts [flags]` starts one process per rank; each trains on its
// shard of every batch and the ranks average their gradients, so the job trains one model on the combined batch.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { DataLoader, DistributedSampler, IMAGENET_NORMALIZE, IdxDataset, MSNTransform, SyntheticShapes, type ImageDataset } from '@msn/data';
import {
  JsonLinesLogger,
  ModelCheckpoint,
  ProgressBar,
  Trainer,
  ddpStrategy,
  formatUsage,
  initProcessGroup,
  parseArguments,
  run,
  selectBackend,
  type Callback,
  type ParsedFlags,
} from '@msn/trainer';
import { FLAGS } from './flags';
import { DistributedMSNModule } from './msn-ddp-module';
import { loadPrior } from './prior';

type Flags = ParsedFlags<typeof FLAGS>;

// The fmnist-tiny protocol's normalisation of Fashion-MNIST (grey replicated to 3 channels).
const FASHION_MNIST_NORMALIZE = { mean: [0.286, 0.286, 0.286], std: [0.353, 0.353, 0.353] };

function openDataset(flags: Flags): ImageDataset {
  if (flags.dataset === 'fashion-mnist') return IdxDataset.fromFolder(flags.data, { split: 'train' });
  return new SyntheticShapes({ length: flags.syntheticImages, imageSize: flags.imageSize, seed: flags.seed });
}

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

async function main(): Promise<void> {
  // `pnpm start -- --steps 10` hands the script a leading `--`.
  const argv = process.argv.slice(2);
  const flags = parseArguments(FLAGS, argv[0] === '--' ? argv.slice(1) : argv);
  if (flags.help) {
    // Once per job, not once per rank.
    if ((process.env.RANK ?? '0') === '0') process.stdout.write(`${formatUsage('msn-run --nproc-per-node N src/main.ts', FLAGS)}\n`);
    return;
  }
  // tfjs-core's Node bundle has no gradient functions; tfjs-layers registers them.
  await import('@tensorflow/tfjs-layers');
  const prior = await loadPrior(flags.prior);
  const group = await initProcessGroup({
    ...(flags.distBackend === undefined ? {} : { backend: flags.distBackend }),
    ...(flags.timeoutMs === undefined ? {} : { timeoutMs: flags.timeoutMs }),
  });
  const leader = group.rank === 0;
  try {
    await selectBackend({ ...(flags.backend === undefined ? {} : { backend: flags.backend }), log: leader ? undefined : false });
    const dataset = openDataset(flags);
    const transform = new MSNTransform({
      randomSize: flags.imageSize,
      focalSize: flags.focalSize,
      randomViews: 2,
      focalViews: flags.focalViews,
      normalize: flags.dataset === 'fashion-mnist' ? FASHION_MNIST_NORMALIZE : IMAGENET_NORMALIZE,
    });
    // Every rank sees the same shuffled order and takes its interleaved share; views depend only on (seed, epoch,
    // index), so the job's batches are those of one process with batch batch-size × world size.
    const sampler = new DistributedSampler({ datasetLength: dataset.length, rank: group.rank, worldSize: group.worldSize, shuffle: true, seed: flags.seed, dropLast: true });
    const loader = new DataLoader(dataset, { batchSize: flags.batchSize, sampler, dropLast: true, seed: flags.seed, transform, workers: flags.workers, persistentWorkers: flags.workers > 0 });
    const module = new DistributedMSNModule({
      config: {
        vit: { imageSize: flags.imageSize, patchSize: flags.patchSize, numLayers: flags.depth, numHeads: flags.heads, hiddenDim: flags.dim, mlpDim: flags.mlpDim },
        head: { hiddenDim: flags.headHidden, outputDim: flags.headOut },
        numPrototypes: flags.prototypes,
        maskRatio: flags.maskRatio,
      },
      seed: flags.seed,
      prior,
      powerLawExponent: flags.powerLawExponent,
      learningRate: flags.learningRate,
      weightDecay: flags.weightDecay,
      momentum: flags.momentum,
      maxGradNorm: flags.maxGradNorm > 0 ? flags.maxGradNorm : undefined,
    });
    const checkpoints = join(flags.out, 'checkpoints');
    const probe = throughputProbe();
    // Callbacks and loggers are given on every rank; the Trainer keeps them on rank 0 only.
    const trainer = new Trainer({
      maxSteps: flags.steps,
      strategy: ddpStrategy(group),
      callbacks: [new ModelCheckpoint({ dirpath: checkpoints, everyNTrainSteps: flags.checkpointEvery, keepLast: 2 }), probe, ...(flags.progress ? [new ProgressBar()] : [])],
      loggers: [new JsonLinesLogger(join(flags.out, 'metrics.jsonl'))],
    });
    if (leader) {
      console.log(`example-ddp: ${group.worldSize} rank(s) on ${group.backend}, ${flags.batchSize} images per rank (${flags.batchSize * group.worldSize} per step), ${flags.dataset} (${dataset.length} images), prior ${flags.prior}`);
    }
    // Rank 0 decides whether to resume and reads the checkpoint for every rank. `auto` resumes when there is one, so
    // the same command line serves the first attempt and the restarts of msn-run --max-restarts.
    const last = join(checkpoints, 'last');
    const ckptPath = flags.resume === 'auto' ? ((await exists(last)) ? last : undefined) : flags.resume;
    const started = performance.now();
    const result = await trainer.fit(module, loader, { ckptPath: leader ? ckptPath : undefined });
    await loader.close();
    if (leader) {
      const rate = probe.imagesPerSecond();
      console.log(
        `example-ddp: ${result.stopReason} after step ${result.globalStep}; loss ${trainer.callbackMetrics.loss?.toFixed(4)}; ` +
          `${rate === undefined ? '' : `${rate.toFixed(1)} images/s, `}${((performance.now() - started) / 1000).toFixed(1)} s; checkpoints in ${checkpoints}`,
      );
      console.log(JSON.stringify({ summary: { steps: result.globalStep, stopReason: result.stopReason, loss: trainer.callbackMetrics.loss, imagesPerSecond: rate, worldSize: group.worldSize } }));
    }
    module.dispose();
  } finally {
    group.destroy();
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

await run(main);
