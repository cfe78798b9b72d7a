// @file The first steps of every single-process example trainer, in the order a failure should stop them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setupTensorflow, type BackendChoice } from '@msn/trainer';
import { formatUsage, parseArguments, type ParsedFlags } from '../cli/parse-arguments';
import type { OpenedDataset } from '../datasets/open-dataset';
import { openRecipeDataset } from './recipe-data';
import { resolveRecipePrior, type RecipePrior } from './recipe-run';
import { type MSN_TRAINING_FLAGS, resolveTrainingRecipe, type TrainingRecipe } from './training-recipe';

/** What a trainer has once its command line is checked: the recipe, the backend in use, the data and the prior. */
export interface PreparedRun<Specs extends typeof MSN_TRAINING_FLAGS> {
  flags: ParsedFlags<Specs>;
  recipe: TrainingRecipe;
  backend: BackendChoice;
  data: OpenedDataset;
  prior: RecipePrior;
  /** `performance.now()` when the recipe was resolved, for the run's wall time. */
  started: number;
}

/**
 * Parses `specs` (the shared training flags plus the app's own), prints the usage and returns undefined for
 * `--help`; otherwise resolves the recipe, sets up TensorFlow.js (printing the backend), opens the data, loads the
 * prior and writes `<out>/config.json`.
 */
export async function prepareRun<Specs extends typeof MSN_TRAINING_FLAGS>(
  specs: Specs,
  app: { program: string; out: string },
): Promise<PreparedRun<Specs> | undefined> {
  const flags = parseArguments(specs);
  if (flags.help) {
    process.stdout.write(`${formatUsage(app.program, specs)}\n`);
    return undefined;
  }
  // The app's own flags come on top of the shared ones, which are all the recipe reads.
  const recipe = resolveTrainingRecipe(flags as ParsedFlags<typeof MSN_TRAINING_FLAGS>, { out: app.out });
  const started = performance.now();
  const backend = await setupTensorflow(recipe.backend === undefined ? {} : { backend: recipe.backend });
  const data = openRecipeDataset(recipe);
  const prior = await resolveRecipePrior(recipe, data);
  await mkdir(recipe.out, { recursive: true });
  await writeFile(join(recipe.out, 'config.json'), `${JSON.stringify({ ...recipe, backendUsed: backend.description }, null, 2)}\n`);
  return { flags, recipe, backend, data, prior, started };
}
