// @file The health metrics a run logs each step, by the names they have in metrics.jsonl / metrics.csv.
import type { StepHealth } from './health-statistics';
import type { PrototypeUsage } from './prototype-usage';

/** The logged health of one step (see {@link StepHealth} for each value's meaning). */
export interface HealthMetrics {
  /** Mean per-image H(anchor prediction) / ln K. */
  anchor_entropy: number;
  /** Mean per-image H(target) / ln K. */
  target_entropy: number;
  /** H(mean anchor prediction) / ln K. */
  anchor_mean_entropy: number;
  /** H(mean target) / ln K. */
  target_mean_entropy: number;
  /** Prototypes that won at least one image's target over the last `PrototypeUsage.window` steps. */
  prototypes_used: number;
  /** Mean cosine similarity of different images' target embeddings. */
  feature_cosine: number;
  /** Cross-entropy / ln K. */
  loss_ratio: number;
}

/** The names of {@link HealthMetrics}, in logging order. */
export const HEALTH_METRIC_NAMES = [
  'anchor_entropy',
  'target_entropy',
  'anchor_mean_entropy',
  'target_mean_entropy',
  'prototypes_used',
  'feature_cosine',
  'loss_ratio',
] as const;

/** Records the step's prototype wins in `usage` and returns the step's {@link HealthMetrics}. */
export function healthMetrics(health: StepHealth, usage: PrototypeUsage): HealthMetrics {
  usage.record(health.prototypeWins);
  return {
    anchor_entropy: health.anchorEntropy,
    target_entropy: health.targetEntropy,
    anchor_mean_entropy: health.meanAnchorEntropy,
    target_mean_entropy: health.meanTargetEntropy,
    prototypes_used: usage.used,
    feature_cosine: health.featureCosine,
    loss_ratio: health.lossRatio,
  };
}
