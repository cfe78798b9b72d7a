// One rank of a fault scenario; prints {"ok":…} or {"error":{code,failedRank,message}} and exits 0 or 1.
import { initProcessGroup } from '../init-process-group';
import { DistributedError } from '../distributed-error';
import type { BackendPreference } from '../protocol';

interface FaultOptions {
  scenario: 'die' | 'hang' | 'mismatch' | 'join' | 'sum' | 'partition';
  backend: BackendPreference;
  timeoutMs: number;
  rendezvousTimeoutMs: number;
  /** The rank that dies or hangs. */
  victim?: number;
}

const options = JSON.parse(process.argv[2]!) as FaultOptions;
const rank = Number(process.env.RANK);
const started = Date.now();

function sleep(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

try {
  const group = await initProcessGroup({
    backend: options.backend,
    timeoutMs: options.timeoutMs,
    rendezvousTimeoutMs: options.rendezvousTimeoutMs,
  });
  const joined = Date.now();
  const values = new Float32Array(1000).fill(rank + 1);
  if (options.scenario === 'die' || options.scenario === 'hang') {
    group.allReduce(values);
    if (rank === options.victim) {
      // Dies without any cleanup (no destroy, no socket shutdown: the kernel closes everything) …
      if (options.scenario === 'die') process.kill(process.pid, 'SIGKILL');
      // … or blocks its main thread, so it never calls the next collective.
      sleep(30_000);
    }
    for (let step = 0; step < 1_000; step++) {
      group.allReduce(values);
      sleep(5);
    }
  } else if (options.scenario === 'mismatch') {
    group.allReduce(new Float32Array(rank === 0 ? 4 : 5));
  } else if (options.scenario === 'partition') {
    // Keeps exchanging until the test cuts the network between the ranks.
    console.log('joined');
    for (;;) {
      group.allReduce(values);
      sleep(20);
    }
  }
  const sum = options.scenario === 'sum' ? Array.from(group.allReduce(Float32Array.of(rank + 1))) : undefined;
  group.destroy();
  console.log(JSON.stringify({ ok: true, backend: group.backend, sum, joinMs: joined - started }));
} catch (error) {
  const details =
    error instanceof DistributedError
      ? { name: error.name, code: error.code, failedRank: error.failedRank, message: error.message }
      : { name: (error as Error).name, message: String((error as Error).stack ?? error) };
  console.log(JSON.stringify({ error: details, elapsedMs: Date.now() - started }));
  process.exitCode = 1;
}
