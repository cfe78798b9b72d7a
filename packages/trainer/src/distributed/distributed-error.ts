// The error every process-group failure surfaces as (MPI missing, launch mistakes, MPI errors, use after destroy).
import { MsnError } from '@msn/errors';

/** What went wrong, for programmatic handling (`error.code`). */
export type DistributedErrorCode =
  /** The group was destroyed (MPI finalised). */
  | 'destroyed'
  /** koffi or the MPI library could not be loaded, or the library is not the launcher's (the message says what to do). */
  | 'mpi-unavailable'
  /** Started with WORLD_SIZE/RANK (or srun without PMI) but not under an MPI launcher. */
  | 'not-under-launcher'
  /** An MPI call returned an error code. */
  | 'mpi-error'
  /** Ranks disagree on what they exchange (e.g. the metric names the DDP strategy averages). */
  | 'collective-mismatch'
  /** A bug. */
  | 'internal';

/** Plain-object form of a {@link DistributedError}. */
export interface DistributedErrorDetails {
  code: DistributedErrorCode;
  message: string;
  /** The rank held responsible, when one can be named. */
  failedRank?: number;
  /** The collective that failed, e.g. `allReduce #17`. */
  operation?: string;
}

/**
 * A failure of the process group: MPI or koffi missing, a launch mistake, an MPI error, use after destroy.
 * An {@link MsnError}: `instanceof` and `isMsnError` hold across installed copies and versions.
 */
export class DistributedError extends MsnError {
  static override readonly errorName = 'DistributedError';
  readonly code: DistributedErrorCode;
  /** The rank held responsible, when one can be named. */
  readonly failedRank: number | undefined;
  /** The collective that failed, e.g. `allReduce #17`. */
  readonly operation: string | undefined;

  constructor(details: DistributedErrorDetails, options?: ErrorOptions) {
    super(details.message, options);
    this.code = details.code;
    this.failedRank = details.failedRank;
    this.operation = details.operation;
  }

  /** The plain-object form that crosses thread boundaries. */
  toDetails(): DistributedErrorDetails {
    const details: DistributedErrorDetails = { code: this.code, message: this.message };
    if (this.failedRank !== undefined) details.failedRank = this.failedRank;
    if (this.operation !== undefined) details.operation = this.operation;
    return details;
  }
}

/** Converts anything thrown into the serialisable details, keeping DistributedError fields. */
export function toErrorDetails(error: unknown): DistributedErrorDetails {
  if (error instanceof DistributedError) return error.toDetails();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
}
