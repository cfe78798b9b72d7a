// @file A one-line progress report: step, loss, time per step, throughput, ETA (redrawn on a terminal).
import { formatDuration } from '@msn/trainer/lightning';

/** Prints the training progress to stderr: redrawn in place on a terminal, one line every `printEvery` steps otherwise. */
export class ProgressLine {
  private readonly started = performance.now();
  private firstStepEnd: number | undefined;
  private timedSteps = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly options: { totalSteps: number; batchSize: number; printEvery: number }) {}

  /** Wall time since the loop started (seconds). */
  get seconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Mean time per step, leaving out the first (kernel warm-up). */
  get millisecondsPerStep(): number {
    return this.timedSteps === 0 || this.firstStepEnd === undefined ? Number.NaN : (performance.now() - this.firstStepEnd) / this.timedSteps;
  }

  update(record: { step: number; epoch: number; loss: number }): void {
    if (this.firstStepEnd === undefined) this.firstStepEnd = performance.now();
    else this.timedSteps++;
    const perStep = this.millisecondsPerStep;
    const parts = [`step ${record.step}/${this.options.totalSteps}`, `epoch ${record.epoch + 1}`, `loss ${record.loss.toFixed(4)}`];
    if (Number.isFinite(perStep)) {
      parts.push(
        `${perStep.toFixed(0)} ms/step`,
        `${((1000 * this.options.batchSize) / perStep).toFixed(0)} img/s`,
        `ETA ${formatDuration(((this.options.totalSteps - record.step) * perStep) / 1000)}`,
      );
    }
    const text = parts.join(' | ');
    const last = record.step === this.options.totalSteps;
    if (process.stderr.isTTY) {
      if (performance.now() - this.lastDraw > 200 || last) {
        process.stderr.write(`\r${text.padEnd(100)}`);
        this.lastDraw = performance.now();
        this.drawn = true;
      }
    } else if (record.step % this.options.printEvery === 0 || last) {
      process.stderr.write(`${text}\n`);
    }
  }

  finish(): void {
    if (this.drawn) process.stderr.write('\n');
    this.drawn = false;
  }
}
