// Reads exact byte counts from a socket into caller-provided memory, with an inactivity timeout.
import type { Socket } from 'node:net';
import { DistributedError } from './distributed-error';

interface PendingRead {
  target: Uint8Array;
  filled: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Turns a socket's 'data' events into `read(target)` calls that resolve once `target` is full. Incoming bytes
 * are copied straight into the target (a view of the collective's buffer or a scratch piece), so a collective
 * is a fixed sequence of reads with no framing. A closed socket or `timeoutMs` without data rejects the read.
 */
export class SocketReader {
  private readonly queued: Buffer[] = [];
  private pending: PendingRead | undefined;
  private failure: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Set once the peer has gone; reads still drain what is queued. */
  private ended: DistributedError | undefined;

  /**
   * @param socket the receiving end; this reader owns its 'data', 'end', 'close' and 'error' events.
   * @param peer how errors name the sender, e.g. `rank 1 (left ring neighbour)`.
   * @param timeoutMs longest wait without any byte while a read is pending.
   * @param onProgress called on every chunk received (feeds the main thread's no-progress backstop).
   */
  constructor(
    private readonly socket: Socket,
    private readonly peer: { rank: number; description: string },
    private readonly timeoutMs: number,
    private readonly onProgress: () => void,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.queued.push(chunk);
      this.onProgress();
      this.pump();
    });
    // Bytes that arrived before the peer closed still count: only a read they cannot satisfy fails.
    const lost = (reason: string) => () => {
      this.ended ??= new DistributedError({
        code: 'peer-failure',
        failedRank: peer.rank,
        message: `lost the connection to ${peer.description} (${reason}): it exited, crashed or was disconnected`,
      });
      this.pump();
    };
    socket.on('end', lost('connection closed'));
    socket.on('close', lost('connection closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => lost(error.code ?? error.message)());
  }

  /** Fills `target` with the next `target.byteLength` bytes of the stream. */
  read(target: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('SocketReader: concurrent reads are not supported'));
    if (target.byteLength === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending = { target, filled: 0, resolve, reject };
      this.pump();
      if (this.pending) this.armTimer();
    });
  }

  /** Rejects the pending read and every later one with `error` (first failure wins). */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.clearTimer();
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  private pump(): void {
    const pending = this.pending;
    if (!pending) return;
    while (pending.filled < pending.target.byteLength && this.queued.length > 0) {
      const chunk = this.queued[0]!;
      const wanted = pending.target.byteLength - pending.filled;
      if (chunk.byteLength <= wanted) {
        pending.target.set(chunk, pending.filled);
        pending.filled += chunk.byteLength;
        this.queued.shift();
      } else {
        pending.target.set(chunk.subarray(0, wanted), pending.filled);
        pending.filled += wanted;
        this.queued[0] = chunk.subarray(wanted);
      }
    }
    if (pending.filled === pending.target.byteLength) {
      this.pending = undefined;
      this.clearTimer();
      pending.resolve();
    } else if (this.ended) {
      this.fail(this.ended);
    } else {
      this.armTimer();
    }
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      const error = new DistributedError({
        code: 'timeout',
        failedRank: this.peer.rank,
        message: `no data from ${this.peer.description} for ${this.timeoutMs} ms`,
      });
      this.fail(error);
    }, this.timeoutMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops reading and closes the socket. */
  close(): void {
    this.fail(new DistributedError({ code: 'destroyed', message: 'the ring connection was closed' }));
    this.socket.destroy();
  }
}
