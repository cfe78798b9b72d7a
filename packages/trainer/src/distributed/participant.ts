// One rank's side of the group, inside its communication worker: rendezvous, transport setup, collectives.
import { closeSync, openSync, readSync } from 'node:fs';
import { connect, type OnReadOpts, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { ControlLink } from './control-link';
import type { CoordinatorMessage, PeerAddress, RankMessage } from './control-messages';
import { PROTOCOL_VERSION } from './control-messages';
import { DistributedError, toErrorDetails, type DistributedErrorDetails } from './distributed-error';
import { hostKey } from './host-key';
import { describeOperation, type OperationHeader, type TransportBackend, type WorkerConfig } from './protocol';
import { RingTransport } from './ring-transport';
import { ShmTransport } from './shm-transport';
import { SocketReader } from './socket-reader';
import { SocketWriter } from './socket-writer';
import type { Transport, TransportContext } from './transport';

/** How long a rank that detected a fault waits for the coordinator's verdict (which names the culprit). */
const VERDICT_WAIT_MS = 3_000;
/** Extra wait at the rendezvous, so the coordinator's verdict (naming the missing ranks) arrives first. */
const JOIN_GRACE_MS = 5_000;
const RING_GREETING_BYTES = 24;
const RING_MAGIC = 0x4d534e52; // "MSNR"

type Expected = 'probe' | 'plan' | 'start' | 'closed';

interface Waiter {
  types: Expected[];
  resolve: (message: CoordinatorMessage) => void;
  reject: (error: Error) => void;
}

/**
 * The state machine of one rank: joins the rendezvous, builds its transport, then runs collectives in the
 * order the main thread issued them. Any failure is sticky: once the coordinator aborts the group (naming the
 * rank responsible when it can), every pending and later collective fails with that error.
 */
export class Participant {
  backend: TransportBackend = 'tcp';
  localWorldSize = 1;
  private transport: Transport | undefined;
  private failure: DistributedErrorDetails | undefined;
  private readonly inbox: CoordinatorMessage[] = [];
  private waiter: Waiter | undefined;
  private verdictListeners: Array<(error: DistributedErrorDetails) => void> = [];
  private release: { round: number; resolve: () => void; reject: (error: Error) => void } | undefined;
  private round = 0;
  private received = 0;
  private completed = 0;
  private activity = 'idle';
  private leaving = false;
  private readonly ringSockets: Socket[] = [];
  /** Connections to the ring port, kept from the moment they arrive (a neighbour may connect before our plan). */
  private readonly incoming: Socket[] = [];
  private onIncoming: ((socket: Socket) => void) | undefined;

  constructor(
    private readonly config: WorkerConfig,
    private readonly link: ControlLink<CoordinatorMessage, RankMessage>,
    private readonly dataServer: Server,
    private readonly onProgress: () => void,
  ) {
    dataServer.on('connection', (socket: Socket) => {
      this.ringSockets.push(socket);
      if (this.onIncoming) this.onIncoming(socket);
      else this.incoming.push(socket);
    });
    link.onMessage((message) => this.handle(message));
    link.onClose((reason) => {
      if (this.leaving) {
        this.deliver({ type: 'closed' });
        return;
      }
      this.abort({
        code: 'peer-failure',
        failedRank: 0,
        message: `lost the connection to rank 0, the coordinator (${reason}): it exited, crashed or was disconnected`,
      });
    });
  }

  /**
   * Runs the rendezvous: hello, optional shared-memory probe, plan, transport connections, start.
   * Waits a little past `deadline` for the coordinator, whose own timeout names the missing ranks.
   */
  async join(rendezvousDeadline: number): Promise<void> {
    const { config } = this;
    const deadline = rendezvousDeadline + JOIN_GRACE_MS;
    const address = this.dataServer.address();
    this.link.send({
      type: 'hello',
      version: PROTOCOL_VERSION,
      rank: config.rank,
      worldSize: config.worldSize,
      localRank: config.localRank,
      backend: config.backend,
      hostKey: hostKey(),
      hostname: hostname(),
      pid: process.pid,
      dataPort: typeof address === 'object' && address ? address.port : 0,
      segmentBytes: config.segmentBytes,
      shmSlotBytes: config.shmSlotBytes,
    });
    let message = await this.expect(['probe', 'plan'], deadline);
    if (message.type === 'probe') {
      this.link.send({ type: 'probe-result', ...probeSharedFiles(message.paths, message.token) });
      message = await this.expect(['plan'], deadline);
    }
    if (message.type !== 'plan') throw new Error(`unexpected ${message.type} during the rendezvous`);
    this.backend = message.backend;
    this.localWorldSize = message.localWorldSize;
    this.transport =
      message.backend === 'shm'
        ? this.openSharedMemory(message.shmPaths)
        : await this.connectRing(message.peers, message.session, rendezvousDeadline);
    this.link.send({ type: 'connected' });
    await this.expect(['start'], deadline);
  }

  /** Counts a request the moment it arrives from the main thread and returns its position (1-based). */
  accept(): number {
    this.received += 1;
    return this.received;
  }

  /** Runs one collective; rejects with a DistributedError naming the operation (and the culprit if known). */
  async execute(header: OperationHeader, buffer: SharedArrayBuffer): Promise<void> {
    const operation = describeOperation(header);
    if (this.failure) throw this.stickyError(operation);
    if (!this.transport) throw new DistributedError({ code: 'internal', message: 'no transport', operation });
    this.activity = `running ${operation}`;
    this.onProgress();
    try {
      await this.transport.run(header, buffer);
      this.completed = header.seq;
      this.activity = 'idle';
    } catch (error) {
      throw await this.reportFault(error, header);
    }
  }

  /** Leaves the group: waits (bounded) until every rank has said goodbye, then closes everything. */
  async destroy(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    this.link.send({ type: 'bye' });
    try {
      await this.expect(['closed'], Date.now() + this.config.timeoutMs);
    } catch {
      // A failed or vanished peer must not make leaving fail: we are shutting down anyway.
    }
    this.close();
  }

  /** Closes sockets, files and listeners without saying goodbye (failed startup, or after `destroy`). */
  close(): void {
    this.transport?.close();
    for (const socket of this.ringSockets) socket.destroy();
    this.dataServer.close();
    this.link.close();
  }

  private stickyError(operation: string): DistributedError {
    const failure = this.failure!;
    return new DistributedError({ ...failure, operation, message: `${operation} failed: ${failure.message}` });
  }

  /** Tells the coordinator, waits briefly for its verdict, and fails the group with the best explanation. */
  private async reportFault(error: unknown, header: OperationHeader): Promise<DistributedError> {
    const operation = describeOperation(header);
    if (!this.failure) {
      const details = toErrorDetails(error);
      this.link.send({ type: 'fault', seq: header.seq, error: { ...details, operation } });
      const verdict = await new Promise<DistributedErrorDetails | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), VERDICT_WAIT_MS);
        this.verdictListeners.push((verdict) => {
          clearTimeout(timer);
          resolve(verdict);
        });
      });
      this.abort(
        verdict ?? {
          ...details,
          message:
            `${details.message}; rank 0 (the coordinator) gave no verdict within ${VERDICT_WAIT_MS} ms, ` +
            'so it may itself be frozen or gone',
        },
      );
    }
    return this.stickyError(operation);
  }

  /** Fails the group for good: closes the transport (waking any pending I/O) and rejects every waiter. */
  private abort(error: DistributedErrorDetails): void {
    if (!this.failure) this.failure = error;
    const listeners = this.verdictListeners;
    this.verdictListeners = [];
    for (const listener of listeners) listener(error);
    this.release?.reject(new DistributedError(error));
    this.release = undefined;
    this.transport?.close();
    for (const socket of this.ringSockets) socket.destroy();
    if (this.waiter && !this.waiter.types.includes('closed')) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.reject(new DistributedError(error));
    } else if (this.waiter) {
      // destroy() in progress: a failed group needs no goodbye.
      this.deliver({ type: 'closed' });
    }
  }

  private handle(message: CoordinatorMessage): void {
    switch (message.type) {
      case 'release':
        if (this.release?.round === message.round) {
          const release = this.release;
          this.release = undefined;
          this.onProgress();
          release.resolve();
        }
        return;
      case 'abort':
        this.abort(message.error);
        return;
      case 'status-request':
        this.link.send({
          type: 'status',
          completed: this.completed,
          issued: this.received,
          activity: this.activity,
        });
        return;
      default:
        this.deliver(message);
    }
  }

  private deliver(message: CoordinatorMessage): void {
    const waiter = this.waiter;
    if (waiter && waiter.types.includes(message.type as Expected)) {
      this.waiter = undefined;
      waiter.resolve(message);
    } else {
      this.inbox.push(message);
    }
  }

  private expect(types: Expected[], deadline: number): Promise<CoordinatorMessage> {
    const queued = this.inbox.findIndex((message) => types.includes(message.type as Expected));
    if (queued >= 0) return Promise.resolve(this.inbox.splice(queued, 1)[0]!);
    if (this.failure && !types.includes('closed')) return Promise.reject(new DistributedError(this.failure));
    const started = Date.now();
    return new Promise<CoordinatorMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiter = undefined;
          reject(
            new DistributedError({
              code: types.includes('closed') ? 'timeout' : 'rendezvous-timeout',
              failedRank: 0,
              message: `rank ${this.config.rank} waited ${Date.now() - started} ms for rank 0 (the coordinator) to send '${types.join("' or '")}'`,
            }),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiter = {
        types,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  private context(): TransportContext {
    return {
      rank: this.config.rank,
      worldSize: this.config.worldSize,
      timeoutMs: this.config.timeoutMs,
      progress: this.onProgress,
      hubBarrier: (header) => this.hubBarrier(header),
    };
  }

  /** Arrive at the coordinator and wait for everyone (the coordinator checks the headers agree). */
  private hubBarrier(header: OperationHeader): Promise<void> {
    if (this.failure) return Promise.reject(new DistributedError(this.failure));
    this.round += 1;
    const round = this.round;
    this.activity = `waiting at the barrier of ${describeOperation(header)}`;
    this.link.send({ type: 'arrive', round, header });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.release = undefined;
        reject(
          new DistributedError({
            code: 'timeout',
            message: `rank ${this.config.rank} waited ${this.config.timeoutMs} ms for the other ranks`,
          }),
        );
      }, this.config.timeoutMs);
      this.release = {
        round,
        resolve: () => {
          clearTimeout(timer);
          this.activity = `running ${describeOperation(header)}`;
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  private openSharedMemory(paths: string[]): Transport {
    const files: number[] = [];
    try {
      for (const path of paths) files.push(openSync(path, 'r+'));
    } catch (error) {
      for (const file of files) closeSync(file);
      throw new DistributedError(
        {
          code: 'shared-memory',
          message: `rank ${this.config.rank} could not open the shared-memory file: ${(error as Error).message}`,
        },
        { cause: error },
      );
    }
    return new ShmTransport(this.context(), [files[0]!, files[1]!], this.config.shmSlotBytes, () => {
      for (const file of files) closeSync(file);
    });
  }

  /**
   * Connects to the left neighbour (the socket it sends to us on: a client socket, so it can read straight
   * into shared memory with `onread`) and accepts the right one (the socket we send on). Each connection
   * starts with a greeting: magic, the connecting rank and the session id from the plan.
   */
  private async connectRing(peers: PeerAddress[], session: string, deadline: number): Promise<Transport> {
    const { rank, worldSize, timeoutMs } = this.config;
    const rightRank = (rank + 1) % worldSize;
    const leftRank = (rank - 1 + worldSize) % worldSize;
    const right = peers.find((peer) => peer.rank === rightRank)!;
    const left = peers.find((peer) => peer.rank === leftRank)!;
    const describe = (peer: PeerAddress, side: string) =>
      `rank ${peer.rank} (${side} ring neighbour, pid ${peer.pid} on ${peer.hostname})`;
    const sessionBytes = Buffer.from(session, 'hex');

    const accepted = new Promise<Socket>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new DistributedError({
              code: 'rendezvous-timeout',
              failedRank: rightRank,
              message: `rank ${rank} waited until the rendezvous deadline for rank ${rightRank} to connect to its ring port`,
            }),
          ),
        Math.max(0, deadline - Date.now()),
      );
      const greet = (socket: Socket) => {
        socket.setNoDelay(true);
        readGreeting(socket, timeoutMs).then(
          (greeting) => {
            const view = new DataView(greeting.buffer, greeting.byteOffset, greeting.byteLength);
            const valid =
              view.getUint32(0, true) === RING_MAGIC &&
              view.getUint32(4, true) === rightRank &&
              greeting.subarray(8).equals(sessionBytes);
            if (!valid) {
              socket.destroy();
              return;
            }
            clearTimeout(timer);
            resolve(socket);
          },
          () => socket.destroy(),
        );
      };
      this.onIncoming = greet;
      for (const socket of this.incoming.splice(0)) greet(socket);
    });

    const reader = new SocketReader({ rank: leftRank, description: describe(left, 'left') }, timeoutMs, this.onProgress);
    const socket = await connectWithRetry(left.address, left.dataPort, deadline, `rank ${rank}`, describe(left, 'left'), reader.onread);
    this.ringSockets.push(socket);
    socket.setNoDelay(true);
    reader.attach(socket);
    const greeting = Buffer.alloc(RING_GREETING_BYTES);
    greeting.writeUInt32LE(RING_MAGIC, 0);
    greeting.writeUInt32LE(rank, 4);
    sessionBytes.copy(greeting, 8);
    socket.write(greeting);
    const writer = new SocketWriter(await accepted, { rank: rightRank, description: describe(right, 'right') }, timeoutMs);
    return new RingTransport(this.context(), reader, writer, this.config.segmentBytes);
  }
}

