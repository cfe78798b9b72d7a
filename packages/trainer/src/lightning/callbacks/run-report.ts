import { writeRunReport } from '../../report/write-run-report';
import { InvalidArgumentError, assertInteger, assertKnownKeys } from '@msn/errors';
import type { Callback } from '../callback';
import type { Trainer } from '../trainer';

/** Options of {@link RunReport}. */
export interface RunReportOptions {
  /** The run folder: metrics.jsonl, health.json, … are read from it and report.html is written into it. */
  folder: string;
  /** Rebuild the report every n steps (use the checkpoint interval). @default only at the end of the fit */
  everyNTrainSteps?: number;
  /** Runs before each rebuild, e.g. to write health.json so the report shows the latest health. */
  beforeWrite?: (trainer: Trainer) => unknown;
}

const KNOWN = ['folder', 'everyNTrainSteps', 'beforeWrite'] as const;

/**
 * Rebuilds `<folder>/report.html` (`writeRunReport`) every `everyNTrainSteps` steps and at the end of the fit, so a
 * long run can be looked at while it trains and a killed one keeps its last report. Under `ddpStrategy` it runs on
 * rank 0 only, like every callback.
 *
 * @example new Trainer({ callbacks: [new ModelCheckpoint({ dirpath, everyNTrainSteps: 250 }), new RunReport({ folder: 'runs/msn', everyNTrainSteps: 250 })] })
 * @throws {InvalidArgumentError} for a missing folder or a non-integer interval.
 */
export class RunReport implements Callback {
  readonly folder: string;
  readonly everyNTrainSteps: number | undefined;
  private readonly beforeWrite: RunReportOptions['beforeWrite'];

  constructor(options: RunReportOptions) {
    const caller = 'RunReport';
    assertKnownKeys(caller, options, KNOWN);
    if (typeof options.folder !== 'string' || options.folder.length === 0)
      throw new InvalidArgumentError({ caller, argument: 'folder', value: options.folder, expected: 'a run folder path' });
    if (options.everyNTrainSteps !== undefined) assertInteger(caller, 'everyNTrainSteps', options.everyNTrainSteps, 1);
    this.folder = options.folder;
    this.everyNTrainSteps = options.everyNTrainSteps;
    this.beforeWrite = options.beforeWrite;
  }

  async onTrainBatchEnd(trainer: Trainer): Promise<void> {
    if (this.everyNTrainSteps !== undefined && trainer.globalStep % this.everyNTrainSteps === 0) await this.write(trainer);
  }

  async onFitEnd(trainer: Trainer): Promise<void> {
    await this.write(trainer);
  }

  /** Writes health.json (via `beforeWrite`) and report.html now; returns the report's path. */
  async write(trainer: Trainer): Promise<string> {
    await this.beforeWrite?.(trainer);
    return (await writeRunReport(this.folder)).path;
  }
}
