// @file The example trainers' shared scaffolding: command line, training recipe (their tuned defaults) and data sets.
export { CliArgumentError, formatUsage, parseArguments } from './cli/parse-arguments';
export type { CliProblem, FlagSpec, FlagSpecs, ParsedFlags } from './cli/parse-arguments';
export { run } from './cli/run';
export type { RunOptions } from './cli/run';
export {
  CIFAR10_NORMALIZE,
  DATASET_NAMES,
  FASHION_MNIST_FOLDER,
  FASHION_MNIST_NORMALIZE,
  FOLDER_NORMALIZE,
  SYNTHETIC_NORMALIZE,
  openDataset,
} from './datasets/open-dataset';
export type { DatasetName, OpenDatasetOptions, OpenedDataset } from './datasets/open-dataset';
export { MSN_TRAINING_FLAGS, resolveTrainingRecipe } from './recipe/training-recipe';
export type { TrainingRecipe } from './recipe/training-recipe';
export { recipeLossOptions, recipeModuleOptions, recipeSchedules, recipeTotalSteps, resolveRecipePrior } from './recipe/recipe-run';
export type { RecipePrior } from './recipe/recipe-run';
export { openRecipeDataset, recipeLoader, recipeTransform } from './recipe/recipe-data';
export type { RecipeShard } from './recipe/recipe-data';
export { reportRecipeEvaluation } from './recipe/recipe-evaluation';
export { prepareRun } from './recipe/prepare-run';
export type { PreparedRun } from './recipe/prepare-run';
