// The error every collective, rendezvous and launcher failure surfaces as; importable from the worker too.
const MSN_ERROR = Symbol.for('msn.error');

/** What went wrong, for programmatic handling (`error.code`). */
export type DistributedErrorCode =
  /** Another rank exited, crashed or lost its connection. */
  | 'peer-failure'
  /** A collective waited longer than `timeoutMs` without progress. */
  | 'timeout'
  /** Not every rank joined the rendezvous within `rendezvousTimeoutMs`. */
  | 'rendezvous-timeout'
  /** The rendezvous found inconsistent ranks (world size, duplicate rank, backend). */
  | 'rendezvous-mismatch'
  /** Rank 0 could not listen on `MASTER_PORT`. */
  | 'address-in-use'
  /** Ranks called different collectives (kind, dtype, size or root) at the same position. */
  | 'collective-mismatch'
  /** The shared-memory backend cannot be used (files, space, other hosts). */
  | 'shared-memory'
  /** The group was destroyed, or failed earlier. */
  | 'destroyed'
  /** A network error outside the cases above. */
  | 'network'
  /** A bug in the communication worker. */
  | 'internal'
  /** koffi or the MPI library could not be loaded (the message says what to install). */
  | 'mpi-unavailable'
  /** Started with WORLD_SIZE/RANK (or srun without PMI) but not under an MPI launcher. */
  | 'not-under-launcher'
  /** An MPI call returned an error code. */
  | 'mpi-error';

/** Serialisable form of a {@link DistributedError}, used between the worker thread and the main thread. */
export interface DistributedErrorDetails {
  code: DistributedErrorCode;
  message: string;
  /** The rank held responsible, when one can be named. */
  failedRank?: number;
  /** The collective that failed, e.g. `allReduce #17`. */
  operation?: string;
}

/**
 * A failure of the process group: another rank died, a timeout, an inconsistent rendezvous or collective.
 * Carries the shared `msn.error` marker, so `isMsnError` recognises it across package versions.
 */
export class DistributedError extends Error {
  readonly [MSN_ERROR] = true;
  readonly code: DistributedErrorCode;
  /** The rank held responsible, when one can be named. */
  readonly failedRank: number | undefined;
  /** The collective that failed, e.g. `allReduce #17`. */
  readonly operation: string | undefined;

  constructor(details: DistributedErrorDetails, options?: ErrorOptions) {
    super(details.message, options);
    this.name = 'DistributedError';
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
