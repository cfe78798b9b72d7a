// Loggers receive one row of metrics per logged step.
import type { Metrics } from '../lightning-module';

/** Destination of metrics rows (CSV, JSON lines, …). */
export interface Logger {
  /** Records `metrics` for `step`; called in step order. */
  logMetrics(metrics: Metrics, step: number): void | Promise<void>;
  /** A run resumes after `step`: forget rows logged for later steps (they belong to the lost part of the run). */
  onResume?(step: number): void | Promise<void>;
  finalize?(): void | Promise<void>;
}
