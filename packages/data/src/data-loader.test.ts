import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, embeddedBackends, expectNoLeakedTensors } from '@msn/test-utils';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLoader, type RawLoaderBatch } from './data-loader';
import { DistributedSampler } from './distributed-sampler';
import { DataLoaderError, InvalidArgumentError } from '@msn/errors';
import type { ImageDataset } from './image-dataset';
import { ImageFolder } from './image-folder';
import type { RgbImage, Sample } from './image';
import { MSNTransform } from './msn-transform';
import { msnViewList } from './msn-views';
import { PlainTransform } from './plain-transform';
import { SyntheticShapes } from './synthetic-shapes';
import type { ViewTransform } from './view-transform';

const transform = new MSNTransform({ randomSize: 8, focalSize: 4, focalViews: 2 });
const shapes = new SyntheticShapes({ length: 10, imageSize: 12, seed: 2 });

/** Every view of every sample of one epoch, keyed by dataset index. */
async function viewsByIndex(loader: DataLoader<unknown>, epoch: number): Promise<Map<number, Float32Array[]>> {
  const byIndex = new Map<number, Float32Array[]>();
  for await (const batch of loader.rawBatches({ epoch })) {
    batch.indices.forEach((index, slot) => {
      expect(byIndex.has(index)).toBe(false);
      byIndex.set(
        index,
        batch.views.map((view, position) => {
          const size = 3 * batch.viewSizes[position]! ** 2;
          return view.slice(slot * size, (slot + 1) * size);
        }),
      );
    });
  }
  return byIndex;
}

