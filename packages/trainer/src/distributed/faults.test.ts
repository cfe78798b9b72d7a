import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PACKAGE_DIRECTORY,
  PRIVATE_SHM_WRAPPER,
  freePort,
  lastJsonLine,
  rankEnvironment,
  spawnScript,
  type RankOutcome,
  type SpawnedRank,
} from './__fixtures__/spawn-ranks';

// Fault scenarios on loopback: every rank must stop with a clear error naming the rank responsible, quickly,
// and exit non-zero; nothing may hang.
const CHILD = join(PACKAGE_DIRECTORY, 'src/distributed/__fixtures__/fault-child.ts');

interface Report {
  ok?: boolean;
  backend?: string;
  sum?: number[];
  error?: { name: string; code?: string; failedRank?: number; message: string };
  elapsedMs?: number;
}

interface Launch {
  worldSize: number;
  /** Ranks to start (default all). */
  ranks?: number[];
  /** WORLD_SIZE per rank, to simulate a misconfigured launch. */
  worldSizeOf?: (rank: number) => number;
  port?: number;
  options: Record<string, unknown>;
  /** Per-rank changes to `options`. */
  optionsOf?: (rank: number) => Record<string, unknown>;
  /** Command prefix per rank (e.g. a private /dev/shm). */
  wrapperOf?: (rank: number) => string[];
}

async function start({ worldSize, ranks, worldSizeOf, port, options, optionsOf, wrapperOf }: Launch): Promise<SpawnedRank[]> {
  const masterPort = port ?? (await freePort());
  const started = Date.now();
  return (ranks ?? Array.from({ length: worldSize }, (_, rank) => rank)).map((rank) =>
    spawnScript(
      CHILD,
      [JSON.stringify({ ...options, ...optionsOf?.(rank) })],
      rankEnvironment(rank, worldSizeOf?.(rank) ?? worldSize, masterPort),
      rank,
      started,
      wrapperOf?.(rank),
    ),
  );
}

async function launch(settings: Launch): Promise<RankOutcome[]> {
  return Promise.all((await start(settings)).map((child) => child.done));
}

const report = (outcome: RankOutcome) => lastJsonLine<Report>(outcome);

