import { MSNModel } from '@msn/trainer';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseArguments } from '../cli/parse-arguments';
import { InvalidArgumentError } from '@msn/errors';
import { openRecipeDataset } from './recipe-data';
import { reportRecipeEvaluation } from './recipe-evaluation';
import { MSN_TRAINING_FLAGS, resolveTrainingRecipe } from './training-recipe';

const out = mkdtempSync(join(tmpdir(), 'msn-recipe-evaluation-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
beforeAll(() => useBackend('cpu'));

describe('reportRecipeEvaluation', () => {
  it('writes and prints the three rows (trained, random init, pixels) without leaking tensors', async () => {
    const recipe = resolveTrainingRecipe(parseArguments(MSN_TRAINING_FLAGS, ['--workers', '0', '--eval-subset', '120']), { out });
    const data = openRecipeDataset(recipe);
    const model = new MSNModel({ config: recipe.config, seed: 3 });
    const printed = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = tf.memory().numTensors;
    try {
      const rows = await reportRecipeEvaluation(model, recipe, data);
      expect(rows.map((row) => row.name)).toEqual(['MSN target encoder (trained)', 'same encoder, random init', 'raw pixels']);
      const saved = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8'));
      expect(saved.rows).toEqual(rows);
      // The verdict compares the first two rows column by column and is printed either way.
      expect(saved.verdict.columns.map((column: { column: string }) => column.column)).toEqual(['k-NN', '1-shot', '2-shot', '5-shot', '10-shot']);
      expect(saved.verdict.learned).toBe(saved.verdict.columns.every((column: { trained: number; untrained: number }) => column.trained > column.untrained));
      expect(progress.mock.calls.join('')).toMatch(saved.verdict.learned ? /\blearned: / : /warning: did not learn: /);
      expect(printed.mock.calls.join('')).toMatch(/label efficiency on synthetic .*\n.*k-NN/);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      printed.mockRestore();
      progress.mockRestore();
      model.dispose();
    }
  });

  it('names the missing labelled splits', async () => {
    const recipe = resolveTrainingRecipe(parseArguments(MSN_TRAINING_FLAGS, []), { out });
    const model = new MSNModel({ config: recipe.config, seed: 0 });
    const { normalize } = openRecipeDataset(recipe);
    try {
      await expect(reportRecipeEvaluation(model, recipe, { name: 'folder', normalize })).rejects.toThrow(InvalidArgumentError);
      await expect(reportRecipeEvaluation(model, recipe, { name: 'folder', normalize })).rejects.toThrow(
        /'data.evaluation' = undefined; expected labelled splits \(folder has no labels\)/,
      );
    } finally {
      model.dispose();
    }
  });
});
