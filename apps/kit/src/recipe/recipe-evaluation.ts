// @file The end of a recipe run: the label-efficiency table of the trained model, saved and printed.
import { evaluateAgainstBaselines, formatLabelEfficiencyTable, learningVerdict, type LabelEfficiencyRow } from '@msn/trainer/evaluation';
import type { MSNModel } from '@msn/trainer';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenedDataset } from '../datasets/open-dataset';
import { InvalidArgumentError } from '@msn/errors';
import type { TrainingRecipe } from './training-recipe';

/**
 * Evaluates the trained model against its random initialisation and the raw pixels (`evaluateAgainstBaselines` on
 * the data set's labelled splits, `--eval-subset` honoured), writes the rows and the {@link learningVerdict} to
 * `<out>/evaluation.json`, prints the table on stdout and the verdict on stderr (`warning: did not learn: …` when
 * the trained encoder is not above the untrained one on every column). Returns the rows.
 * @throws {InvalidArgumentError} when the data set has no labelled splits.
 *
 * @example if (recipe.evaluate && data.evaluation) await reportRecipeEvaluation(model, recipe, data);
 */
export async function reportRecipeEvaluation(
  model: MSNModel,
  recipe: Pick<TrainingRecipe, 'seed' | 'imageSize' | 'workers' | 'evalSubset' | 'out'>,
  data: Pick<OpenedDataset, 'name' | 'normalize' | 'evaluation' | 'classGroups'>,
): Promise<LabelEfficiencyRow[]> {
  if (data.evaluation === undefined) {
    throw new InvalidArgumentError({
      caller: 'reportRecipeEvaluation',
      argument: 'data.evaluation',
      value: undefined,
      expected: `labelled splits (${data.name} has no labels)`,
    });
  }
  const rows = await evaluateAgainstBaselines({
    model,
    seed: recipe.seed,
    evaluation: data.evaluation,
    imageSize: recipe.imageSize,
    normalize: data.normalize,
    workers: recipe.workers,
    ...(recipe.evalSubset === undefined ? {} : { subset: recipe.evalSubset }),
    onEvaluate: (name) => process.stderr.write(`evaluating: ${name}\n`),
    ...(data.classGroups === undefined ? {} : { classGroups: data.classGroups }),
  });
  const verdict = learningVerdict(rows[0]!.result, rows[1]!.result);
  await writeFile(join(recipe.out, 'evaluation.json'), `${JSON.stringify({ rows, verdict }, null, 2)}\n`);
  process.stdout.write(`\nlabel efficiency on ${data.name} (accuracy %, few-shot: mean ± std over 5 seeds)\n${formatLabelEfficiencyTable(rows)}\n`);
  for (const [position, group] of (data.classGroups ?? []).entries()) {
    const groupRows = rows.map((row) => ({ name: row.name, result: row.groups![position]!.result }));
    process.stdout.write(
      `\n${group.name} classes (${group.classes.join(', ')}): test images of these classes only\n${formatLabelEfficiencyTable(groupRows)}\n`,
    );
  }
  process.stderr.write(verdict.learned ? `${verdict.message}\n` : `warning: ${verdict.message}\n`);
  return rows;
}
