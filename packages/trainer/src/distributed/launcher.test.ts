import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors';
import { PACKAGE_DIRECTORY } from './__fixtures__/spawn-ranks';
import { parseLauncherArguments } from './launcher';

const BIN = join(PACKAGE_DIRECTORY, 'bin/msn-run.ts');
const SCRIPT = join(PACKAGE_DIRECTORY, 'src/distributed/__fixtures__/launched-script.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Runs msn-run; `onLine` may act on its output (e.g. send it a signal). */
function msnRun(args: string[], onLine?: (line: string, signal: (name: NodeJS.Signals) => void) => void): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: PACKAGE_DIRECTORY, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    for (const line of text.split('\n')) onLine?.(line, (name) => child.kill(name));
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr, elapsedMs: Date.now() - started })));
}

describe('parseLauncherArguments', () => {
  it("reads torchrun's options in both spellings and leaves the script's arguments alone", () => {
    expect(
      parseLauncherArguments([
        '--nproc_per_node=4',
        '--nnodes',
        '2',
        '--node-rank',
        '1',
        '--master-addr',
        '10.0.0.1',
        '--master_port=1234',
        '--backend',
        'tcp',
        '--timeout-ms',
        '9000',
        '--max-restarts',
        '2',
        '--no-prefix',
        'train.js',
        '--epochs',
        '3',
      ]),
    ).toEqual({
      nprocPerNode: 4,
      nnodes: 2,
      nodeRank: 1,
      masterAddr: '10.0.0.1',
      masterPort: 1234,
      backend: 'tcp',
      timeoutMs: 9000,
      maxRestarts: 2,
      prefixOutput: false,
      noNode: false,
      killGraceMs: 5000,
      script: 'train.js',
      scriptArguments: ['--epochs', '3'],
    });
    expect(parseLauncherArguments(['--help'])).toBe('help');
  });

  it('names the option that is wrong', () => {
    expect(() => parseLauncherArguments(['train.js'])).toThrow(InvalidArgumentError);
    expect(() => parseLauncherArguments(['train.js'])).toThrow(/'--nproc-per-node' = undefined; expected the number of processes/);
    expect(() => parseLauncherArguments(['--nproc-per-node', '0', 'x.js'])).toThrow(/'--nproc-per-node' = "0"; expected an integer in 1…/);
    expect(() => parseLauncherArguments(['--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '2', 'x.js'])).toThrow(
      /'--node-rank' = "2"; expected an integer in 0…1/,
    );
    expect(() => parseLauncherArguments(['--nproc-per-node', '2', '--backend', 'nccl', 'x.js'])).toThrow(/'--backend' = "nccl"/);
    expect(() => parseLauncherArguments(['--nproc-per-node', '2', '--gpus', '1', 'x.js'])).toThrow(/'--gpus' = "--gpus"; expected one of/);
    expect(() => parseLauncherArguments(['--nproc-per-node', '2'])).toThrow(/'script' = undefined/);
  });
});

describe('msn-run', () => {
  it('starts the ranks with the launcher variables and prefixes their output', async () => {
    const run = await msnRun(['--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '1', '--master-port', '4321', '--backend', 'shm', SCRIPT, 'ok', 'a', 'b']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[rank 2] rank 2 of 4, local 0 of 2, master 127.0.0.1:4321, restart 0, backend shm, args a b');
    expect(run.stdout).toContain('[rank 3] rank 3 of 4, local 1 of 2, master 127.0.0.1:4321, restart 0, backend shm, args a b');
    expect(run.stderr).toContain('[rank 3] stderr of rank 3');
  });

  it('stops the others when a rank fails, and exits with its code naming it', async () => {
    const run = await msnRun(['--nproc-per-node', '3', SCRIPT, 'fail']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/msn-run: rank 1 \(local rank 1, pid \d+\) exited with code 3; stopped the other ranks/);
    expect(run.stdout).not.toContain('still alive');
    expect(run.elapsedMs).toBeLessThan(20_000);
  });

  it('kills a rank that ignores SIGTERM after the grace period', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'msn-launcher-')), 'rank-0-ready');
    const run = await msnRun(['--nproc-per-node', '2', '--kill-grace-ms', '500', SCRIPT, 'stubborn', marker]);
    rmSync(dirname(marker), { recursive: true, force: true });
    expect(run.code).toBe(5);
    expect(run.stdout).toContain('[rank 0] ignoring SIGTERM');
    expect(run.stdout).not.toContain('still alive');
  });

  it('restarts the whole group up to --max-restarts times', async () => {
    const run = await msnRun(['--nproc-per-node', '2', '--max-restarts', '1', SCRIPT, 'flaky']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/rank 1 \(local rank 1, pid \d+\) exited with code 4; restarting the group \(1 of 1\)/);
    expect(run.stdout).toContain('[rank 1] rank 1 of 2, local 1 of 2, master 127.0.0.1:29500, restart 1');
  });

  it('forwards SIGTERM to every rank and exits with 128 + 15', async () => {
    let ready = 0;
    const run = await msnRun(['--nproc-per-node', '2', SCRIPT, 'wait'], (line, signal) => {
      if (line.endsWith('] ready') && ++ready === 2) signal('SIGTERM');
    });
    expect(run.code).toBe(143);
    expect(run.stdout).not.toContain('still alive');
  });

  it('prints usage for bad arguments and exits with 2', async () => {
    const run = await msnRun(['--nproc-per-node', 'two', SCRIPT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("msn-run: invalid argument '--nproc-per-node' = \"two\"");
    expect(run.stderr).toContain('usage: msn-run --nproc-per-node N');
  });
});
