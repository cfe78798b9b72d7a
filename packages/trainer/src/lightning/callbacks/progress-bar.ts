import { assertInteger, assertKnownKeys } from '@msn/errors';
import type { Callback } from '../callback';
import type { Metrics } from '../lightning-module';
import type { Trainer } from '../trainer';

/** Where the bar is drawn: stderr by default; `isTTY` chooses between redrawing one line and printing lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** @default process.stderr */
  stream?: ProgressStream;
  /** On a terminal: redraw at most this often. @default 200 */
  refreshMilliseconds?: number;
  /** Not on a terminal (logs, CI): one line every n steps. @default 50 */
  printEveryNSteps?: number;
  /** Clock in milliseconds (for tests). @default performance.now */
  now?: () => number;
}

const KNOWN = ['stream', 'refreshMilliseconds', 'printEveryNSteps', 'now'] as const;

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const whole = Math.round(seconds);
  const [hours, minutes, rest] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/**
 * Shows epoch, step, loss, throughput (images/s, from the steps' `batchSize`), time per step and ETA on stderr.
 * On a terminal it redraws one line; otherwise (piped, CI) it prints a line every `printEveryNSteps` steps.
 * Throughput and time per step are averaged over the steps since the fit (re)started, excluding the first step
 * (warm-up, kernel compilation).
 *
 * @example new Trainer({ callbacks: [new ProgressBar()] })
 */
export class ProgressBar implements Callback {
  private readonly stream: ProgressStream;
  private readonly refreshMilliseconds: number;
  private readonly printEveryNSteps: number;
  private readonly now: () => number;
  private startTime = 0;
  private startStep = 0;
  private samples = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastLine = '';

  constructor(options: ProgressBarOptions = {}) {
    assertKnownKeys('ProgressBar', options, KNOWN);
    this.stream = options.stream ?? process.stderr;
    this.refreshMilliseconds = options.refreshMilliseconds ?? 200;
    this.printEveryNSteps = options.printEveryNSteps ?? 50;
    assertInteger('ProgressBar', 'printEveryNSteps', this.printEveryNSteps, 1);
    this.now = options.now ?? (() => performance.now());
  }

  onTrainBatchEnd(trainer: Trainer, _module: unknown, output: { loss: number; logs: Metrics; batchSize?: number }): void {
    const time = this.now();
    if (this.startTime === 0 || trainer.globalStep <= this.startStep) {
      // The first step after (re)start includes warm-up: measure from its end.
      this.startTime = time;
      this.startStep = trainer.globalStep;
      this.samples = 0;
    } else {
      this.samples += output.batchSize ?? 0;
    }
    const line = this.describe(trainer, output.loss, time);
    if (this.stream.isTTY) {
      if (time - this.lastDraw >= this.refreshMilliseconds || trainer.globalStep === trainer.estimatedTotalSteps) {
        const width = Math.max(20, (this.stream.columns ?? 120) - 1);
        this.stream.write(`\r${line.slice(0, width).padEnd(Math.min(width, this.lastLine.length))}`);
        this.lastDraw = time;
        this.lastLine = line;
      }
    } else if (trainer.globalStep % this.printEveryNSteps === 0) {
      this.stream.write(`${line}\n`);
    }
  }

  onValidationEnd(_trainer: Trainer, _module: unknown, metrics: Metrics): void {
    const text = Object.entries(metrics)
      .map(([name, value]) => `${name} ${value.toPrecision(4)}`)
      .join(' | ');
    this.stream.write(`${this.stream.isTTY ? '\n' : ''}validation: ${text}\n`);
  }

  onFitEnd(): void {
    if (this.stream.isTTY && this.lastLine !== '') this.stream.write('\n');
  }

  /** The status line for the current state. */
  describe(trainer: Trainer, loss: number, time = this.now()): string {
    const elapsedSeconds = (time - this.startTime) / 1000;
    const timedSteps = trainer.globalStep - this.startStep;
    const secondsPerStep = timedSteps > 0 ? elapsedSeconds / timedSteps : Number.NaN;
    const total = trainer.estimatedTotalSteps;
    const parts = [
      `epoch ${trainer.epoch + 1}${Number.isFinite(trainer.maxEpochs) ? `/${trainer.maxEpochs}` : ''}`,
      `step ${trainer.globalStep}${total === undefined ? '' : `/${total}`}`,
      `loss ${loss.toFixed(4)}`,
    ];
    if (timedSteps > 0 && this.samples > 0) parts.push(`${(this.samples / elapsedSeconds).toFixed(1)} img/s`);
    if (timedSteps > 0) parts.push(`${secondsPerStep < 1 ? `${(secondsPerStep * 1000).toFixed(0)} ms` : `${secondsPerStep.toFixed(2)} s`}/step`);
    if (total !== undefined && timedSteps > 0) parts.push(`ETA ${formatDuration((total - trainer.globalStep) * secondsPerStep)}`);
    return parts.join(' | ');
  }
}
