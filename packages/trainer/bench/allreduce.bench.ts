// All-reduce bandwidth of both multi-process backends (2 ranks on this machine), 1–64 MiB float32 buffers.
//   npx tsx bench/allreduce.bench.ts [--ranks 2] [--sizes 1,4,16,64] [--backends shm,tcp]
//                                    [--segment-bytes 262144] [--slot-bytes 8388608]
// Algorithm bandwidth = buffer bytes / time; bus bandwidth = algbw × 2(n−1)/n (NCCL's convention: the
// per-rank traffic of a bandwidth-optimal all-reduce, comparable across world sizes).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { initProcessGroup } from '../src/distributed/init-process-group';

const MiB = 1 << 20;

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
}

interface Measurement {
  backend: string;
  sizeMiB: number;
  iterations: number;
  /** allReduceInPlace: the transport's cost (plus one copy in and out of shared memory). */
  milliseconds: number;
  /** allReduce returning a new array: adds the allocation of the result. */
  newArrayMilliseconds: number;
}

/** One rank: times synchronous all-reduces of each size, in place and into a new array. */
async function rank(sizes: number[]): Promise<void> {
  const group = await initProcessGroup({
    rendezvousTimeoutMs: 60_000,
    segmentBytes: Number(option('segment-bytes', String(1 << 18))),
    shmSlotBytes: Number(option('slot-bytes', String(1 << 23))),
  });
  const results: Measurement[] = [];
  // Latency first: a 4-byte all-reduce (Sinkhorn's totals, BatchNorm statistics are this small), blocking,
  // then many in flight at once (async), which shows the per-operation cost without the blocking round trip.
  const scalar = new Float32Array(1);
  for (let warm = 0; warm < 50; warm++) group.allReduce(scalar);
  group.barrier();
  let start = performance.now();
  const latencyIterations = 500;
  for (let iteration = 0; iteration < latencyIterations; iteration++) group.allReduce(scalar);
  const latency = (performance.now() - start) / latencyIterations;
  group.barrier();
  start = performance.now();
  await Promise.all(Array.from({ length: latencyIterations }, () => group.allReduceAsync(scalar)));
  const pipelined = (performance.now() - start) / latencyIterations;
  if (group.rank === 0) console.log(JSON.stringify({ backend: group.backend, latencyMicroseconds: latency * 1000, pipelinedMicroseconds: pipelined * 1000 }));
  for (const sizeMiB of sizes) {
    const values = new Float32Array((sizeMiB * MiB) / 4).fill(group.rank + 1);
    group.allReduceInPlace(values);
    const iterations = Math.max(3, Math.round(64 / sizeMiB));
    group.barrier();
    start = performance.now();
    for (let iteration = 0; iteration < iterations; iteration++) group.allReduceInPlace(values);
    const milliseconds = (performance.now() - start) / iterations;
    group.barrier();
    start = performance.now();
    for (let iteration = 0; iteration < iterations; iteration++) group.allReduce(values);
    const newArrayMilliseconds = (performance.now() - start) / iterations;
    results.push({ backend: group.backend, sizeMiB, iterations, milliseconds, newArrayMilliseconds });
  }
  group.destroy();
  if (group.rank === 0) console.log(JSON.stringify(results));
}

/**
 * The synchronous mechanism alone, without any network: the main thread posts a request to a worker thread
 * and sleeps in Atomics.wait until the worker stores the request id and notifies (what every synchronous
 * collective pays on top of its transport).
 */
async function mechanismRoundTripMicroseconds(iterations: number): Promise<number> {
  const control = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const control = new Int32Array(workerData);
     parentPort.on('message', (id) => { Atomics.store(control, 0, id); Atomics.notify(control, 0); });`,
    { eval: true, workerData: control.buffer },
  );
  const roundTrip = (id: number) => {
    worker.postMessage(id);
    while (Atomics.load(control, 0) !== id) Atomics.wait(control, 0, id - 1, 1_000);
  };
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let id = 1; id <= 200; id++) roundTrip(id);
  const start = performance.now();
  for (let id = 201; id <= 200 + iterations; id++) roundTrip(id);
  const microseconds = ((performance.now() - start) * 1000) / iterations;
  await worker.terminate();
  return microseconds;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function main(): Promise<void> {
  const sizes = option('sizes', '1,4,16,64').split(',').map(Number);
  if (process.env.RANK !== undefined) return rank(sizes);
  const ranks = Number(option('ranks', '2'));
  const backends = option('backends', 'shm,tcp').split(',');
  const script = fileURLToPath(import.meta.url);
  console.log(`all-reduce, ${ranks} ranks on this machine (${process.platform}, node ${process.version})`);
  console.log(`main thread ⇄ worker round trip (postMessage + Atomics.wait/notify): ${(await mechanismRoundTripMicroseconds(2_000)).toFixed(1)} µs`);
  const table: string[] = ['backend  size        in place   algbw GB/s  busbw GB/s   new array   algbw GB/s'];
  for (const backend of backends) {
    const port = await freePort();
    const outputs = await Promise.all(
      Array.from({ length: ranks }, (_, rankIndex) => {
        const child = spawn(process.execPath, [...process.execArgv, script, ...process.argv.slice(2)], {
          env: {
            ...process.env,
            RANK: String(rankIndex),
            WORLD_SIZE: String(ranks),
            LOCAL_RANK: String(rankIndex),
            LOCAL_WORLD_SIZE: String(ranks),
            MASTER_ADDR: '127.0.0.1',
            MASTER_PORT: String(port),
            MSN_DIST_BACKEND: backend,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
        return new Promise<string>((resolve, reject) =>
          child.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`rank ${rankIndex} exited with ${code}`)))),
        );
      }),
    );
    const lines = outputs[0]!.trim().split('\n');
    const latency = JSON.parse(lines.at(-2)!) as { latencyMicroseconds: number; pipelinedMicroseconds: number };
    console.log(
      `${backend}: 4-byte all-reduce ${latency.latencyMicroseconds.toFixed(0)} µs blocking, ` +
        `${latency.pipelinedMicroseconds.toFixed(0)} µs each with ${500} in flight`,
    );
    const measurements = JSON.parse(lines.at(-1)!) as Measurement[];
    const time = (milliseconds: number) =>
      (milliseconds < 1 ? `${(milliseconds * 1000).toFixed(0)} µs` : `${milliseconds.toFixed(2)} ms`).padStart(10);
    const bandwidth = (bytes: number, milliseconds: number) => bytes / (milliseconds / 1000) / 1e9;
    for (const { backend: used, sizeMiB, milliseconds, newArrayMilliseconds } of measurements) {
      const bytes = sizeMiB * MiB;
      const algorithmBandwidth = bandwidth(bytes, milliseconds);
      const busBandwidth = (algorithmBandwidth * 2 * (ranks - 1)) / ranks;
      const size = bytes < 1024 ? `${bytes} B` : `${sizeMiB} MiB`;
      table.push(
        `${used.padEnd(8)} ${size.padEnd(10)} ${time(milliseconds)}   ${algorithmBandwidth.toFixed(3).padStart(9)}   ${busBandwidth.toFixed(3).padStart(9)}  ${time(newArrayMilliseconds)}   ${bandwidth(bytes, newArrayMilliseconds).toFixed(3).padStart(9)}`,
      );
    }
  }
  console.log(table.join('\n'));
}

await main();
