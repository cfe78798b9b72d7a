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
export { knnClassify } from './evaluation/knn';
export type { KnnOptions, KnnResult } from './evaluation/knn';
export type { Features, Float64Matrix, Labels } from './evaluation/labels';
export { minimizeLbfgs } from './evaluation/lbfgs';
export type { LbfgsOptions, LbfgsResult, Objective } from './evaluation/lbfgs';
export { fitLogisticRegression } from './evaluation/logistic-regression';
export type { LogisticRegressionModel, LogisticRegressionOptions } from './evaluation/logistic-regression';
export { fewShotEvaluation } from './evaluation/few-shot';
export type { FewShotOptions, FewShotResult } from './evaluation/few-shot';
export { writeFileAtomic } from './checkpoint/atomic-write';
export { OPTIMIZER_FILE, STATE_FILE, WEIGHTS_FILE, readCheckpoint, writeCheckpoint } from './checkpoint/checkpoint-files';
export type { CheckpointState, LoadedCheckpoint, TrainingProgress } from './checkpoint/checkpoint-files';
export { safetensorsCodec } from './checkpoint/tensor-codec';
export type { TensorCodec } from './checkpoint/tensor-codec';
export type { Callback } from './lightning/callback';
export type {
  LightningModule,
  Metrics,
  OptimizerConfiguration,
  StepContext,
  TrainLoader,
  TrainingStepOutput,
} from './lightning/lightning-module';
export { Trainer } from './lightning/trainer';
export type { FitOptions, FitResult, TrainerOptions } from './lightning/trainer';
export { ModelCheckpoint, checkpointName } from './lightning/callbacks/model-checkpoint';
export type { ModelCheckpointOptions } from './lightning/callbacks/model-checkpoint';
export { LearningRateMonitor } from './lightning/callbacks/learning-rate-monitor';
export { EarlyStopping } from './lightning/callbacks/early-stopping';
export type { EarlyStoppingOptions } from './lightning/callbacks/early-stopping';
export { ProgressBar, formatDuration } from './lightning/callbacks/progress-bar';
export type { ProgressBarOptions, ProgressStream } from './lightning/callbacks/progress-bar';
export type { Logger } from './lightning/loggers/logger';
export { CsvLogger } from './lightning/loggers/csv-logger';
export { JsonLinesLogger } from './lightning/loggers/json-lines-logger';
// MSN model and training step
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

