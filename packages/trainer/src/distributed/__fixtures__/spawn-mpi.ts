// Test helper: runs a TypeScript script as N ranks under mpirun (Open MPI's by default; MSN_TEST_MPIRUN picks another).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The trainer package directory (tsx resolves from here). */
export const PACKAGE_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** How an mpirun job ended. */
export interface MpirunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Every rank's output, as mpirun forwards it. */
  stdout: string;
  stderr: string;
  /** Milliseconds from the start of mpirun to its exit. */
  elapsedMs: number;
}

/** The launcher the MPI tests use: `mpirun` (Open MPI on Debian), or e.g. `mpirun.mpich` for a hand check. */
export const MPIRUN = process.env.MSN_TEST_MPIRUN ?? 'mpirun';

const version = spawnSync(MPIRUN, ['--version'], { encoding: 'utf8' });
/** Why the MPI tests are skipped, or undefined when mpirun runs. */
export const MPI_MISSING =
  version.error || version.status !== 0
    ? `${MPIRUN} not found: apt-get install openmpi-bin libopenmpi-dev (or brew install open-mpi) to run the MPI tests`
    : undefined;
const OPEN_MPI = /Open MPI|OpenRTE/.test(`${version.stdout}${version.stderr}`);

/**
 * The mpirun command line for `worldSize` ranks. Open MPI: root allowed (CI containers), more ranks than cores, and
 * no core binding (pinning each rank to one core starves tfjs's threads).
 */
export function mpirunArguments(worldSize: number): string[] {
  const openMpi = OPEN_MPI ? ['--oversubscribe', '--bind-to', 'none', ...(process.getuid?.() === 0 ? ['--allow-run-as-root'] : [])] : [];
  return [...openMpi, '-np', String(worldSize)];
}

/** Runs `node --import tsx script ...args` as `worldSize` ranks under mpirun; resolves when mpirun exits. */
export function runUnderMpirun(
  script: string,
  worldSize: number,
  args: string[],
  env: Record<string, string> = {},
  launcherArguments: string[] = [],
): Promise<MpirunOutcome> {
  const started = Date.now();
  const child = spawn(MPIRUN, [...mpirunArguments(worldSize), ...launcherArguments, process.execPath, '--import', 'tsx', script, ...args], {
    cwd: PACKAGE_DIRECTORY,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started }));
  });
}

/** Every `{…}` line the ranks printed, parsed (each rank prints its report as one line). */
export function jsonLines<T>(outcome: MpirunOutcome): T[] {
  return outcome.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}
