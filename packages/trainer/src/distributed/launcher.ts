// msn-run: starts the ranks of one machine like torchrun, streams their output, and fails fast as a group.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { InvalidArgumentError } from '../errors';
import { DEFAULT_MASTER_PORT } from './environment';

/** What `msn-run` was asked to do. */
export interface LauncherOptions {
  /** Processes to start on this machine. */
  nprocPerNode: number;
  /** Machines in the job. @default 1 */
  nnodes: number;
  /** This machine's index, 0 … nnodes−1. @default 0 */
  nodeRank: number;
  /** Address of the machine running rank 0. @default '127.0.0.1' */
  masterAddr: string;
  /** Rendezvous port on rank 0's machine. @default 29500 */
  masterPort: number;
  /** Sets MSN_DIST_BACKEND for the ranks. @default undefined (the ranks' own choice, normally 'auto') */
  backend: 'auto' | 'shm' | 'tcp' | undefined;
  /** Sets MSN_DIST_TIMEOUT_MS for the ranks. @default undefined */
  timeoutMs: number | undefined;
  /** Times the whole group is restarted after a failure (each rank sees MSN_RESTART_COUNT). @default 0 */
  maxRestarts: number;
  /** Prefix every output line with `[rank r]`. @default true */
  prefixOutput: boolean;
  /** Run `script` as an executable instead of with Node. @default false */
  noNode: boolean;
  /** After a failure, how long the other ranks get to exit after SIGTERM before SIGKILL. @default 5000 */
  killGraceMs: number;
  /** The program: a .js/.mjs/.cjs file (run with node), a .ts file (run with node --import tsx), or an executable. */
  script: string;
  /** Arguments passed to every rank. */
  scriptArguments: string[];
}

/** The usage text printed by `msn-run --help`. */
export const LAUNCHER_USAGE: string = `usage: msn-run --nproc-per-node N [options] <script> [script arguments…]

Starts N processes of <script> on this machine with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
MASTER_ADDR and MASTER_PORT set (as torchrun does); initProcessGroup() reads them.

options:
  --nproc-per-node N     processes on this machine (required)
  --nnodes M             machines in the job (default 1)
  --node-rank R          index of this machine, 0…M-1 (default 0)
  --master-addr A        address of the machine of rank 0 (default 127.0.0.1)
  --master-port P        rendezvous port (default ${DEFAULT_MASTER_PORT})
  --backend B            auto | shm | tcp (sets MSN_DIST_BACKEND)
  --timeout-ms T         collective timeout (sets MSN_DIST_TIMEOUT_MS)
  --max-restarts K       restart the whole group up to K times after a failure (default 0)
  --no-prefix            do not prefix output lines with [rank r]
  --no-node              run <script> as an executable instead of with node
  -h, --help             show this help

If any rank exits with a non-zero code, the others are stopped (SIGTERM, then SIGKILL) and msn-run exits
with that code, naming the rank. SIGINT and SIGTERM are forwarded to every rank.`;

const CALLER = 'msn-run';

function integerArgument(name: string, text: string | undefined, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(value) || value < minimum || value > maximum) {
    throw new InvalidArgumentError({ caller: CALLER, argument: name, value: text, expected: `an integer in ${minimum}…${maximum}` });
  }
  return value;
}

/**
 * Parses `msn-run`'s command line (torchrun's spellings: `--nproc-per-node 2`, `--nproc_per_node=2`).
 * Options stop at the script; everything after it belongs to the script.
 * @returns the options, or `'help'` for `-h` / `--help`.
 * @throws {InvalidArgumentError} naming the option for unknown options, bad values or a missing script.
 */
