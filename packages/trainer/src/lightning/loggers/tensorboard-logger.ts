import { TensorBoardWriter } from '../../tensorboard/event-writer';
import type { Metrics } from '../lightning-module';
import type { Logger } from './logger';

/**
 * Writes metrics as TensorBoard scalars (`tensorboard --logdir runs` shows them) into `logDir`, with the same names and
 * steps as metrics.jsonl. The event file is created at the first row, so a logger that never logs (a DDP rank other
 * than 0) leaves nothing behind, and each (re)started run gets a file of its own. After a resume, TensorBoard itself
 * drops the killed run's steps past the checkpoint: it discards events whose step is not below a newer restart's
 * first step ("purge orphaned data").
 *
 * @example new Trainer({ loggers: [new JsonLinesLogger('runs/msn/metrics.jsonl'), new TensorBoardLogger('runs/msn')] })
 */
export class TensorBoardLogger implements Logger {
  private writer: TensorBoardWriter | undefined;

  constructor(
    readonly logDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The event file, once the first row is written. */
  get path(): string | undefined {
    return this.writer?.path;
  }

  logMetrics(metrics: Metrics, step: number): void {
    this.writer ??= new TensorBoardWriter(this.logDir, this.now);
    this.writer.addScalars(step, metrics);
  }
}
