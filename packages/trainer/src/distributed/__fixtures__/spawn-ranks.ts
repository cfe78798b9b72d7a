// Test helper: starts the ranks of a group as child processes (TypeScript through tsx) and collects them.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The trainer package directory (tsx resolves from here). */
export const PACKAGE_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A TCP port nobody listened on a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** How one child process ended. */
export interface RankOutcome {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the start of all ranks to this one's exit. */
  elapsedMs: number;
}

export interface SpawnedRank {
  rank: number;
  child: ChildProcess;
  done: Promise<RankOutcome>;
}

/** Runs a command in a private mount namespace with its own empty /dev/shm (needs root or user namespaces). */
export const PRIVATE_SHM_WRAPPER = ['unshare', '--mount', 'sh', '-c', 'mount -t tmpfs tmpfs /dev/shm && exec "$0" "$@"'];

/** Starts `node --import tsx <script> ...args` with the given environment, optionally under `wrapper`. */
export function spawnScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  rank: number,
  started = Date.now(),
  wrapper: string[] = [],
): SpawnedRank {
  const command = [...wrapper, process.execPath, '--import', 'tsx', script, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    cwd: PACKAGE_DIRECTORY,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const done = new Promise<RankOutcome>((resolveOutcome) => {
    child.once('close', (code, signal) =>
      resolveOutcome({ rank, code, signal, stdout, stderr, elapsedMs: Date.now() - started }),
    );
  });
  return { rank, child, done };
}

/** Environment of rank `rank` in a loopback group. */
export function rankEnvironment(rank: number, worldSize: number, port: number): Record<string, string> {
  return {
    RANK: String(rank),
    WORLD_SIZE: String(worldSize),
    LOCAL_RANK: String(rank),
    LOCAL_WORLD_SIZE: String(worldSize),
    MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: String(port),
  };
}

/** Starts `worldSize` ranks of `script` on a fresh port and waits for all of them. */
export async function runRanks(
  script: string,
  worldSize: number,
  args: (rank: number) => string[],
): Promise<RankOutcome[]> {
  const port = await freePort();
  const started = Date.now();
  const ranks = Array.from({ length: worldSize }, (_, rank) =>
    spawnScript(script, args(rank), rankEnvironment(rank, worldSize, port), rank, started),
  );
  return Promise.all(ranks.map((rank) => rank.done));
}

/** Parses the last JSON line a child printed (its report). */
export function lastJsonLine<T>(outcome: RankOutcome): T {
  const line = outcome.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((text) => text.startsWith('{'));
  if (!line) throw new Error(`rank ${outcome.rank} printed no report (code ${outcome.code}):\n${outcome.stdout}\n${outcome.stderr}`);
  return JSON.parse(line) as T;
}
