// One rank of mpi-process-group.test.ts: runs every collective under mpirun and prints what it got as one JSON line.
import '@tensorflow/tfjs-backend-cpu';
import { registerGradients } from '@msn/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { differentiableAllReduce } from '../differentiable-all-reduce';
import { initProcessGroup } from '../init-process-group';
import { MpiProcessGroup } from '../mpi-process-group';
import { startMpiSession } from '../mpi-session';
import type { ProcessGroup } from '../process-group';

await registerGradients();
await tf.setBackend('cpu');
const group = await initProcessGroup();
const { rank, worldSize } = group;
const list = (value: tf.Tensor | ArrayLike<number>) => Array.from(value instanceof tf.Tensor ? value.dataSync() : value);

/** The same battery on any group, so the chunked group (tiny maxCount) must give exactly the same answers. */
async function battery(on: ProcessGroup) {
  const inPlace = Float32Array.of(rank, 1);
  on.allReduceInPlace(inPlace);
  const gathered = on.allGather(tf.tensor1d([rank, 10 * rank]));
  return {
    sum: list(on.allReduce(tf.tensor1d([rank + 1, 2 * (rank + 1), 0.5]))),
    mean: list(on.allReduce(Float32Array.of(rank, 3), 'mean')),
    int32: list(on.allReduce(Int32Array.of(rank, -rank, 7))),
    inPlace: list(inPlace),
    coalesced: on
      .allReduceCoalesced([
        tf.scalar(rank),
        tf.tensor2d([
          [1, rank],
          [2, 3],
        ]),
      ])
      .map(list),
    broadcast: list(
      on.broadcast(
        Uint8Array.from({ length: 7 }, (_, index) => index * (rank + 1)),
        worldSize - 1,
      ),
    ),
    object: on.broadcastObject(rank === 0 ? { from: 'rank 0', values: [1, 2] } : null),
    gatheredShape: gathered.shape,
    gathered: list(gathered),
    async: list(await on.allReduceAsync(Float32Array.of(1, 2, 3, 4, 5))),
    barrier: await (async () => {
      on.barrier();
      await on.barrierAsync();
      return true;
    })(),
  };
}

const session = await startMpiSession(undefined, process.env);
const large = new Float32Array(1 << 20).fill(rank + 1);
group.allReduceInPlace(large);
const gradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(differentiableAllReduce(group, x), rank + 1)))(tf.tensor1d([1, 2]));
const report = {
  rank,
  worldSize,
  localRank: group.localRank,
  localWorldSize: group.localWorldSize,
  backend: group.backend,
  implementation: (group as MpiProcessGroup).implementation,
  plain: await battery(group),
  // maxCount 2: every buffer above goes in chunks of 2 elements, and allGather through per-rank broadcasts.
  chunked: await battery(new MpiProcessGroup(session, 2)),
  largeDistinct: [...new Set(large)],
  gradient: list(gradient),
};
group.destroy();
let destroyed = '';
try {
  group.barrier();
} catch (error) {
  destroyed = `${(error as Error).name}: ${(error as Error).message}`;
}
console.log(JSON.stringify({ ...report, destroyed }));
