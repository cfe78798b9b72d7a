import { join } from 'node:path';
import { writeFileAtomic } from '@msn/vit';
import type { HealthSummary } from './training-health';

/** The prior a run's prototype usage should follow, as health.json records it for the training report. */
export interface PriorTarget {
  /** e.g. `uniform (MSN)` or `power_law (PMSN, exponent 0.25)`. */
  description: string;
  /** `priorTargetShares`: the target over the K prototypes, largest first. */
  shares: number[];
}

/** health.json: the collapse monitor's summary, the sorted prototype usage and the prior's target beside it. */
export type HealthFile = HealthSummary & { prior?: PriorTarget };

/**
 * Writes `<folder>/health.json` atomically (the report reads it while the run goes on) and returns its path.
 *
 * @example await writeHealthFile('runs/plain', { ...health.summary(), prior: { description, shares: await priorTargetShares('uniform', 32) } });
 */
export async function writeHealthFile(folder: string, health: HealthFile): Promise<string> {
  const path = join(folder, 'health.json');
  await writeFileAtomic(path, `${JSON.stringify(health, null, 2)}\n`);
  return path;
}
