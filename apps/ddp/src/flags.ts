// The command line of the DDP trainer: the shared training flags of the example apps (the same defaults as
// apps/lightning), with --batch-size per rank, plus the distributed ones.
import { MSN_TRAINING_FLAGS, type FlagSpecs } from '@msn/app-kit';

export const FLAGS = {
  ...MSN_TRAINING_FLAGS,
  batchSize: { ...MSN_TRAINING_FLAGS.batchSize, description: 'images per rank and step (the job trains on batch-size × world size)' },
  resume: {
    type: 'string',
    description: 'checkpoint folder to resume from, or auto: <out>/checkpoints/last when it exists (rerun the same command after a failed job)',
  },
  progress: { type: 'boolean', default: true, description: 'progress bar with throughput and ETA (rank 0)' },
} as const satisfies FlagSpecs;
