// One rank of the collectives tests: runs every collective on deterministic data and writes what it got.
import { writeFileSync } from 'node:fs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { initProcessGroup } from '../init-process-group';
import type { BackendPreference } from '../protocol';
import { rankIntegers, rankValues } from './rank-values';

interface ChildOptions {
  backend: BackendPreference;
  sizes: number[];
  /** Sizes checked for allReduce only, written as raw float32 to `<output>.<size>.f32`. */
  bigSizes?: number[];
  segmentBytes?: number;
  shmSlotBytes?: number;
  output: string;
  latencyIterations?: number;
}

const options = JSON.parse(process.argv[2]!) as ChildOptions;
await tf.setBackend('cpu');
const group = await initProcessGroup({
  backend: options.backend,
  timeoutMs: 30_000,
  rendezvousTimeoutMs: 30_000,
  segmentBytes: options.segmentBytes,
  shmSlotBytes: options.shmSlotBytes,
});
const { rank, worldSize } = group;
const results: Record<string, unknown> = { rank, worldSize, backend: group.backend, localWorldSize: group.localWorldSize };

for (const size of options.sizes) {
  const values = rankValues(rank, size);
  results[`sum/${size}`] = Array.from(group.allReduce(values));
  // A tensor of another shape, mean, through the tensor path.
  const tensor = tf.tensor(values, size % 2 === 0 ? [2, size / 2] : [size]);
  const mean = group.allReduce(tensor, 'mean');
  results[`mean/${size}`] = { shape: mean.shape, dtype: mean.dtype, values: Array.from(mean.dataSync()) };
  tf.dispose([tensor, mean]);
  results[`int/${size}`] = Array.from(group.allReduce(rankIntegers(rank, size)));
  // Async, two in flight, then a sync one after them: program order must hold.
  const first = group.allReduceAsync(rankValues(rank, size, 1));
  const second = group.allReduceAsync(tf.tensor(rankValues(rank, size, 2)));
  const third = group.allReduce(rankValues(rank, size, 3));
  const secondTensor = await second;
  results[`async/${size}`] = [Array.from(await first), Array.from(secondTensor.dataSync()), Array.from(third)];
  secondTensor.dispose();
  const inPlace = rankValues(rank, size, 7);
  group.allReduceInPlace(inPlace);
  const inPlaceAsync = rankValues(rank, size, 8);
  await group.allReduceInPlaceAsync(inPlaceAsync, 'mean');
  results[`inPlace/${size}`] = [Array.from(inPlace), Array.from(inPlaceAsync)];
  const parts = [tf.tensor(rankValues(rank, size, 4)), tf.tensor(rankValues(rank, 3, 5), [3, 1])];
  const coalesced = group.allReduceCoalesced(parts);
  results[`coalesced/${size}`] = coalesced.map((part) => ({ shape: part.shape, values: Array.from(part.dataSync()) }));
  tf.dispose([...parts, ...coalesced]);
  const root = size % worldSize;
  results[`broadcast/${size}`] = Array.from(group.broadcast(rankValues(rank, size, 6), root));
  const gathered = group.allGather(tf.tensor(rankIntegers(rank, size), [size], 'int32'));
  results[`gather/${size}`] = { shape: gathered.shape, values: Array.from(gathered.dataSync()) };
  gathered.dispose();
  group.barrier();
}
for (const size of options.bigSizes ?? []) {
  writeFileSync(`${options.output}.${size}.f32`, group.allReduce(rankValues(rank, size)));
}
results.object = group.broadcastObject(rank === 0 ? { hello: 'from rank 0', list: [1, 2, 3] } : undefined);
await group.barrierAsync();

// Tensors in, tensors out: nothing else may stay allocated.
const probe = tf.tensor(rankValues(rank, 10));
tf.dispose(group.allReduce(probe));
const before = tf.memory().numTensors;
for (let call = 0; call < 5; call++) {
  tf.dispose(group.allReduce(probe));
  tf.dispose(group.allReduceCoalesced([probe, probe]));
  tf.dispose(group.broadcast(probe, 0));
  tf.dispose(group.allGather(probe));
  tf.dispose(await group.allReduceAsync(probe, 'mean'));
}
results.leaked = tf.memory().numTensors - before;
probe.dispose();

if (options.latencyIterations) {
  const scalar = new Float32Array(1);
  group.barrier();
  const start = process.hrtime.bigint();
  for (let iteration = 0; iteration < options.latencyIterations; iteration++) group.allReduce(scalar);
  results.latencyMicroseconds = Number(process.hrtime.bigint() - start) / 1000 / options.latencyIterations;
}
// Issued before destroy, so it runs before it: it must resolve with its result, not a 'destroyed' error.
const beforeDestroy = group.allReduceAsync(rankValues(rank, 5, 9));
group.destroy();
results.asyncBeforeDestroy = Array.from(await beforeDestroy);
writeFileSync(options.output, JSON.stringify(results));