export function parseLauncherArguments(argv: readonly string[]): LauncherOptions | 'help' {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const valued = ['nproc-per-node', 'nnodes', 'node-rank', 'master-addr', 'master-port', 'backend', 'timeout-ms', 'max-restarts', 'kill-grace-ms'];
  const switches = ['no-prefix', 'no-node'];
  let index = 0;
  for (; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '-h' || argument === '--help') return 'help';
    if (argument === '--') {
      index += 1;
      break;
    }
    if (!argument.startsWith('--')) break;
    const [rawName, inline] = argument.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const name = rawName.replaceAll('_', '-');
    if (switches.includes(name) && inline === undefined) {
      flags.add(name);
    } else if (valued.includes(name)) {
      const value = inline ?? argv[++index];
      if (value === undefined) {
        throw new InvalidArgumentError({ caller: CALLER, argument: `--${name}`, value: undefined, expected: 'a value' });
      }
      values.set(name, value);
    } else {
      throw new InvalidArgumentError({ caller: CALLER, argument: argument, value: argument, expected: `one of --${[...valued, ...switches].join(', --')}` });
    }
  }
  const script = argv[index];
  if (script === undefined) {
    throw new InvalidArgumentError({ caller: CALLER, argument: 'script', value: undefined, expected: 'the program to run after the options' });
  }
  if (!values.has('nproc-per-node')) {
    throw new InvalidArgumentError({ caller: CALLER, argument: '--nproc-per-node', value: undefined, expected: 'the number of processes to start' });
  }
  const nnodes = integerArgument('--nnodes', values.get('nnodes') ?? '1', 1);
  const backend = values.get('backend');
  if (backend !== undefined && backend !== 'auto' && backend !== 'shm' && backend !== 'tcp') {
    throw new InvalidArgumentError({ caller: CALLER, argument: '--backend', value: backend, expected: 'auto, shm or tcp' });
  }
  const masterAddr = values.get('master-addr') ?? '127.0.0.1';
  if (masterAddr.trim() === '') {
    throw new InvalidArgumentError({ caller: CALLER, argument: '--master-addr', value: masterAddr, expected: 'a host name or IP address' });
  }
  return {
    nprocPerNode: integerArgument('--nproc-per-node', values.get('nproc-per-node'), 1),
    nnodes,
    nodeRank: integerArgument('--node-rank', values.get('node-rank') ?? '0', 0, nnodes - 1),
    masterAddr,
    masterPort: integerArgument('--master-port', values.get('master-port') ?? String(DEFAULT_MASTER_PORT), 1, 65_535),
    backend: backend as LauncherOptions['backend'],
    timeoutMs: values.has('timeout-ms') ? integerArgument('--timeout-ms', values.get('timeout-ms'), 1) : undefined,
    maxRestarts: integerArgument('--max-restarts', values.get('max-restarts') ?? '0', 0),
    prefixOutput: !flags.has('no-prefix'),
    noNode: flags.has('no-node'),
    killGraceMs: integerArgument('--kill-grace-ms', values.get('kill-grace-ms') ?? '5000', 0),
    script,
    scriptArguments: argv.slice(index + 1),
  };
}

/** Where the launcher writes its own messages and the ranks' output. */
export interface LauncherOutput {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

interface RankProcess {
  rank: number;
  localRank: number;
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGHUP: 1 };

function commandFor(options: LauncherOptions): [string, string[]] {
  if (options.noNode) return [options.script, options.scriptArguments];
  const typescript = /\.[mc]?ts$/.test(options.script);
  return [process.execPath, [...(typescript ? ['--import', 'tsx'] : []), options.script, ...options.scriptArguments]];
}

function pipeLines(stream: NodeJS.ReadableStream | null, prefix: string, target: NodeJS.WritableStream): Promise<void> {
  if (!stream) return Promise.resolve();
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => target.write(`${prefix}${line}\n`));
  return new Promise((resolve) => lines.once('close', () => resolve()));
}

/**
 * Runs the ranks of this machine until they all exit. If one fails (non-zero code or a signal), the others
 * get SIGTERM and, after `killGraceMs`, SIGKILL; then the group restarts if `maxRestarts` allows, else the
 * launcher reports the rank and returns its exit code (128 + signal number for a signal). SIGINT/SIGTERM
 * received by the launcher go to every rank, and no restart follows.
 *
 * @example
 * process.exitCode = await launch(parseLauncherArguments(['--nproc-per-node', '2', 'train.js']) as LauncherOptions);
 * @returns the exit code for the launcher's own process.
 */
