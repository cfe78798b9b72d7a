import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeEvent } from './event-proto';
import { frameRecord } from './record';

let writersCreated = 0;

/**
 * Appends TensorBoard scalar events to `events.out.tfevents.<seconds>.<host>.<pid>.<n>` in `logDir`, a new file per
 * writer, named as TensorFlow 2's summary writer names them (the pid and counter keep two writers of one second
 * apart); TensorBoard reads every such file of a folder, in name order, as one run.
 * Each `addScalars` call is one synchronous append, so a killed run keeps every event written before the kill.
 *
 * @example
 * const writer = new TensorBoardWriter('runs/plain');
 * writer.addScalars(1, { loss: 5.41, learningRate: 0.001 });
 */
export class TensorBoardWriter {
  readonly path: string;
  private readonly now: () => number;

  constructor(logDir: string, now: () => number = Date.now) {
    this.now = now;
    mkdirSync(logDir, { recursive: true });
    const seconds = Math.floor(now() / 1000);
    this.path = join(logDir, `events.out.tfevents.${seconds}.${hostname()}.${process.pid}.${writersCreated++}`);
    // The first record of every event file names the format version, as TensorFlow writes it.
    writeFileSync(this.path, frameRecord(encodeEvent({ wallTime: now() / 1000, step: 0, fileVersion: 'brain.Event:2' })));
  }

  /** Writes every finite number in `scalars` as one Summary at `step`, with the same tags as the JSONL keys. */
  addScalars(step: number, scalars: Readonly<Record<string, unknown>>): void {
    const summary = Object.entries(scalars)
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]))
      .map(([tag, value]) => ({ tag, value }));
    if (summary.length === 0) return;
    appendFileSync(this.path, frameRecord(encodeEvent({ wallTime: this.now() / 1000, step, summary })));
  }
}
