// JSON messages between each rank's worker and the coordinator (rank 0's worker), over the rendezvous link.
import type { DistributedErrorDetails } from './distributed-error';
import type { BackendPreference, OperationHeader, TransportBackend } from './protocol';

/** Bumped when the wire protocol changes, so mixed versions fail at the rendezvous instead of corrupting data. */
export const PROTOCOL_VERSION = 1;

/** A rank's introduction at the rendezvous. */
export interface HelloMessage {
  type: 'hello';
  version: number;
  rank: number;
  worldSize: number;
  localRank: number;
  backend: BackendPreference;
  /** Hostname plus boot id: ranks with equal keys may share memory. */
  hostKey: string;
  hostname: string;
  pid: number;
  /** Port of this rank's ring listener. */
  dataPort: number;
  segmentBytes: number;
  shmSlotBytes: number;
}

/** Where a rank's ring listener is reached. */
export interface PeerAddress {
  rank: number;
  address: string;
  dataPort: number;
  hostname: string;
  pid: number;
}

export type RankMessage =
  | HelloMessage
  | { type: 'probe-result'; ok: boolean; detail: string }
  | { type: 'connected' }
  | { type: 'arrive'; round: number; header: OperationHeader }
  | { type: 'fault'; seq: number; error: DistributedErrorDetails }
  | { type: 'status'; completed: number; issued: number; activity: string }
  | { type: 'bye' };

export type CoordinatorMessage =
  | { type: 'probe'; paths: string[]; token: string }
  | {
      type: 'plan';
      backend: TransportBackend;
      peers: PeerAddress[];
      session: string;
      shmPaths: string[];
      localWorldSize: number;
    }
  | { type: 'start' }
  | { type: 'release'; round: number }
  | { type: 'status-request' }
  | { type: 'abort'; error: DistributedErrorDetails }
  | { type: 'closed' };