export async function launch(
  options: LauncherOptions,
  output: LauncherOutput = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let interrupted: NodeJS.Signals | undefined;
  let current: RankProcess[] = [];
  const forward = (signal: NodeJS.Signals) => {
    // A second Ctrl-C means "now".
    const escalate = interrupted !== undefined;
    interrupted = signal;
    for (const rank of current) rank.child.kill(escalate ? 'SIGKILL' : signal);
  };
  const onInterrupt = () => forward('SIGINT');
  const onTerminate = () => forward('SIGTERM');
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  try {
    for (let attempt = 0; ; attempt++) {
      current = startRanks(options, attempt, output);
      const failure = await superviseRanks(current, options, () => interrupted !== undefined);
      if (!failure) return interrupted ? 128 + (SIGNAL_NUMBERS[interrupted] ?? 0) : 0;
      if (interrupted) return 128 + (SIGNAL_NUMBERS[interrupted] ?? 0);
      const { rank, code, signal, pid, localRank } = failure;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const exitCode = signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 0) : (code ?? 1);
      if (attempt < options.maxRestarts) {
        output.stderr.write(`msn-run: rank ${rank} (local rank ${localRank}, pid ${pid}) ${how}; restarting the group (${attempt + 1} of ${options.maxRestarts})\n`);
        continue;
      }
      output.stderr.write(
        `msn-run: rank ${rank} (local rank ${localRank}, pid ${pid}) ${how}; stopped the other ranks` +
          (options.maxRestarts > 0 ? ` after ${options.maxRestarts} restart(s)` : '') +
          '\n',
      );
      return exitCode === 0 ? 1 : exitCode;
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onTerminate);
  }
}

function startRanks(options: LauncherOptions, attempt: number, output: LauncherOutput): RankProcess[] {
  const worldSize = options.nnodes * options.nprocPerNode;
  const [command, args] = commandFor(options);
  return Array.from({ length: options.nprocPerNode }, (_, localRank) => {
    const rank = options.nodeRank * options.nprocPerNode + localRank;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RANK: String(rank),
      WORLD_SIZE: String(worldSize),
      LOCAL_RANK: String(localRank),
      LOCAL_WORLD_SIZE: String(options.nprocPerNode),
      GROUP_RANK: String(options.nodeRank),
      MASTER_ADDR: options.masterAddr,
      MASTER_PORT: String(options.masterPort),
      MSN_RESTART_COUNT: String(attempt),
    };
    if (options.backend) env.MSN_DIST_BACKEND = options.backend;
    if (options.timeoutMs !== undefined) env.MSN_DIST_TIMEOUT_MS = String(options.timeoutMs);
    const child = spawn(command, args, {
      env,
      stdio: options.prefixOutput ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    const prefix = `[rank ${rank}] `;
    const piped = options.prefixOutput
      ? Promise.all([pipeLines(child.stdout, prefix, output.stdout), pipeLines(child.stderr, prefix, output.stderr)])
      : Promise.resolve();
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('error', (error) => {
        output.stderr.write(`msn-run: could not start rank ${rank} (${command}): ${error.message}\n`);
        resolve({ code: 127, signal: null });
      });
      child.once('exit', (code, signal) => void piped.then(() => resolve({ code, signal })));
    });
    return { rank, localRank, child, exit };
  });
}

interface Failure {
  rank: number;
  localRank: number;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Waits for every rank; on the first failure stops the others. Resolves with that failure, if any. */
async function superviseRanks(
  ranks: RankProcess[],
  options: LauncherOptions,
  interrupted: () => boolean,
): Promise<Failure | undefined> {
  let failure: Failure | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  await Promise.all(
    ranks.map(async (rank) => {
      const { code, signal } = await rank.exit;
      if (code === 0 || failure) return;
      failure = { rank: rank.rank, localRank: rank.localRank, pid: rank.child.pid, code, signal };
      // After an interrupt the launcher already signalled every rank; otherwise stop the survivors.
      if (interrupted()) return;
      for (const other of ranks) if (other !== rank && other.child.exitCode === null) other.child.kill('SIGTERM');
      killTimer = setTimeout(() => {
        for (const other of ranks) if (other.child.exitCode === null && other.child.signalCode === null) other.child.kill('SIGKILL');
      }, options.killGraceMs);
    }),
  );
  clearTimeout(killTimer);
  return failure;
}
