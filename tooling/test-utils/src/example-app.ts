// @file Runs the example trainers as users do (`main.ts` under tsx, in a child process) and reads what they wrote.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The smallest model the example trainers fit in seconds on cpu: 16 px images, one 16-wide block, K 8, batch 8. */
export const TINY_MODEL_FLAGS: readonly string[] = Object.entries({
  'image-size': 16,
  'patch-size': 8,
  dim: 16,
  depth: 1,
  heads: 2,
  'mlp-dim': 32,
  'head-hidden': 16,
  'head-out': 8,
  prototypes: 8,
  'batch-size': 8,
  'focal-views': 2,
  'focal-size': 8,
  workers: 0,
}).flatMap(([flag, value]) => [`--${flag}`, String(value)]);

/** What an example run printed and how it ended. */
export interface ExampleRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `<appFolder>/src/main.ts` with `args` in `appFolder`; `env` is added to this process's environment. */
export function runExample(appFolder: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ExampleRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(appFolder, 'src', 'main.ts'), ...args], {
      cwd: appFolder,
      env: { ...process.env, ...env },
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `args` with the value after `flag` replaced by `value`. */
export function withFlag(args: readonly string[], flag: string, value: string): string[] {
  return args.map((argument, index) => (args[index - 1] === flag ? value : argument));
}

/** The rows of a run's `metrics.jsonl`, in order. */
export function readMetricRows<Row = Record<string, number>>(runFolder: string): Row[] {
  const lines = readFileSync(join(runFolder, 'metrics.jsonl'), 'utf8').trim().split('\n');
  return lines.map((line) => JSON.parse(line) as Row);
}
