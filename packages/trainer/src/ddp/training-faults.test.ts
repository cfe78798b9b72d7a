// Faults during DDP training with the Trainer, launched like a user would (mpirun): a rank that dies ends the job on
// every rank, non-zero, within a bounded time, with mpirun's message naming it; the rerun resumes from the last
// checkpoint and ends as if nothing happened. The process group's own launch errors are tested here too.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MPI_MISSING, PACKAGE_DIRECTORY, jsonLines, runUnderMpirun } from '../distributed/__fixtures__/spawn-mpi';
import type { TrainerChildOptions } from './__fixtures__/trainer-child';

const CHILD = join(PACKAGE_DIRECTORY, 'src/ddp/__fixtures__/trainer-child.ts');
const root = mkdtempSync(join(tmpdir(), 'msn-ddp-faults-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Report {
  ok?: boolean;
  rank: number;
  resumed?: boolean;
  result?: { globalStep: number; stopReason: string };
  weight?: number[];
  bias?: number[];
  error?: { name: string; code?: string; message: string };
}

async function train(folder: string, options: Omit<TrainerChildOptions, 'folder'>) {
  const outcome = await runUnderMpirun(CHILD, 2, [JSON.stringify({ ...options, folder })]);
  return { ...outcome, reports: new Map(jsonLines<Report>(outcome).map((report) => [report.rank, report])) };
}

describe.skipIf(MPI_MISSING !== undefined)(`DDP training faults under mpirun${MPI_MISSING ? ` (skipped: ${MPI_MISSING})` : ''}`, () => {
  it('a rank that dies after a checkpoint ends the job non-zero within seconds naming it; the rerun resumes from the last checkpoint and ends like an uninterrupted run', async () => {
    const common = { maxSteps: 8, everyNTrainSteps: 3, ckptPath: 'last' };
    const reference = await train(join(root, 'reference'), common);
    expect(reference.code, reference.stderr).toBe(0);

    const folder = join(root, 'failed-then-resumed');
    const failed = await train(folder, { ...common, fault: { victim: 1, step: 4 } });
    expect(failed.code).not.toBe(0);
    // Open MPI names the rank: "mpirun noticed that process rank 1 with PID … exited on signal 9 (Killed)"; MPICH's
    // Hydra only a PID (the first process it saw end, which may be one it stopped): "BAD TERMINATION OF ONE OF YOUR
    // APPLICATION PROCESSES / PID …".
    expect(`${failed.stdout}${failed.stderr}`).toMatch(
      /process rank 1 with PID \d+ .*exited on signal 9|BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES\s+=\s+PID \d+/,
    );
    expect(failed.reports.size).toBe(0); // nobody finished: rank 0 was stopped in its collective
    // Start-up (about 5 s on 2 busy cores) plus detection, far below any collective timeout.
    expect(failed.elapsedMs).toBeLessThan(30_000);

    const resumed = await train(folder, common);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const rank of [0, 1]) {
      const report = resumed.reports.get(rank)!;
      // The checkpoint after step 3 is the last one: the rerun trained steps 4–8 again.
      expect(report).toMatchObject({ ok: true, resumed: true, result: { globalStep: 8, stopReason: 'maxSteps' } });
      expect(report.weight).toEqual(reference.reports.get(0)!.weight);
      expect(report.bias).toEqual(reference.reports.get(0)!.bias);
    }
  });
});

describe('launch errors', () => {
  it('WORLD_SIZE and RANK without an MPI launcher: every process fails with not-under-launcher, saying how to start', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify({ maxSteps: 1, folder: join(root, 'torchrun') })], {
      cwd: PACKAGE_DIRECTORY,
      env: { ...process.env, WORLD_SIZE: '2', RANK: '1', LOCAL_RANK: '1', MASTER_ADDR: '127.0.0.1', MASTER_PORT: '29500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(1);
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as Report;
    expect(report.error).toMatchObject({ name: 'DistributedError', code: 'not-under-launcher' });
    expect(report.error!.message).toMatch(/\(WORLD_SIZE=2 RANK=1\) but not by an MPI launcher: start every rank with mpirun -np N/);
  });
});
