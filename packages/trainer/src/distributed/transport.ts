// What the participant needs from a backend: run one collective in place on a shared buffer.
import type { OperationHeader } from './protocol';

/** Services the participant gives a transport. */
export interface TransportContext {
  rank: number;
  worldSize: number;
  timeoutMs: number;
  /** Marks progress for the main thread's no-progress backstop. */
  progress(): void;
  /**
   * Waits until every rank has arrived at the same point (through the coordinator, which also checks that
   * every rank is running the collective `header` describes).
   */
  hubBarrier(header: OperationHeader): Promise<void>;
}

/** A backend: shared-memory files or a TCP ring. */
export interface Transport {
  /**
   * Runs the collective `header` describes, in place on `buffer` (allGather: `worldSize` slots of
   * `header.count` elements, this rank's slot filled). Resolves once no I/O references `buffer` any more.
   */
  run(header: OperationHeader, buffer: SharedArrayBuffer): Promise<void>;
  /** Releases sockets and files; pending operations reject. */
  close(): void;
}