const folder = mkdtempSync(join(tmpdir(), 'msn-loader-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const imageRoot = join(folder, 'images');

beforeAll(async () => {
  mkdirSync(join(imageRoot, 'a'), { recursive: true });
  mkdirSync(join(imageRoot, 'b'), { recursive: true });
  const pixels = Buffer.alloc(10 * 8 * 3, 90);
  for (let index = 0; index < 6; index++) {
    await sharp(pixels, { raw: { width: 10, height: 8, channels: 3 } })
      .png()
      .toFile(join(imageRoot, index % 2 ? 'b' : 'a', `image-${index}.png`));
  }
  writeFileSync(join(imageRoot, 'b', 'image-9-corrupt.png'), Buffer.from('definitely not a png'));
});

describeEachBackend(embeddedBackends(), 'DataLoader tensors', () => {
  it('yields NCHW float32 views by role (target, anchors, focal), int32 labels and indices', async () => {
    const loader = new DataLoader(shapes, { batchSize: 4, transform });
    expect(loader.length).toBe(3);
    const batches = [];
    for await (const batch of loader) {
      expect(batch.views.anchors).toHaveLength(1);
      expect(batch.views.focal).toHaveLength(2);
      expect(msnViewList(batch.views).map((view) => [view.shape, view.dtype])).toEqual([
        [[batch.indices.length, 3, 8, 8], 'float32'],
        [[batch.indices.length, 3, 8, 8], 'float32'],
        [[batch.indices.length, 3, 4, 4], 'float32'],
        [[batch.indices.length, 3, 4, 4], 'float32'],
      ]);
      expect(batch.labels!.dtype).toBe('int32');
      expect(Array.from(batch.labels!.dataSync())).toEqual(batch.indices.map((index) => shapes.getSync(index).label));
      // Item 1 of the batch holds exactly what the transform makes of that sample.
      const expected = transform.apply(shapes.getSync(batch.indices[1]!).image, { seed: 0, epoch: 0, index: batch.indices[1]! });
      expect(Array.from(batch.views.focal[0]!.dataSync().subarray(48, 96))).toEqual(Array.from(expected.focal[0]!.data));
      expect(Array.from(batch.views.target.dataSync().subarray(192, 384))).toEqual(Array.from(expected.target.data));
      batches.push(batch.indices);
      tf.dispose([batch.views, batch.labels] as tf.TensorContainer);
    }
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('hands out tensors the consumer owns: none leak when they are disposed, none are created for batches not taken', async () => {
    const loader = new DataLoader(shapes, { batchSize: 3, transform, workers: 1 });
    await expectNoLeakedTensors(async () => {
      for await (const batch of loader) tf.dispose([batch.views, batch.labels] as tf.TensorContainer);
    });
    const before = tf.memory().numTensors;
    for await (const batch of loader) {
      // Views + labels of this batch only; leaving early creates nothing else.
      expect(tf.memory().numTensors - before).toBe(transform.viewSizes.length + 1);
      tf.dispose([batch.views, batch.labels] as tf.TensorContainer);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(loader.activeWorkers).toBe(0);
  });

  it('omits labels for unlabelled datasets', async () => {
    const unlabelled: ImageDataset = { length: 3, get: async (index) => ({ image: shapes.getSync(index).image }) };
    for await (const batch of new DataLoader(unlabelled, { batchSize: 2, transform: new PlainTransform({ size: 4 }) })) {
      expect(batch.labels).toBeUndefined();
      expect(batch.views[0]!.shape).toEqual([batch.indices.length, 3, 4, 4]);
      tf.dispose(batch.views);
    }
  });
});

describe('DataLoader batching and order', () => {
  it('drops the last incomplete batch on request', async () => {
    const loader = new DataLoader(shapes, { batchSize: 4, transform, dropLast: true });
    expect(loader.length).toBe(2);
    const sizes: number[] = [];
    for await (const batch of loader.rawBatches()) sizes.push(batch.indices.length);
    expect(sizes).toEqual([4, 4]);
  });

  it('shuffles every epoch differently, visiting each index once; setEpoch replays an epoch', async () => {
    const loader = new DataLoader(shapes, { batchSize: 3, transform, shuffle: true, seed: 5 });
    const orders: number[][] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      expect(loader.epoch).toBe(epoch);
      const order: number[] = [];
      for await (const batch of loader.rawBatches()) {
        expect(batch.epoch).toBe(epoch);
        order.push(...batch.indices);
      }
      expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      orders.push(order);
    }
    expect(orders[0]).not.toEqual(orders[1]);
    loader.setEpoch(1);
    const replay: number[] = [];
    for await (const batch of loader.rawBatches()) replay.push(...batch.indices);
    expect(replay).toEqual(orders[1]);
  });

  it('resumes mid-epoch with startBatch: the remaining batches of an uninterrupted epoch', async () => {
    const loader = new DataLoader(shapes, { batchSize: 3, transform, shuffle: true, seed: 2 });
    const full: RawLoaderBatch[] = [];
    for await (const batch of loader.rawBatches({ epoch: 4 })) full.push(batch);
    const resumed: RawLoaderBatch[] = [];
    for await (const batch of loader.rawBatches({ epoch: 4, startBatch: 2 })) resumed.push(batch);
    expect(resumed).toEqual(full.slice(2));
    const none: RawLoaderBatch[] = [];
    for await (const batch of loader.rawBatches({ epoch: 4, startBatch: 9 })) none.push(batch);
    expect(none).toEqual([]);
    await expect(loader.rawBatches({ startBatch: -1 }).next()).rejects.toThrow(/'startBatch' = -1/);
    // The declaration @msn/trainer's Trainer reads before resuming with startBatch.
    expect(loader.supportsStartBatch).toBe(true);
  });

  it('gives sample i in epoch e the same views whatever the batch size, shuffling or number of workers', async () => {
    const reference = await viewsByIndex(new DataLoader(shapes, { batchSize: 4, transform, seed: 9 }), 3);
    const variants = [
      new DataLoader(shapes, { batchSize: 3, transform, seed: 9, shuffle: true }),
      new DataLoader(shapes, { batchSize: 4, transform, seed: 9, workers: 1 }),
      new DataLoader(shapes, { batchSize: 2, transform, seed: 9, workers: 2, prefetch: 3, shuffle: true }),
    ];
    for (const loader of variants) expect(await viewsByIndex(loader, 3)).toEqual(reference);
    const otherEpoch = await viewsByIndex(new DataLoader(shapes, { batchSize: 4, transform, seed: 9 }), 4);
    expect(otherEpoch.get(0)![0]).not.toEqual(reference.get(0)![0]);
  });

  it('with DistributedSampler, ranks get disjoint equal shards with the views a single process would make', async () => {
    const single = await viewsByIndex(new DataLoader(shapes, { batchSize: 4, transform, seed: 1 }), 2);
    const seen: number[] = [];
    for (let rank = 0; rank < 3; rank++) {
      const sampler = new DistributedSampler({ datasetLength: shapes.length, rank, worldSize: 3, seed: 4, dropLast: true });
      const loader = new DataLoader(shapes, { batchSize: 2, transform, seed: 1, sampler, workers: rank === 1 ? 1 : 0 });
      const views = await viewsByIndex(loader, 2);
      expect(views.size).toBe(3);
      for (const [index, value] of views) {
        expect(value).toEqual(single.get(index));
        seen.push(index);
      }
    }
    expect(new Set(seen).size).toBe(9);
  });

  it('reads custom datasets on the calling thread and still augments them in workers', async () => {
    const custom: ImageDataset = { length: 5, get: async (index) => shapes.getSync(index) };
    const inline = await viewsByIndex(new DataLoader(custom, { batchSize: 2, transform }), 0);
    const threaded = await viewsByIndex(new DataLoader(custom, { batchSize: 2, transform, workers: 2 }), 0);
    expect(threaded).toEqual(inline);
  });

  it('runs custom transforms on the calling thread', async () => {
    const constant: ViewTransform = {
      viewSizes: [2],
      applyInto: (_image: RgbImage, key, outputs, slot) => outputs[0]!.fill(key.index, slot * 12, (slot + 1) * 12),
    };
    const batches: RawLoaderBatch[] = [];
    for await (const batch of new DataLoader(shapes, { batchSize: 4, transform: constant }).rawBatches()) batches.push(batch);
    expect(Array.from(batches[2]!.views[0]!)).toEqual([...new Array(12).fill(8), ...new Array(12).fill(9)]);
  });
});

describe('DataLoader shutdown and errors', () => {
  it('stops its workers when the iteration completes or is left early', async () => {
    const loader = new DataLoader(shapes, { batchSize: 2, transform, workers: 2 });
    for await (const batch of loader.rawBatches()) {
      expect(batch.indices.length).toBe(2);
      expect(loader.activeWorkers).toBe(2);
    }
    expect(loader.activeWorkers).toBe(0);
    for await (const _batch of loader.rawBatches()) break;
    expect(loader.activeWorkers).toBe(0);
    const iterator = loader.rawBatches();
    await iterator.next();
    expect(loader.activeWorkers).toBe(2);
    await iterator.return(undefined);
    expect(loader.activeWorkers).toBe(0);
  });

  it('keeps persistent workers between iterations until close(), with the same batches', async () => {
    const reference = await viewsByIndex(new DataLoader(shapes, { batchSize: 3, transform, seed: 6 }), 1);
    const loader = new DataLoader(shapes, { batchSize: 3, transform, seed: 6, workers: 2, persistentWorkers: true });
    for (let epoch = 0; epoch < 3; epoch++) {
      const views = await viewsByIndex(loader, epoch);
      expect(loader.activeWorkers).toBe(2);
      if (epoch === 1) expect(views).toEqual(reference);
    }
    for await (const _batch of loader.rawBatches()) break;
    expect(loader.activeWorkers).toBe(2);
    await loader.close();
    expect(loader.activeWorkers).toBe(0);
    // The next iteration starts fresh workers.
    expect(await viewsByIndex(loader, 1)).toEqual(reference);
    await loader.close();
  });

  it('stops persistent workers on failure and abort', async () => {
    const dataset = new ImageFolder(imageRoot);
    const failing = new DataLoader(dataset, { batchSize: 2, transform: new PlainTransform({ size: 4 }), workers: 1, persistentWorkers: true });
    await expect(
      (async () => {
        for await (const _batch of failing.rawBatches()) {
          // consume
        }
      })(),
    ).rejects.toThrow(DataLoaderError);
    expect(failing.activeWorkers).toBe(0);
    const controller = new AbortController();
    const aborted = new DataLoader(shapes, { batchSize: 2, transform, workers: 1, persistentWorkers: true, signal: controller.signal });
    const iterator = aborted.rawBatches();
    await iterator.next();
    controller.abort(new Error('stop now'));
    await expect(iterator.next()).rejects.toThrow('stop now');
    expect(aborted.activeWorkers).toBe(0);
  });

  it('lets the process exit while persistent workers are idle', () => {
    const script = fileURLToPath(new URL('./__fixtures__/persistent-exit.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('done 8 1');
    expect(child.status).toBe(0);
  });

  it('aborts through a signal: the pending next() rejects with the reason and the workers stop', async () => {
    const controller = new AbortController();
    const loader = new DataLoader(new SyntheticShapes({ length: 64, imageSize: 32 }), {
      batchSize: 2,
      transform: new MSNTransform({ randomSize: 32, focalSize: 16 }),
      workers: 2,
      signal: controller.signal,
    });
    const iterator = loader.rawBatches();
    await iterator.next();
    expect(loader.activeWorkers).toBe(2);
    controller.abort(new Error('user pressed stop'));
    // The threads stop at once, even before the consumer asks for the next batch.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(loader.activeWorkers).toBe(0);
    await expect(iterator.next()).rejects.toThrow('user pressed stop');
    // An already aborted signal stops before any work.
    await expect(loader.rawBatches().next()).rejects.toThrow('user pressed stop');
    const other = new AbortController();
    other.abort(new Error('per-iteration stop'));
    const fresh = new DataLoader(shapes, { batchSize: 2, transform });
    await expect(fresh.rawBatches({ signal: other.signal }).next()).rejects.toThrow('per-iteration stop');
  });

  it('propagates a corrupt file as a DataLoaderError naming the sample and the file, on the main thread and from workers', async () => {
    const dataset = new ImageFolder(imageRoot);
    const corrupt = dataset.files.findIndex((file) => file.endsWith('image-9-corrupt.png'));
    for (const workers of [0, 2]) {
      const loader = new DataLoader(dataset, { batchSize: 2, transform: new PlainTransform({ size: 4 }), workers });
      let failure: unknown;
      try {
        for await (const _batch of loader.rawBatches()) {
          // consume
        }
      } catch (error) {
        failure = error;
      }
      expect(failure).toBeInstanceOf(DataLoaderError);
      const error = failure as DataLoaderError;
      expect(error.message).toMatch(new RegExp(`DataLoader: sample ${corrupt} failed: ImageFolder: '.*image-9-corrupt.png': cannot be read or decoded`));
      expect(error.index).toBe(corrupt);
      expect(error.file).toBe(dataset.files[corrupt]);
      expect(loader.activeWorkers).toBe(0);
    }
  });

  it("skips corrupt files under onError: 'skip', warning on the main thread and counting them", async () => {
    for (const workers of [0, 1]) {
      const warnings: string[] = [];
      const dataset = new ImageFolder(imageRoot, { onError: 'skip', onWarning: (message) => warnings.push(message) });
      const loader = new DataLoader(dataset, { batchSize: 7, transform: new PlainTransform({ size: 4 }), workers });
      const batches: RawLoaderBatch[] = [];
      for await (const batch of loader.rawBatches()) batches.push(batch);
      expect(batches).toHaveLength(1);
      expect(batches[0]!.indices).toHaveLength(6);
      expect(batches[0]!.labels).toHaveLength(6);
      expect(batches[0]!.skipped.map(({ index }) => dataset.files[index])).toEqual([join(imageRoot, 'b', 'image-9-corrupt.png')]);
      expect(loader.skipped).toBe(1);
      expect(dataset.skipped).toHaveLength(1);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/skipped sample \d+ \('b\/image-9-corrupt.png'\)/);
    }
  });

  it('reports samplers producing indices outside the dataset', async () => {
    const sampler = { length: 1, setEpoch: () => undefined, indices: () => [10] };
    await expect(new DataLoader(shapes, { batchSize: 1, transform, sampler }).rawBatches().next()).rejects.toThrow(
      /the sampler produced index 10, outside the dataset's \[0, 9\]/,
    );
  });

  it('names the sample whose image is malformed or whose dataset throws', async () => {
    const dataset = (failing: number, failure: 'malformed' | 'throws'): ImageDataset => ({
      length: 4,
      get: async (index): Promise<Sample> => {
        if (index === failing && failure === 'throws') throw new Error('network down');
        return { image: { width: 2, height: 2, channels: 3, data: new Uint8Array(index === failing ? 5 : 12) } };
      },
    });
    const plain = new PlainTransform({ size: 2 });
    const malformed = new DataLoader(dataset(2, 'malformed'), { batchSize: 2, transform: plain }).rawBatches();
    await expect(malformed.next()).resolves.toMatchObject({ done: false });
    await expect(malformed.next()).rejects.toThrow(/DataLoader: sample 2 failed: DataLoader: invalid argument 'dataset.get\(2\).image'/);
    for (const workers of [0, 1]) {
      const throwing = new DataLoader(dataset(3, 'throws'), { batchSize: 4, transform: plain, workers });
      await expect(throwing.rawBatches().next()).rejects.toThrow('DataLoader: sample 3 failed: network down');
    }
  });

  it('rejects bad options at construction, naming them', () => {
    expect(() => new DataLoader(shapes, { batchSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => new DataLoader(shapes, { batchSize: 0 })).toThrow(/DataLoader: invalid argument 'batchSize' = 0/);
    expect(() => new DataLoader(shapes, { batchSize: 2, workers: -1 })).toThrow(/'workers' = -1/);
    expect(() => new DataLoader(shapes, { batchSize: 2, prefetch: 0 })).toThrow(/'prefetch' = 0/);
    expect(() => new DataLoader(shapes, { batchSize: 2, batch: 3 } as never)).toThrow(/'batch' = 3; expected no such option/);
    const sampler = new DistributedSampler({ datasetLength: 10, rank: 0, worldSize: 2 });
    expect(() => new DataLoader(shapes, { batchSize: 2, sampler, shuffle: true })).toThrow(/'shuffle' = true; expected false when a sampler is given/);
    const custom: ViewTransform = { viewSizes: [2], applyInto: () => undefined };
    expect(() => new DataLoader(shapes, { batchSize: 2, transform: custom, workers: 1 })).toThrow(/'workers' = 1; expected 0 with a custom transform/);
    expect(() => new DataLoader({} as ImageDataset, { batchSize: 2 })).toThrow(/'dataset'/);
    expect(() => new DataLoader(shapes, { batchSize: 2 }).setEpoch(-1)).toThrow(/DataLoader.setEpoch: invalid argument 'epoch' = -1/);
  });
});
