import { InvalidArgumentError, assertInteger, assertKnownKeys, assertNonNegativeFinite } from '@msn/errors';
import type { JsonValue } from '../../optim/optimizer-state';
import type { Callback } from '../callback';
import type { Metrics } from '../lightning-module';
import type { Trainer } from '../trainer';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Metric to watch (a key of the validation metrics, e.g. `val_loss`). */
  monitor: string;
  /** Whether smaller or larger values are better. @default 'min' */
  mode?: 'min' | 'max';
  /** Validation rounds without improvement before stopping. @default 3 */
  patience?: number;
  /** Smallest change that counts as an improvement. @default 0 */
  minDelta?: number;
}

const KNOWN = ['monitor', 'mode', 'patience', 'minDelta'] as const;

/**
 * Stops the fit when `monitor` has not improved by more than `minDelta` for `patience` validation rounds
 * (sets `trainer.shouldStop`; the fit ends after the current step). Its counters are checkpointed.
 *
 * @example new EarlyStopping({ monitor: 'knn_accuracy', mode: 'max', patience: 5 })
 * @throws {InvalidArgumentError} for a bad mode, patience or minDelta.
 * @throws {InvalidArgumentError} at validation time when the monitored metric is missing (naming those present).
 */
export class EarlyStopping implements Callback {
  readonly stateKey: string;
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly patience: number;
  readonly minDelta: number;
  /** Best value seen so far. */
  best: number;
  /** Validation rounds since the last improvement. */
  wait = 0;

  constructor(options: EarlyStoppingOptions) {
    const caller = 'EarlyStopping';
    assertKnownKeys(caller, options, KNOWN);
    const { monitor, mode = 'min', patience = 3, minDelta = 0 } = options;
    if (typeof monitor !== 'string' || monitor.length === 0)
      throw new InvalidArgumentError({ caller, argument: 'monitor', value: monitor, expected: 'a metric name' });
    if (mode !== 'min' && mode !== 'max') throw new InvalidArgumentError({ caller, argument: 'mode', value: mode, expected: "'min' or 'max'" });
    assertInteger(caller, 'patience', patience, 0);
    assertNonNegativeFinite(caller, 'minDelta', minDelta);
    this.monitor = monitor;
    this.mode = mode;
    this.patience = patience;
    this.minDelta = minDelta;
    this.best = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.stateKey = `EarlyStopping[${monitor}]`;
  }

  stateDict(): JsonValue {
    // JSON has no Infinity: null stands for "nothing seen yet".
    return { best: Number.isFinite(this.best) ? this.best : null, wait: this.wait };
  }

  loadStateDict(state: JsonValue): void {
    const value = state as { best?: unknown; wait?: unknown };
    if (typeof value.best === 'number') this.best = value.best;
    if (typeof value.wait === 'number') this.wait = value.wait;
  }

  onValidationEnd(trainer: Trainer, _module: unknown, metrics: Metrics): void {
    const current = metrics[this.monitor];
    if (current === undefined) {
      throw new InvalidArgumentError({
        caller: 'EarlyStopping',
        argument: 'monitor',
        value: this.monitor,
        expected: `a validation metric (got ${Object.keys(metrics).join(', ') || 'none'})`,
      });
    }
    const improved = this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
    if (improved) {
      this.best = current;
      this.wait = 0;
      return;
    }
    this.wait += 1;
    if (this.wait >= this.patience) trainer.shouldStop = true;
  }
}
