// Images per second of the full MSN pipeline (decode + MSNTransform + batching + tensors) through the DataLoader.
// Run: npx -y pnpm@12.4.2 --filter @msn/data build && npx -y pnpm@12.4.2 --filter @msn/data bench
// Options: --seconds=N (minimum time per measurement, default 6), --quick (1.5 s each),
// --only=TEXT (rows whose dataset or config contains TEXT, e.g. --only=JPEG or --only=32/16).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import sharp from 'sharp';
// The built package (dist/), exactly as users get it, workers included.
import { DataLoader, IdxDataset, ImageFolder, MSNTransform, SyntheticShapes, type ImageDataset } from '@msn/data';

const argument = (name: string) => process.argv.find((entry) => entry.startsWith(`--${name}`));
const seconds = argument('quick') ? 1.5 : Number(argument('seconds')?.split('=')[1] ?? 6);
const only = argument('only')?.split('=')[1];
const FASHION = '/usr/share/datasets/fashion-mnist';

async function jpegFolder(): Promise<string> {
  // 256×256 JPEGs drawn from SyntheticShapes: a decode cost close to a downscaled photo collection.
  const folder = join(tmpdir(), 'msn-bench-jpegs-256');
  if (existsSync(folder) && readdirSync(folder).length >= 256) return folder;
  mkdirSync(folder, { recursive: true });
  const shapes = new SyntheticShapes({ length: 256, imageSize: 64, seed: 1 });
  for (let index = 0; index < shapes.length; index++) {
    const { image } = shapes.getSync(index);
    await sharp(Buffer.from(image.data), { raw: { width: 64, height: 64, channels: 3 } })
      .resize(256, 256, { kernel: 'cubic' })
      .jpeg({ quality: 90 })
      .toFile(join(folder, `shape-${String(index).padStart(4, '0')}.jpg`));
  }
  return folder;
}

interface Result {
  dataset: string;
  config: string;
  workers: number;
  imagesPerSecond: number;
  /** Images per second of CPU time of the whole process (all threads): the rate per core, insensitive to other load. */
  imagesPerCpuSecond: number;
  images: number;
}

async function measure(dataset: ImageDataset, name: string, randomSize: number, focalSize: number, workers: number): Promise<Result> {
  const transform = new MSNTransform({ randomSize, focalSize, randomViews: 2, focalViews: 10 });
  const batchSize = randomSize >= 128 ? 16 : 64;
  // Each worker thread compiles the transform itself: time from when every worker has delivered a batch.
  const warmupBatches = 2 * Math.max(1, workers);
  let received = 0;
  // Persistent workers, as a training run would use them: short epochs (256 JPEGs) do not restart threads.
  const loader = new DataLoader(dataset, { batchSize, transform, shuffle: true, workers, seed: 1, persistentWorkers: true });
  let images = 0;
  let started = 0;
  let cpuStart = process.cpuUsage();
  for (let epoch = 0; ; epoch++) {
    for await (const batch of loader.batches({ epoch })) {
      received++;
      if (received < warmupBatches) {
        tf.dispose([batch.views, batch.labels] as tf.TensorContainer);
        continue;
      }
      if (started === 0) {
        started = performance.now();
        cpuStart = process.cpuUsage();
      } else images += batch.indices.length;
      tf.dispose([batch.views, batch.labels] as tf.TensorContainer);
      if (started > 0 && performance.now() - started > seconds * 1000 && images > 0) {
        const elapsed = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuStart);
        const cpuSeconds = (cpu.user + cpu.system) / 1e6;
        await loader.close();
        return {
          dataset: name,
          config: `${randomSize}/${focalSize}`,
          workers,
          imagesPerSecond: images / elapsed,
          imagesPerCpuSecond: images / cpuSeconds,
          images,
        };
      }
    }
  }
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  console.log(
    `MSN transform benchmark: 1 target + 1 anchor + 10 focal views; ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); ` +
      `≥ ${seconds} s per row; load average before: ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')}`,
  );
  const datasets: [string, ImageDataset][] = [];
  if (existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'))) {
    datasets.push(['Fashion-MNIST 28×28 (IdxDataset)', IdxDataset.fromFolder(FASHION, { split: 'train', channels: 1 })]);
  } else {
    console.log(`(Fashion-MNIST not found in ${FASHION}: apt-get install dataset-fashion-mnist; skipping it)`);
  }
  datasets.push(['JPEG 256×256 (ImageFolder)', new ImageFolder(await jpegFolder())]);
  const results: Result[] = [];
  for (const [name, dataset] of datasets) {
    for (const [randomSize, focalSize] of [
      [224, 96],
      [32, 16],
    ] as const) {
      if (only !== undefined && !`${name} ${randomSize}/${focalSize}`.includes(only)) continue;
      for (const workers of [0, 1, 2]) {
        const result = await measure(dataset, name, randomSize, focalSize, workers);
        results.push(result);
        console.log(
          `${name.padEnd(34)} ${result.config.padEnd(7)} workers ${workers}${workers === 0 ? ' (main thread)' : '              '} ` +
            `${result.imagesPerSecond.toFixed(1).padStart(8)} images/s  ${result.imagesPerCpuSecond.toFixed(1).padStart(8)} per CPU-second  (${result.images} images)`,
        );
      }
    }
  }
  console.log(
    `load average after the run: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} (other processes share the cores)`,
  );
  console.log(JSON.stringify({ benchmark: 'msn-transform', seconds, results }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
