import type { Callback } from '../callback';
import type { Metrics } from '../lightning-module';
import type { Trainer } from '../trainer';

/**
 * Logs each step's wall time (`milliseconds`) and throughput (`images_per_second`, from the step's `batchSize`) in the
 * step's row, as Lightning's ThroughputMonitor does. Under `ddpStrategy` the batch size is the whole job's (the ranks'
 * sum), so the throughput is the job's.
 *
 * @example new Trainer({ callbacks: [new ThroughputMonitor()], loggers: [new JsonLinesLogger('runs/msn/metrics.jsonl')] })
 */
export class ThroughputMonitor implements Callback {
  private started: number | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  onTrainBatchStart(): void {
    this.started = this.now();
  }

  onTrainBatchEnd(trainer: Trainer, _module: unknown, output: { loss: number; logs: Metrics; batchSize?: number }): void {
    if (this.started === undefined) return;
    const milliseconds = this.now() - this.started;
    trainer.log({
      milliseconds,
      ...(output.batchSize === undefined || milliseconds <= 0 ? {} : { images_per_second: (1000 * output.batchSize) / milliseconds }),
    });
  }
}
