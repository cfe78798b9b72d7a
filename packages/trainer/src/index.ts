// @file @msn/trainer: the MSN model, its training step, optimisation, schedules, checkpoints and the backend choice.
// The other entries: @msn/trainer/lightning, /ddp, /evaluation, /report (see the README).
export { BackendUnavailableError, CheckpointError, DeviceError, InvalidArgumentError, ShapeError, isMsnError } from '@msn/errors';
export type { InvalidArgumentDetails } from '@msn/errors';
export { AdamW, decayEverything, decayMatricesOnly } from './optim/adamw';
export type { AdamWOptions, NamedGradients, WeightDecayFilter } from './optim/adamw';
export type { JsonValue, OptimizerState, StoredTensor, TrainerOptimizer } from './optim/optimizer-state';
export { clipGradientsByGlobalNorm } from './optim/clip-gradients';
export type { ClippedGradients } from './optim/clip-gradients';
export { updateEma } from './optim/ema';
export type { EmaPair } from './optim/ema';
export type { Schedule } from './schedules/schedule';
export { constantSchedule } from './schedules/constant-schedule';
export { cosineSchedule } from './schedules/cosine-schedule';
export type { CosineScheduleOptions } from './schedules/cosine-schedule';
export { linearSchedule } from './schedules/linear-schedule';
export type { LinearScheduleOptions } from './schedules/linear-schedule';
export { msnSchedules } from './schedules/msn-schedules';
export type { MSNSchedules, MSNSchedulesOptions } from './schedules/msn-schedules';
export { warmupCosineSchedule } from './schedules/warmup-cosine-schedule';
export type { WarmupCosineScheduleOptions } from './schedules/warmup-cosine-schedule';
export { BACKEND_PREFERENCE, selectBackend } from './backend/select-backend';
export type { BackendChoice, BackendName, SelectBackendOptions } from './backend/select-backend';
export { enableBlas } from './backend/blas/enable-blas';
export type { BlasChoice, BlasOutcome } from './backend/blas/enable-blas';
export { BLAS_CANDIDATES } from './backend/blas/find-blas-library';
export type { FindBlasLibraryOptions } from './backend/blas/find-blas-library';
export { writeFileAtomic } from '@msn/vit';
export { OPTIMIZER_FILE, STATE_FILE, WEIGHTS_FILE, readCheckpoint, writeCheckpoint } from './checkpoint/checkpoint-files';
export { LAST_CHECKPOINT_LINK, lastCheckpointName, pointLastCheckpointAt } from './checkpoint/last-checkpoint';
export type { CheckpointState, LoadedCheckpoint, TrainingProgress } from './checkpoint/checkpoint-files';
export { safetensorsCodec } from './checkpoint/tensor-codec';
export type { TensorCodec } from './checkpoint/tensor-codec';
export { resolveMSNConfig } from './msn/msn-config';
export type { MSNConfig, MSNConfigInput, MSNHeadConfig } from './msn/msn-config';
export { MSNModel, MSN_CONFIG_METADATA_KEY } from './msn/msn-model';
export type { MSNEmbedOptions, MSNEncoder, MSNModelOptions } from './msn/msn-model';
export { msnWeightDecayFilter } from './msn/msn-weight-decay';
export { msnTrainingStep } from './msn/msn-training-step';
export type {
  MSNBatch,
  MSNStepLoss,
  MSNStepOptimizer,
  MSNStepResult,
  MSNStepTensors,
  MSNTrainingStepOptions,
  MSNViews,
} from './msn/msn-training-step';
export { registerGradientFunctions, setupTensorflow } from './backend/setup-tensorflow';
export { FUSED_KERNEL_NAMES, registerWebgpuKernels, unregisterWebgpuKernels } from './backend/webgpu-kernels/register-webgpu-kernels';
export type { WebgpuKernelOptions } from './backend/webgpu-kernels/register-webgpu-kernels';
export type { TiledMatMulOptions } from './backend/webgpu-kernels/tiled-mat-mul-kernels';
export { maskSeedForStep } from './msn/mask-seed';
export { createMSNCriterion, probePrior } from './msn/msn-criterion';
export type { MSNCriterionOptions, PriorOption } from './msn/msn-criterion';
export { loadPriorModule } from './msn-module/load-prior-module';
export type { LoadedPrior } from './msn-module/load-prior-module';
export { MSN_PRESET_NAMES, msnPreset } from './msn-module/msn-presets';
export type { MSNPresetName } from './msn-module/msn-presets';
