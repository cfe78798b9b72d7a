// @file The main job, and a template for your own program: MSN / PMSN pre-training in a hand-written loop, then a
// label-efficiency table (trained encoder vs. the same encoder untrained vs. raw pixels).
import { join } from 'node:path';
import { MSN_TRAINING_FLAGS, prepareRun, reportRecipeEvaluation, run } from '@msn/app-kit';
import { formatDuration } from '@msn/trainer/lightning';
import { writeRunReport } from '@msn/trainer/report';
import { pretrain } from './pretrain';

// Configuration: the defaults of every flag are in MSN_TRAINING_FLAGS (`--help` lists them); this app adds its
// output folder. Without flags it pre-trains the `demo` model on synthetic shapes for a few minutes.
const APP = { program: 'pnpm --filter @msn/example-plain start --', out: 'runs/plain' };

await run(async () => {
  // Flags (or --help), recipe, backend (printed), data, prior and <out>/config.json.
  const prepared = await prepareRun(MSN_TRAINING_FLAGS, APP);
  if (prepared === undefined) return;
  const { recipe, data, prior, started } = prepared;
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
