import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@msn/vit';
import type { Metrics } from '../lightning-module';
import type { Logger } from './logger';

/**
 * Appends one JSON object per logged step to a file: `{"step":12,"loss":5.41,"lr":0.001,…}`. Each row is written
 * synchronously, so a killed run keeps every row up to its last step; on resume, rows after the checkpoint's step
 * are dropped before new ones are appended.
 *
 * @example new JsonLinesLogger('runs/msn/metrics.jsonl')
 */
export class JsonLinesLogger implements Logger {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  logMetrics(metrics: Metrics, step: number): void {
    appendFileSync(this.path, `${JSON.stringify({ step, ...metrics })}\n`);
  }

  async onResume(step: number): Promise<void> {
    if (!existsSync(this.path)) return;
    const kept = readFileSync(this.path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => {
        try {
          return (JSON.parse(line) as { step?: number }).step! <= step;
        } catch {
          return false; // a torn last line from a killed run
        }
      });
    await writeFileAtomic(this.path, kept.map((line) => `${line}\n`).join(''));
  }

  /** Rows of a metrics file, parsed. */
  static read(path: string): ({ step: number } & Metrics)[] {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { step: number } & Metrics);
  }
}
