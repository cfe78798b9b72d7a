import type { Callback } from '../callback';
import type { Trainer } from '../trainer';

/**
 * Logs the learning rate (`lr`) and weight decay (`weight_decay`) applied at every step, as Lightning's
 * LearningRateMonitor does with `logging_interval='step'`.
 *
 * @example new Trainer({ callbacks: [new LearningRateMonitor()], loggers: [new CsvLogger('metrics.csv')] })
 */
export class LearningRateMonitor implements Callback {
  onTrainBatchStart(trainer: Trainer): void {
    trainer.log({ lr: trainer.learningRate, weight_decay: trainer.weightDecay });
  }
}
