// @file The main job, and a template for your own program: MSN / PMSN pre-training in a hand-written loop, then a
// label-efficiency table (trained encoder vs. the same encoder untrained vs. raw pixels).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MSN_TRAINING_FLAGS,
  formatUsage,
  openRecipeDataset,
  parseArguments,
  reportRecipeEvaluation,
  resolveRecipePrior,
  resolveTrainingRecipe,
  run,
} from '@msn/app-kit';
import { formatDuration } from '@msn/trainer/lightning';
import { writeRunReport } from '@msn/trainer/report';
import { setupTensorflow } from '@msn/trainer';
import { pretrain } from './pretrain';

// Configuration: the defaults of every flag are in MSN_TRAINING_FLAGS (`--help` lists them); this app adds its
// output folder. Without flags it pre-trains the `demo` model on synthetic shapes for a few minutes.
const APP = { program: 'pnpm --filter @msn/example-plain start --', out: 'runs/plain' };

await run(async () => {
  const flags = parseArguments(MSN_TRAINING_FLAGS);
  if (flags.help) {
    process.stdout.write(`${formatUsage(APP.program, MSN_TRAINING_FLAGS)}\n`);
    return;
  }
  const recipe = resolveTrainingRecipe(flags, { out: APP.out });
  const started = performance.now();
  const backend = await setupTensorflow(recipe.backend === undefined ? {} : { backend: recipe.backend }); // prints the backend
  const data = openRecipeDataset(recipe);
  const prior = await resolveRecipePrior(recipe, data);
  await mkdir(recipe.out, { recursive: true });
  await writeFile(join(recipe.out, 'config.json'), `${JSON.stringify({ ...recipe, backendUsed: backend.description }, null, 2)}\n`);
  const { vit, head, numPrototypes, maskRatio } = recipe.config;
  process.stderr.write(
    `data: ${data.description}\n` +
      `model: ViT ${vit.imageSize}px patch ${vit.patchSize}, dim ${vit.hiddenDim}, depth ${vit.numLayers}, ${vit.numHeads} heads, MLP ${vit.mlpDim}; ` +
      `head ${head.hiddenDim} → ${head.outputDim}; K ${numPrototypes}; mask ${maskRatio}; prior ${prior.description}\n` +
      `views: ${recipe.randomViews} × ${recipe.imageSize}px + ${recipe.focalViews} × ${recipe.focalSize}px, batch ${recipe.batchSize}; output ${recipe.out}\n`,
  );

  const result = await pretrain(recipe, data, prior);
  process.stderr.write(
    `trained ${result.progress.globalStep}/${result.totalSteps} steps in ${formatDuration(result.seconds)} (${result.millisecondsPerStep.toFixed(0)} ms/step); checkpoint ${join(recipe.out, 'checkpoints', 'last')}\n`,
  );
  try {
    if (result.interrupted || !recipe.evaluate || data.evaluation === undefined) return;
    await reportRecipeEvaluation(result.model, recipe, data);
    process.stderr.write(`total wall time ${formatDuration((performance.now() - started) / 1000)}\n`);
  } finally {
    result.model.dispose();
    // Again after the evaluation, so the report holds the label-efficiency table.
    process.stderr.write(`report: ${(await writeRunReport(recipe.out)).path}\n`);
  }
});