/** The first RING_GREETING_BYTES of an accepted ring connection (nothing else arrives on it). */
function readGreeting(socket: Socket, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const timer = setTimeout(() => finish(new Error('no greeting')), timeoutMs);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).subarray(0, RING_GREETING_BYTES));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.byteLength;
      if (length >= RING_GREETING_BYTES) finish();
    };
    const onClose = () => finish(new Error('closed before its greeting'));
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** Reads the coordinator's token from the first shared file: proves this rank sees the same memory. */
function probeSharedFiles(paths: string[], token: string): { ok: boolean; detail: string } {
  try {
    const expected = Buffer.from(token, 'utf8');
    const found = Buffer.alloc(expected.byteLength);
    const file = openSync(paths[0]!, 'r');
    try {
      readSync(file, found, 0, found.byteLength, 0);
    } finally {
      closeSync(file);
    }
    return found.equals(expected)
      ? { ok: true, detail: 'shared' }
      : { ok: false, detail: `${paths[0]} exists but holds another job's data` };
  } catch (error) {
    return { ok: false, detail: `cannot open ${paths[0]}: ${(error as Error).message}` };
  }
}

/** Connects to `address:port`, retrying refused connections until `deadline` (the peer may still be starting). */
export async function connectWithRetry(
  address: string,
  port: number,
  deadline: number,
  who: string,
  target: string,
  onread?: OnReadOpts,
): Promise<Socket> {
  let lastError = 'no attempt';
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = connect(onread ? { host: address, port, onread } : { host: address, port });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
        }, Math.max(100, Math.min(5_000, deadline - Date.now())));
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.removeAllListeners('error');
          resolve(socket);
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          socket.destroy();
          reject(error);
        });
      });
    } catch (error) {
      lastError = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    const wait = Math.min(1_000, 50 * 2 ** Math.min(attempt, 5));
    if (Date.now() + wait >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
  throw new DistributedError({
    code: 'rendezvous-timeout',
    message: `${who} could not reach ${target} at ${address}:${port} before the rendezvous deadline (last error: ${lastError})`,
  });
}
