// Stochastic depth: drop a residual branch for whole samples, scaling survivors by 1/keep (DeiT/timm).
import type { Random } from '@msn/random';

/**
 * Per-sample scales of a dropped-path branch: 0 with probability `rate`, else 1/(1 − rate), one uniform draw per sample
 * (DeiT's floor(keep + u)). Returns undefined when nothing is dropped (`rate` 0 or no stream), so callers skip the op.
 */
export function dropPathScales(batchSize: number, rate: number, random: Random | undefined): Float32Array | undefined {
  if (random === undefined || rate <= 0) return undefined;
  const keep = 1 - rate;
  const scales = new Float32Array(batchSize);
  for (let sample = 0; sample < batchSize; sample++) scales[sample] = Math.floor(keep + random.nextFloat()) / keep;
  return scales;
}
