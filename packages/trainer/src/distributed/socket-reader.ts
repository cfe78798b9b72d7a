// Reads exact byte counts from a socket straight into caller-provided memory, with an inactivity timeout.
import type { OnReadOpts, Socket } from 'node:net';
import { DistributedError } from './distributed-error';

interface PendingRead {
  target: Uint8Array;
  filled: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Size of the buffer that catches bytes arriving while no read is pending. */
const STAGING_BYTES = 1 << 16;

/**
 * Turns a socket into `read(target)` calls that resolve once `target` is full. The socket is created with
 * Node's `onread` option, and while a read is pending the kernel writes straight into the rest of its target
 * (a view of the collective's shared buffer): no intermediate Buffer, no copy, and reads as large as the
 * target. Bytes that arrive while no read is pending land in a staging buffer and are queued. A collective is
 * a fixed sequence of reads, with no framing. A closed socket or `timeoutMs` without data rejects the read.
 */
export class SocketReader {
  private readonly queued: Buffer[] = [];
  private readonly staging = Buffer.allocUnsafe(STAGING_BYTES);
  private pending: PendingRead | undefined;
  /** The buffer handed to the socket for its next read. */
  private given: Uint8Array = this.staging;
  private failure: Error | undefined;
  /** Set once the peer has gone; reads still drain what is queued. */
  private ended: DistributedError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private socket: Socket | undefined;

  /**
   * @param peer how errors name the sender, e.g. `rank 1 (left ring neighbour)`.
   * @param timeoutMs longest wait without any byte while a read is pending.
   * @param onProgress called whenever bytes arrive (feeds the main thread's no-progress backstop).
   */
  constructor(
    private readonly peer: { rank: number; description: string },
    private readonly timeoutMs: number,
    private readonly onProgress: () => void,
  ) {}

  /** The `onread` option for `net.connect` (the socket this reader will own). */
  readonly onread: OnReadOpts = {
    buffer: () => this.nextBuffer(),
    callback: (bytes: number, buffer: Uint8Array) => {
      this.arrived(bytes, buffer);
      return true; // keep reading: the queue absorbs bytes that arrive early
    },
  };

  /** Takes over the socket's end, close and error events. */
  attach(socket: Socket): void {
    this.socket = socket;
    // Bytes that arrived before the peer closed still count: only a read they cannot satisfy fails.
    const lost = (reason: string) => () => {
      this.ended ??= new DistributedError({
        code: 'peer-failure',
        failedRank: this.peer.rank,
        message: `lost the connection to ${this.peer.description} (${reason}): it exited, crashed or was disconnected`,
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

  /** Stops reading and closes the socket. */
  close(): void {
    this.fail(new DistributedError({ code: 'destroyed', message: 'the ring connection was closed' }));
    this.socket?.destroy();
  }

  /**
   * Where the next read goes: the unfilled rest of the pending target (never empty: the socket rejects
   * empty buffers), else staging. The queue is empty whenever a read is pending and unfilled (pump drains it
   * first), so bytes stay in order.
   */
  private nextBuffer(): Uint8Array {
    const pending = this.pending;
    this.given =
      pending && pending.filled < pending.target.byteLength && this.queued.length === 0
        ? pending.target.subarray(pending.filled)
        : this.staging;
    return this.given;
  }

  private arrived(bytes: number, buffer: Uint8Array): void {
    this.onProgress();
    const pending = this.pending;
    if (buffer !== this.staging && pending && buffer === this.given) {
      pending.filled += bytes;
    } else if (buffer === this.staging) {
      // Copied out: staging is reused by the next read.
      this.queued.push(Buffer.from(this.staging.subarray(0, bytes)));
    }
    // Anything else was a target of a read that failed meanwhile; the group is dead, drop it.
    this.pump();
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
    this.timer = setTimeout(
      () =>
        this.fail(
          new DistributedError({
            code: 'timeout',
            failedRank: this.peer.rank,
            message: `no data from ${this.peer.description} for ${this.timeoutMs} ms`,
          }),
        ),
      this.timeoutMs,
    );
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
