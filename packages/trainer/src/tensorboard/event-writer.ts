import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeEvent } from './event-proto';
import { frameRecord } from './record';

/** Appends TensorBoard scalar events to `events.out.tfevents.<secs>.<host>` in `logDir`. */
export class TensorBoardWriter {
  readonly path: string;

  constructor(logDir: string, now: () => number = Date.now) {
    this.now = now;
    mkdirSync(logDir, { recursive: true });
    const secs = Math.floor(now() / 1000);
    this.path = join(logDir, `events.out.tfevents.${secs}.${hostname()}`);
    writeFileSync(this.path, frameRecord(encodeEvent({ wallTime: now() / 1000, step: 0, fileVersion: 'brain.Event:2' })));
  }

  private readonly now: () => number;

  /** Writes every finite number in `scalars` as one Summary at `step`, with the same tags as the JSONL keys. */
  addScalars(step: number, scalars: Readonly<Record<string, unknown>>): void {
    const summary = Object.entries(scalars)
      .filter((kv): kv is [string, number] => typeof kv[1] === 'number' && Number.isFinite(kv[1]))
      .map(([tag, value]) => ({ tag, value }));
    if (summary.length === 0) return;
    appendFileSync(this.path, frameRecord(encodeEvent({ wallTime: this.now() / 1000, step, summary })));
  }
}