describe.each(['shm', 'tcp'] as const)('faults [%s]', (backend) => {
  it('a rank that dies stops the others at once with an error naming it, whatever the timeout', async () => {
    // A long timeout: detection must come from the closed connections, not from waiting.
    const outcomes = await launch({
      worldSize: 3,
      options: { scenario: 'die', backend, victim: 2, timeoutMs: 120_000, rendezvousTimeoutMs: 20_000 },
    });
    expect(outcomes[2]!.signal).toBe('SIGKILL');
    for (const outcome of outcomes.slice(0, 2)) {
      expect(outcome.code, outcome.stderr).toBe(1);
      const { error, elapsedMs } = report(outcome);
      expect(error?.name).toBe('DistributedError');
      expect(error?.code).toBe('peer-failure');
      expect(error?.failedRank).toBe(2);
      expect(error?.message).toMatch(/rank 2 .*(exited|lost)/);
      expect(elapsedMs).toBeLessThan(20_000);
    }
  });

  it('a rank that stops calling collectives makes the others time out with its rank and what it is doing', async () => {
    const timeoutMs = 1_500;
    const [first, victim, third] = await start({
      worldSize: 3,
      options: { scenario: 'hang', backend, victim: 1, timeoutMs, rendezvousTimeoutMs: 20_000 },
    });
    const survivors = await Promise.all([first!.done, third!.done]);
    // The victim's main thread sleeps for 30 s; it has no say in the verdict, and is stopped here.
    victim!.child.kill('SIGKILL');
    await victim!.done;
    for (const outcome of survivors) {
      expect(outcome.code, outcome.stderr).toBe(1);
      const { error, elapsedMs } = report(outcome);
      expect(error?.code).toBe('timeout');
      expect(error?.failedRank).toBe(1);
      expect(error?.message).toMatch(/rank 1 has not called operation #2/);
      // timeout + status round + process start-up; far below the victim's 60 s sleep.
      expect(elapsedMs).toBeLessThan(timeoutMs + 15_000);
    }
  });

  it('ranks that call different collectives fail with both calls in the message', async () => {
    const outcomes = await launch({
      worldSize: 2,
      options: { scenario: 'mismatch', backend, timeoutMs: 20_000, rendezvousTimeoutMs: 20_000 },
    });
    for (const outcome of outcomes) {
      expect(outcome.code, outcome.stderr).toBe(1);
      const { error } = report(outcome);
      expect(error?.code).toBe('collective-mismatch');
      expect(error?.message).toMatch(/allReduce #1 \(float32 × (4|5), sum\).*allReduce #1 \(float32 × (4|5), sum\)/);
    }
  });
});

describe('rendezvous faults', () => {
  const options = { scenario: 'join', backend: 'auto', timeoutMs: 20_000, rendezvousTimeoutMs: 1_500 };

  it('times out naming the ranks that never joined', async () => {
    const [outcome] = await launch({ worldSize: 3, ranks: [0], options });
    expect(outcome!.code).toBe(1);
    const { error, elapsedMs } = report(outcome!);
    expect(error?.code).toBe('rendezvous-timeout');
    expect(error?.message).toMatch(/1 of 3 ranks joined; missing rank\(s\) 1, 2/);
    expect(elapsedMs).toBeLessThan(15_000);
  });

  it('times out when rank 0 is unreachable, naming the address', async () => {
    const port = await freePort();
    const [outcome] = await launch({ worldSize: 2, ranks: [1], port, options });
    expect(outcome!.code).toBe(1);
    const { error } = report(outcome!);
    expect(error?.code).toBe('rendezvous-timeout');
    expect(error?.message).toContain(`could not reach rank 0 (the rendezvous) at 127.0.0.1:${port}`);
  });

  it('fails with address-in-use when MASTER_PORT is taken', async () => {
    const port = await freePort();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const [outcome] = await launch({ worldSize: 2, ranks: [0], port, options });
      expect(outcome!.code).toBe(1);
      const { error } = report(outcome!);
      expect(error?.code).toBe('address-in-use');
      expect(error?.message).toMatch(new RegExp(`port ${port}: the port is in use`));
    } finally {
      server.close();
    }
  });

  it('rejects ranks started with different WORLD_SIZE values, on both sides', async () => {
    const outcomes = await launch({
      worldSize: 2,
      worldSizeOf: (rank) => (rank === 0 ? 2 : 3),
      options: { ...options, rendezvousTimeoutMs: 20_000 },
    });
    for (const outcome of outcomes) {
      expect(outcome.code, outcome.stderr).toBe(1);
      const { error } = report(outcome);
      expect(error?.code).toBe('rendezvous-mismatch');
      expect(error?.message).toMatch(/WORLD_SIZE=3 but rank 0 with WORLD_SIZE=2/);
      expect(outcome.elapsedMs).toBeLessThan(15_000);
    }
  });

  it('rejects ranks that chose different backends', async () => {
    const outcomes = await launch({
      worldSize: 2,
      options: { ...options, rendezvousTimeoutMs: 20_000 },
      optionsOf: (rank) => ({ backend: rank === 0 ? 'shm' : 'tcp' }),
    });
    for (const outcome of outcomes) {
      expect(outcome.code, outcome.stderr).toBe(1);
      const { error } = report(outcome);
      expect(error?.code).toBe('rendezvous-mismatch');
      expect(error?.message).toMatch(/rank \d \(pid \d+ on .*\) uses backend = "?(shm|tcp)"? but rank \d uses "?(shm|tcp)"?/);
    }
  });
});

// Two "machines" that share a hostname but not /dev/shm: rank 1 runs in a mount namespace of its own.
const privateShm = spawnSync(PRIVATE_SHM_WRAPPER[0]!, [...PRIVATE_SHM_WRAPPER.slice(1), 'true']).status === 0;

describe.skipIf(!privateShm)('shared memory that is not shared', () => {
  const base = { scenario: 'join', timeoutMs: 20_000, rendezvousTimeoutMs: 20_000 };
  const wrapperOf = (rank: number) => (rank === 1 ? PRIVATE_SHM_WRAPPER : []);

  it("'auto' notices through the probe file and falls back to tcp", async () => {
    const outcomes = await launch({ worldSize: 2, options: { ...base, backend: 'auto' }, wrapperOf });
    for (const outcome of outcomes) {
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(report(outcome)).toMatchObject({ ok: true, backend: 'tcp' });
    }
  });

  it("'shm' fails on every rank, naming the rank that cannot share memory", async () => {
    const outcomes = await launch({ worldSize: 2, options: { ...base, backend: 'shm' }, wrapperOf });
    for (const outcome of outcomes) {
      expect(outcome.code, outcome.stderr).toBe(1);
      const { error } = report(outcome);
      expect(error?.code).toBe('shared-memory');
      expect(error?.failedRank).toBe(1);
      expect(error?.message).toMatch(/rank 1 cannot share memory with rank 0: cannot open \/dev\/shm\/msn-.*; use backend 'tcp' or 'auto'/);
    }
  });
});

// Two machines on one host: network namespaces joined by a veth pair, each with its own hostname (UTS
// namespace), so ranks see distinct addresses and hosts, and a link can be cut like a failing network.
const NAMESPACES = [`msn-${process.pid}-a`, `msn-${process.pid}-b`];
const SUBNET = `10.213.${process.pid % 250}`;
const canCreateNamespaces =
  spawnSync('ip', ['netns', 'add', `msn-probe-${process.pid}`]).status === 0 &&
  spawnSync('ip', ['netns', 'del', `msn-probe-${process.pid}`]).status === 0;

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr}`);
}

describe.skipIf(!canCreateNamespaces)('two machines (network namespaces)', () => {
  const [first, second] = NAMESPACES as [string, string];
  const veth = [`msnv${process.pid % 100_000}a`, `msnv${process.pid % 100_000}b`] as const;
  beforeAll(() => {
    ip('netns', 'add', first);
    ip('netns', 'add', second);
    ip('link', 'add', veth[0], 'type', 'veth', 'peer', 'name', veth[1]);
    ip('link', 'set', veth[0], 'netns', first);
    ip('link', 'set', veth[1], 'netns', second);
    ip('-n', first, 'addr', 'add', `${SUBNET}.1/24`, 'dev', veth[0]);
    ip('-n', second, 'addr', 'add', `${SUBNET}.2/24`, 'dev', veth[1]);
    for (const [namespace, device] of [[first, veth[0]], [second, veth[1]]] as const) {
      ip('-n', namespace, 'link', 'set', 'lo', 'up');
      ip('-n', namespace, 'link', 'set', device, 'up');
    }
  });
  afterAll(() => {
    for (const namespace of NAMESPACES) spawnSync('ip', ['netns', 'del', namespace]);
  });

  const machine = (rank: number) => [
    'ip', 'netns', 'exec', NAMESPACES[rank]!,
    'unshare', '--uts', 'sh', '-c', `hostname machine-${rank} && exec "$0" "$@"`,
  ];

  async function startAcross(options: Record<string, unknown>): Promise<SpawnedRank[]> {
    const started = Date.now();
    return [0, 1].map((rank) =>
      spawnScript(
        CHILD,
        [JSON.stringify(options)],
        { ...rankEnvironment(rank, 2, 29_500), MASTER_ADDR: `${SUBNET}.1`, LOCAL_WORLD_SIZE: '1', LOCAL_RANK: '0' },
        rank,
        started,
        machine(rank),
      ),
    );
  }

  it("'auto' chooses tcp between machines and all-reduces over the ring", async () => {
    const ranks = await startAcross({ scenario: 'sum', backend: 'auto', timeoutMs: 20_000, rendezvousTimeoutMs: 20_000 });
    for (const outcome of await Promise.all(ranks.map((rank) => rank.done))) {
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(report(outcome)).toMatchObject({ ok: true, backend: 'tcp', sum: [3] });
    }
  });

  it('a cut network (no FIN, no RST) fails rank 0 within the timeout, naming the unreachable rank', async () => {
    const timeoutMs = 2_000;
    const ranks = await startAcross({ scenario: 'partition', backend: 'tcp', timeoutMs, rendezvousTimeoutMs: 20_000 });
    await new Promise<void>((resolve) => {
      let seen = 0;
      for (const rank of ranks) {
        rank.child.stdout!.on('data', (text: string) => {
          if (text.includes('joined') && ++seen === 2) resolve();
        });
      }
    });
    const cutAt = Date.now();
    ip('-n', second, 'link', 'set', veth[1], 'down');
    const outcome = await ranks[0]!.done;
    ranks[1]!.child.kill('SIGKILL');
    await ranks[1]!.done;
    ip('-n', second, 'link', 'set', veth[1], 'up');
    expect(outcome.code, outcome.stderr).toBe(1);
    const { error } = report(outcome);
    // e.g. "rank 1 (pid 20387) did not answer a status request: its process is frozen or overloaded
    // (rank 0 reported: no data from rank 1 (left ring neighbour, pid 20387 on machine-1) for 2000 ms)"
    expect(error?.code).toBe('timeout');
    expect(error?.failedRank).toBe(1);
    expect(error?.message).toMatch(/rank 1 \(pid \d+\) did not answer a status request/);
    expect(Date.now() - cutAt).toBeLessThan(timeoutMs + 10_000);
  });
});