// Distributed training: process groups on MPI (or a world of one), collectives.
export { initProcessGroup } from './distributed/init-process-group';
export type { InitProcessGroupOptions } from './distributed/init-process-group';
export type { ProcessGroup, ProcessGroupBackend, ReducibleArray, TransferableArray } from './distributed/process-group';
export type { ReduceOp } from './distributed/collective-types';
export { SingleProcessGroup } from './distributed/single-process-group';
export { DistributedError } from './distributed/distributed-error';
export type { DistributedErrorCode, DistributedErrorDetails } from './distributed/distributed-error';
export { differentiableAllReduce } from './distributed/differentiable-all-reduce';
export { allReduceMoments } from './distributed/all-reduce-moments';
export type { GlobalMoments } from './distributed/all-reduce-moments';
export { broadcastVariables } from './distributed/broadcast-variables';
export { averageGradients, averageGradientsAsync } from './distributed/average-gradients';
export { MpiProcessGroup } from './distributed/mpi-process-group';
// Data-parallel training: DDP for MSN models and the Trainer's ddp strategy.
export { ddp } from './ddp/ddp';
export type { DDPOptions, DistributedLossOptions, DistributedMSN } from './ddp/ddp';
export { DistributedOptimizer, averageNamedGradients } from './ddp/distributed-optimizer';
export type { GradientStepOptimizer } from './ddp/distributed-optimizer';
export { rankSeed } from './ddp/rank-seed';
export { shardMasks } from './ddp/shard-masks';
export type { ShardMasks, ShardMasksOptions } from './ddp/shard-masks';
export { DDPStrategy, ddpStrategy } from './ddp/ddp-strategy';
export type { DDPStrategyOptions } from './ddp/ddp-strategy';
export type { StepReport, TrainerStrategy } from './ddp/trainer-strategy';
export { loadCheckpointFromRoot } from './ddp/checkpoint-broadcast';
// MSN as a LightningModule, PMSN priors, label-efficiency evaluation, data sets by name, TensorFlow.js setup
export { registerGradientFunctions, setupTensorflow } from './backend/setup-tensorflow';
export { MSNModule } from './msn-module/msn-module';
export type { MSNModuleBatch, MSNModuleOptions, MSNValidationOptions } from './msn-module/msn-module';
export { splitMSNViews } from './msn-module/view-layout';
export type { MSNViewLayout } from './msn-module/view-layout';
export { maskSeedForStep } from './msn-module/mask-seed';
export { createMSNCriterion, probePrior } from './msn-module/msn-criterion';
export type { MSNCriterionOptions, PriorOption } from './msn-module/msn-criterion';
export { loadPriorModule } from './msn-module/load-prior-module';
export type { LoadedPrior } from './msn-module/load-prior-module';
export { embedBatches, pixelFeatures } from './label-efficiency/embed-batches';
export type { EmbedBatchesOptions, EmbeddedSet, LabelledBatch } from './label-efficiency/embed-batches';
export { evaluateLabelEfficiency, formatLabelEfficiencyTable } from './label-efficiency/label-efficiency';
export type { LabelEfficiencyOptions, LabelEfficiencyResult, LabelEfficiencyRow } from './label-efficiency/label-efficiency';
export { MSN_PRESET_NAMES, msnPreset } from './msn-module/msn-presets';
export type { MSNPresetName } from './msn-module/msn-presets';
export { compareEncoders } from './label-efficiency/compare-encoders';
export type { CompareEncodersOptions, NamedEncoder } from './label-efficiency/compare-encoders';
export { evaluateAgainstBaselines } from './label-efficiency/evaluate-against-baselines';
export type { EvaluateAgainstBaselinesOptions } from './label-efficiency/evaluate-against-baselines';
export { healthStatistics, readStepHealth } from './health/health-statistics';
export type { HealthInputs, StepHealth } from './health/health-statistics';
export { HEALTH_METRIC_NAMES, healthMetrics } from './health/health-metrics';
export type { HealthMetrics } from './health/health-metrics';
export { PrototypeUsage } from './health/prototype-usage';
export { CollapseDetector, DEFAULT_COLLAPSE_THRESHOLDS } from './health/collapse-detector';
export type { CollapseKind, CollapseThresholds, CollapseWarning } from './health/collapse-detector';
export { TrainingHealth, printCollapseWarning } from './health/training-health';
export type { HealthRecord, HealthSummary, TrainingHealthOptions } from './health/training-health';
export { CollapseMonitor } from './health/collapse-monitor';
export type { CollapseMonitorOptions } from './health/collapse-monitor';
export { learningVerdict } from './label-efficiency/learning-verdict';
export type { LearningVerdict, VerdictColumn } from './label-efficiency/learning-verdict';
// TensorBoard event files and the training report (report.html, msn-report).
export { crc32c, maskedCrc32c } from './tensorboard/crc32c';
export { encodeEvent, encodeSummary } from './tensorboard/event-proto';
export type { EventFields, ScalarValue } from './tensorboard/event-proto';
export { frameRecord } from './tensorboard/record';
export { TensorBoardWriter } from './tensorboard/event-writer';
export { TensorBoardLogger } from './lightning/loggers/tensorboard-logger';
export { ThroughputMonitor } from './lightning/callbacks/throughput-monitor';
export { RunReport } from './lightning/callbacks/run-report';
export type { RunReportOptions } from './lightning/callbacks/run-report';
export { priorTargetShares } from './health/prior-target-shares';
export { writeHealthFile } from './health/health-file';
export type { HealthFile, PriorTarget } from './health/health-file';
export { RUN_FOLDER_FILES, readRunFolder } from './report/read-run-folder';
export type { JsonObject, MetricsRow, RunFolderContents } from './report/read-run-folder';
export { smoothSeries } from './report/smooth-series';
export { REPORT_METRICS, alignByStep } from './report/metric-columns';
export type { AlignedColumns, MetricName } from './report/metric-columns';
export { countPoints } from './report/report-chart';
export type { ReportChart, ReportMarker, ReportSeries } from './report/report-chart';
export { buildReportCharts } from './report/report-charts';
export { renderReportPage } from './report/render-report-page';
export { readUplotAssets } from './report/uplot-assets';
export type { ChartingAssets } from './report/uplot-assets';
export { writeRunReport } from './report/write-run-report';
export type { RunReportResult } from './report/write-run-report';
