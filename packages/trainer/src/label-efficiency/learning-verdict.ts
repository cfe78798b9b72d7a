// @file Did pre-training help? The trained encoder's row against the same encoder untrained, column by column.
import type { LabelEfficiencyResult } from './label-efficiency';

/** One column of the label-efficiency table, trained against untrained (accuracies 0…1). */
export interface VerdictColumn {
  /** `k-NN` or `1-shot`, `2-shot`, … */
  column: string;
  trained: number;
  untrained: number;
}

/** Whether the trained encoder beat its random initialisation on every column, and the columns it did not. */
export interface LearningVerdict {
  learned: boolean;
  columns: VerdictColumn[];
  /** Columns where the trained encoder is not above the untrained one. */
  notBetter: VerdictColumn[];
  /** One line for the user: `learned: …` or `did not learn: …`. */
  message: string;
}

/**
 * Compares the trained encoder with the same encoder untrained on k-NN and every few-shot column (means over
 * seeds). A run learned only if every column is higher: a run that collapsed, or that made its features worse than
 * random ones, says so instead of ending silently.
 *
 * @example const verdict = learningVerdict(rows[0].result, rows[1].result); if (!verdict.learned) console.error(`warning: ${verdict.message}`);
 */
export function learningVerdict(trained: LabelEfficiencyResult, untrained: LabelEfficiencyResult): LearningVerdict {
  const columns: VerdictColumn[] = [{ column: 'k-NN', trained: trained.knnAccuracy, untrained: untrained.knnAccuracy }];
  for (const result of trained.fewShot) {
    const other = untrained.fewShot.find((candidate) => candidate.shots === result.shots);
    if (other !== undefined) columns.push({ column: `${result.shots}-shot`, trained: result.mean, untrained: other.mean });
  }
  const notBetter = columns.filter((column) => !(column.trained > column.untrained));
  const describe = (list: VerdictColumn[]) =>
    list.map(({ column, trained: t, untrained: u }) => `${column} ${(100 * t).toFixed(1)} vs ${(100 * u).toFixed(1)}`).join(', ');
  const learned = notBetter.length === 0;
  const message = learned
    ? `learned: the trained encoder beats the same encoder untrained on every column (${describe(columns)})`
    : `did not learn: the trained encoder is not above the same encoder untrained on ${describe(notBetter)} (accuracy %); see health.json and the collapse warnings`;
  return { learned, columns, notBetter, message };
}
