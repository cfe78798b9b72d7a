// Faults during DDP training with the Trainer, launched like a user would (msn-run), on loopback: no hang, clear
// errors naming the rank, non-zero exits, and a restart that resumes from the last checkpoint as if nothing happened.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIRECTORY, freePort, lastJsonLine, rankEnvironment, spawnScript } from '../distributed/__fixtures__/spawn-ranks';
import type { TrainerChildOptions } from './__fixtures__/trainer-child';

const BIN = join(PACKAGE_DIRECTORY, 'bin/msn-run.ts');
const CHILD = join(PACKAGE_DIRECTORY, 'src/ddp/__fixtures__/trainer-child.ts');
const root = mkdtempSync(join(tmpdir(), 'msn-ddp-faults-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;

interface Report {
  ok?: boolean;
  rank: number;
  restart?: number;
  resumed?: boolean;
  result?: { globalStep: number; stopReason: string };
  weight?: number[];
  bias?: number[];
  error?: { name: string; code?: string; failedRank?: number; message: string };
  elapsedMs: number;
}

interface LaunchResult {
  code: number | null;
  stderr: string;
  elapsedMs: number;
  /** The last report line of each rank (of the last attempt). */
  reports: Map<number, Report>;
}

/** `msn-run --nproc-per-node 2 … trainer-child.ts <options>`; reads each rank's last `[rank r] {…}` line. */
function msnRun(launcherArguments: string[], options: Omit<TrainerChildOptions, 'folder'>): Promise<LaunchResult> {
  const folder = join(root, `run-${runs++}`);
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, '--nproc-per-node', '2', ...launcherArguments, CHILD, JSON.stringify({ ...options, folder })], {
    cwd: PACKAGE_DIRECTORY,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) =>
    child.once('close', (code) => {
      const reports = new Map<number, Report>();
      for (const [, rank, json] of stdout.matchAll(/^\[rank (\d+)\] (\{.*\})$/gm)) reports.set(Number(rank), JSON.parse(json!) as Report);
      resolve({ code, stderr, elapsedMs: Date.now() - started, reports });
    }),
  );
}

describe('DDP training faults (msn-run, loopback)', () => {
  it('a rank that dies mid-training: msn-run names it, stops the other and exits non-zero', async () => {
    const port = String(await freePort());
    const run = await msnRun(['--master-port', port, '--timeout-ms', '120000'], { backend: 'tcp', maxSteps: 8, fault: { victim: 1, step: 4, kind: 'die' }, timeoutMs: 120_000 });
    expect(run.code).toBe(128 + 9);
    expect(run.stderr).toMatch(/msn-run: rank 1 \(local rank 1, pid \d+\) was killed by SIGKILL; stopped the other ranks/);
    expect(run.elapsedMs).toBeLessThan(60_000);
  });

  it('a rank that dies mid-training, without a launcher to stop the others: they fail at once with an error naming it', async () => {
    const port = await freePort();
    const folder = join(root, `run-${runs++}`);
    const started = Date.now();
    // A long timeout: the death is detected from the closed connections, not by waiting.
    const options = JSON.stringify({ backend: 'tcp', maxSteps: 8, fault: { victim: 1, step: 4, kind: 'die' }, timeoutMs: 120_000, folder } satisfies TrainerChildOptions);
    const ranks = [0, 1].map((rank) => spawnScript(CHILD, [options], rankEnvironment(rank, 2, port), rank, started));
    const [survivor, victim] = await Promise.all(ranks.map((rank) => rank.done));
    expect(victim!.signal).toBe('SIGKILL');
    expect(survivor!.code).toBe(1);
    const { error, elapsedMs } = lastJsonLine<Report>(survivor!);
    expect(error).toMatchObject({ name: 'DistributedError', code: 'peer-failure', failedRank: 1 });
    expect(error!.message).toMatch(/rank 1 .*(exited|lost)/);
    expect(elapsedMs).toBeLessThan(30_000);
  });

  it('a rank that stops making progress makes the other fail after the configured timeout, naming it', async () => {
    const port = String(await freePort());
    const timeoutMs = 2_000;
    const run = await msnRun(['--master-port', port, '--timeout-ms', String(timeoutMs)], { backend: 'shm', maxSteps: 8, fault: { victim: 1, step: 4, kind: 'hang' }, timeoutMs });
    expect(run.code).toBe(1);
    const survivor = run.reports.get(0)!;
    expect(survivor.error).toMatchObject({ name: 'DistributedError', code: 'timeout', failedRank: 1 });
    expect(survivor.error!.message).toMatch(/rank 1 has not called operation/);
    // The timeout plus start-up, far below the victim's 60 s sleep (msn-run then stops it).
    expect(survivor.elapsedMs).toBeLessThan(timeoutMs + 20_000);
    expect(run.elapsedMs).toBeLessThan(45_000);
    expect(run.stderr).toMatch(/msn-run: rank 0 \(local rank 0, pid \d+\) exited with code 1; stopped the other ranks/);
  });

  it('ranks started with different world sizes fail with a clear error and a non-zero exit', async () => {
    const port = await freePort();
    const folder = join(root, `run-${runs++}`);
    const started = Date.now();
    const options = JSON.stringify({ backend: 'auto', maxSteps: 2, folder } satisfies TrainerChildOptions);
    const ranks = [
      spawnScript(CHILD, [options], rankEnvironment(0, 2, port), 0, started),
      spawnScript(CHILD, [options], rankEnvironment(1, 3, port), 1, started),
    ];
    const outcomes = await Promise.all(ranks.map((rank) => rank.done));
    for (const outcome of outcomes) {
      expect(outcome.code).toBe(1);
      const { error } = lastJsonLine<Report>(outcome);
      expect(error).toMatchObject({ name: 'DistributedError', code: 'rendezvous-mismatch' });
      expect(error!.message).toMatch(/WORLD_SIZE=3 but rank 0 with WORLD_SIZE=2/);
    }
  });

  it('a rank that dies after a checkpoint: msn-run --max-restarts 1 resumes every rank from it and ends like an uninterrupted run', async () => {
    const common = { backend: 'auto' as const, maxSteps: 8, everyNTrainSteps: 3, ckptPath: 'last' };
    const reference = await msnRun(['--master-port', String(await freePort())], common);
    expect(reference.code).toBe(0);
    const run = await msnRun(['--master-port', String(await freePort()), '--max-restarts', '1'], { ...common, fault: { victim: 1, step: 4, kind: 'die' } });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/msn-run: rank 1 .*; restarting the group \(1 of 1\)/);
    for (const rank of [0, 1]) {
      const report = run.reports.get(rank)!;
      // The second attempt resumed from the checkpoint after step 3 and trained steps 4–8 again.
      expect(report).toMatchObject({ ok: true, restart: 1, resumed: true, result: { globalStep: 8, stopReason: 'maxSteps' } });
      expect(report.weight).toEqual(reference.reports.get(0)!.weight);
      expect(report.bias).toEqual(reference.reports.get(0)!.bias);
    }
  });
});
