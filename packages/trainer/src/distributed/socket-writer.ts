// Writes views of a collective's buffer to a socket without copying, and waits until the kernel has them.
import type { Socket } from 'node:net';
import { DistributedError } from './distributed-error';

/**
 * Queues writes of views into shared memory. Node keeps a reference (no copy) until the kernel takes the
 * bytes, so a collective must `flush()` before its buffer is handed back to the main thread.
 */
export class SocketWriter {
  private failure: Error | undefined;
  private lastWrite: Promise<void> = Promise.resolve();
  private readonly failureListeners: Array<(error: Error) => void> = [];

  /**
   * @param socket the sending end; this writer owns its events.
   * @param peer how errors name the receiver.
   * @param timeoutMs longest time `flush()` waits while the kernel accepts no byte (a stalled receiver).
   */
  constructor(
    private readonly socket: Socket,
    private readonly peer: { rank: number; description: string },
    private readonly timeoutMs: number,
  ) {
    const lost = (reason: string) => () =>
      this.fail(
        new DistributedError({
          code: 'peer-failure',
          failedRank: peer.rank,
          message: `lost the connection to ${peer.description} (${reason}): it exited, crashed or was disconnected`,
        }),
      );
    socket.on('end', lost('connection closed'));
    socket.on('close', lost('connection closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => lost(error.code ?? error.message)());
    // The receiver never sends on this socket; reading keeps its 'end' (the peer going away) observable.
    socket.resume();
  }

  /** Registers a callback for the first failure (used to wake a read waiting on the other neighbour). */
  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  /** Queues `view` (not copied: it must stay unchanged until `flush()` resolves). */
  write(view: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (view.byteLength === 0) return;
    this.lastWrite = new Promise<void>((resolve, reject) => {
      this.socket.write(view, (error) => {
        if (error) reject(this.failure ?? error);
        else resolve();
      });
    });
    // Rejections surface through flush(); avoid unhandled-rejection noise in between.
    this.lastWrite.catch(() => undefined);
  }

  /** Batches the following writes into one system call (a collective's header and first pieces). */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  /** Resolves once every queued write reached the kernel (callbacks fire in order, so the last one suffices). */
  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    let watchdog: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      let written = this.socket.bytesWritten;
      watchdog = setInterval(() => {
        if (this.socket.bytesWritten !== written) {
          written = this.socket.bytesWritten;
          return;
        }
        reject(
          new DistributedError({
            code: 'timeout',
            failedRank: this.peer.rank,
            message: `${this.peer.description} accepted no data for ${this.timeoutMs} ms`,
          }),
        );
      }, this.timeoutMs);
    });
    try {
      await Promise.race([this.lastWrite, stalled]);
    } finally {
      clearInterval(watchdog);
    }
    if (this.failure) throw this.failure;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const listener of this.failureListeners) listener(error);
  }

  close(): void {
    this.fail(new DistributedError({ code: 'destroyed', message: 'the ring connection was closed' }));
    this.socket.destroy();
  }
}
