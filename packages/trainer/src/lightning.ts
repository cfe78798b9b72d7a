// @file @msn/trainer/lightning: the Lightning-like Trainer, its callbacks and loggers, and MSNModule (MSN / PMSN as a LightningModule).
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
export { MSNModule } from './msn-module/msn-module';
export type { MSNModuleBatch, MSNModuleOptions, MSNValidationOptions } from './msn-module/msn-module';
export { CollapseMonitor } from './health/collapse-monitor';
export type { CollapseMonitorOptions } from './health/collapse-monitor';
export { TensorBoardLogger } from './lightning/loggers/tensorboard-logger';
export { ThroughputMonitor } from './lightning/callbacks/throughput-monitor';
export { RunReport } from './lightning/callbacks/run-report';
export type { RunReportOptions } from './lightning/callbacks/run-report';
