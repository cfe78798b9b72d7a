// A message link to the coordinator: newline-delimited JSON over TCP, or an in-memory pair on rank 0.
import type { Socket } from 'node:net';

/** One end of a bidirectional message link. Handlers are set once; messages arrive in order. */
export interface ControlLink<Incoming, Outgoing> {
  send(message: Outgoing): void;
  onMessage(handler: (message: Incoming) => void): void;
  /** Called once when the other end goes away (not after our own `close()`). */
  onClose(handler: (reason: string) => void): void;
  close(): void;
}

/** Newline-delimited JSON over a socket. Malformed input closes the link. */
export class SocketControlLink<Incoming, Outgoing> implements ControlLink<Incoming, Outgoing> {
  private messageHandler: ((message: Incoming) => void) | undefined;
  private closeHandler: ((reason: string) => void) | undefined;
  private readonly backlog: Incoming[] = [];
  private partial = '';
  private closed = false;
  private closedBeforeHandler: string | undefined;

  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    // Keeps idle links through NAT and firewalls during long computations between collectives.
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (text: string) => this.receive(text));
    const lost = (reason: string) => {
      if (this.closed) return;
      this.closed = true;
      if (this.closeHandler) this.closeHandler(reason);
      else this.closedBeforeHandler = reason;
    };
    socket.on('close', () => lost('connection closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => lost(error.code ?? error.message));
  }

  send(message: Outgoing): void {
    if (!this.closed) this.socket.write(`${JSON.stringify(message)}\n`);
  }

  onMessage(handler: (message: Incoming) => void): void {
    this.messageHandler = handler;
    for (const message of this.backlog.splice(0)) handler(message);
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandler = handler;
    if (this.closedBeforeHandler !== undefined) handler(this.closedBeforeHandler);
  }

  close(): void {
    this.closed = true;
    // end() flushes what we queued (an abort, 'closed') before the FIN; destroy later in case the peer hangs.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  private receive(text: string): void {
    this.partial += text;
    let newline = this.partial.indexOf('\n');
    while (newline >= 0) {
      const line = this.partial.slice(0, newline);
      this.partial = this.partial.slice(newline + 1);
      let message: Incoming;
      try {
        message = JSON.parse(line) as Incoming;
      } catch {
        // Not one of ours (a port scanner, a stale client): drop it.
        this.socket.destroy();
        return;
      }
      if (this.messageHandler) this.messageHandler(message);
      else this.backlog.push(message);
      newline = this.partial.indexOf('\n');
    }
  }
}

/** Both ends of an in-memory link (rank 0's participant and the coordinator share one worker thread). */
export function createLocalLinkPair<A, B>(): [ControlLink<A, B>, ControlLink<B, A>] {
  const first = new LocalLink<A, B>();
  const second = new LocalLink<B, A>();
  first.peer = second;
  second.peer = first;
  return [first, second];
}

class LocalLink<Incoming, Outgoing> implements ControlLink<Incoming, Outgoing> {
  peer: LocalLink<Outgoing, Incoming> | undefined;
  private messageHandler: ((message: Incoming) => void) | undefined;
  private readonly backlog: Incoming[] = [];
  private closed = false;

  send(message: Outgoing): void {
    const peer = this.peer;
    if (this.closed || !peer) return;
    // Deliver asynchronously, like a socket, so handlers never re-enter each other.
    queueMicrotask(() => peer.deliver(message));
  }

  deliver(message: Incoming): void {
    if (this.closed) return;
    if (this.messageHandler) this.messageHandler(message);
    else this.backlog.push(message);
  }

  onMessage(handler: (message: Incoming) => void): void {
    this.messageHandler = handler;
    for (const message of this.backlog.splice(0)) handler(message);
  }

  onClose(): void {
    // Both ends live in the same thread and die together.
  }

  close(): void {
    this.closed = true;
  }
}
