// TCP backend: a pipelined ring (reduce-scatter then all-gather) between neighbouring ranks.
import { DistributedError } from './distributed-error';
import { accumulate, chunkRanges, divideInPlace, pieces, typedView, type ElementRange } from './partition';
import { BYTES_PER_ELEMENT, describeOperation, sameOperation, type OperationHeader } from './protocol';
import type { SocketReader } from './socket-reader';
import type { SocketWriter } from './socket-writer';
import type { Transport, TransportContext } from './transport';
import { WIRE_HEADER_BYTES, decodeHeader, encodeHeader } from './wire-header';

const modulo = (value: number, divisor: number): number => ((value % divisor) + divisor) % divisor;

/**
 * Rank r receives from rank r−1 and sends to rank r+1 (mod worldSize).
 *
 * allReduce of N elements split into worldSize chunks ({@link chunkRanges}): in step t = 0 … 2(n−1)−1 rank r
 * sends chunk (r − t) mod n and receives chunk (r − 1 − t) mod n; the first n−1 steps add what arrives to the
 * local values (reduce-scatter), the last n−1 overwrite (all-gather). Each rank sends and receives
 * 2(n−1)/n · N elements, the bandwidth optimum. Chunks travel as pieces of `segmentBytes`, and every piece is
 * forwarded as soon as it is reduced, so the steps overlap (pipelining) and the stream needs no framing: both
 * neighbours know the byte schedule. Chunk c is accumulated in the order x_c, x_{c+1}, …, then broadcast, so
 * every rank ends with bitwise-identical values.
 */
export class RingTransport implements Transport {
  private scratch = new ArrayBuffer(0);
  private readonly left: number;

  constructor(
    private readonly context: TransportContext,
    private readonly reader: SocketReader,
    private readonly writer: SocketWriter,
    private readonly segmentBytes: number,
  ) {
    this.left = modulo(context.rank - 1, context.worldSize);
    writer.onFailure((error) => reader.fail(error));
  }

  async run(header: OperationHeader, buffer: SharedArrayBuffer): Promise<void> {
    if (header.kind === 'barrier') {
      await this.context.hubBarrier(header);
      return;
    }
    // The header and the first pieces leave in one system call; the rest is driven by what arrives.
    this.writer.cork();
    this.writer.write(encodeHeader(header));
    const receive =
      header.kind === 'allReduce'
        ? this.allReduce(header, buffer)
        : header.kind === 'broadcast'
          ? this.broadcast(header, buffer)
          : this.allGather(header, buffer);
    this.writer.uncork();
    await this.receiveHeader(header);
    await receive();
    await this.writer.flush();
  }

  close(): void {
    this.reader.close();
    this.writer.close();
  }

  /** Checks the left neighbour's header against ours: every adjacent pair agrees, so all ranks do. */
  private async receiveHeader(header: OperationHeader): Promise<void> {
    const received = new Uint8Array(WIRE_HEADER_BYTES);
    await this.reader.read(received);
    const theirs = decodeHeader(received);
    if (!theirs || !sameOperation(theirs, header)) {
      const called = theirs ? describeOperation(theirs) : 'something unreadable';
      throw new DistributedError({
        code: 'collective-mismatch',
        operation: describeOperation(header),
        message:
          `ranks called different collectives: rank ${this.left} called ${called} where rank ` +
          `${this.context.rank} called ${describeOperation(header)}; every rank must issue the same collectives ` +
          'in the same order with the same sizes',
      });
    }
  }

  /** Sends this rank's own chunk now; the returned continuation receives, reduces and forwards the rest. */
  private allReduce(header: OperationHeader, buffer: SharedArrayBuffer): () => Promise<void> {
    const { rank, worldSize } = this.context;
    const elementBytes = BYTES_PER_ELEMENT[header.dtype];
    const pieceLength = Math.max(1, Math.floor(this.segmentBytes / elementBytes));
    const chunks = chunkRanges(header.count, worldSize);
    const bytes = (range: ElementRange) =>
      new Uint8Array(buffer, range.start * elementBytes, (range.end - range.start) * elementBytes);
    const steps = 2 * (worldSize - 1);
    for (const piece of pieces(chunks[rank]!, pieceLength)) this.writer.write(bytes(piece));
    return async () => {
      for (let step = 0; step < steps; step++) {
        const chunk = modulo(rank - 1 - step, worldSize);
        for (const piece of pieces(chunks[chunk]!, pieceLength)) {
          const length = piece.end - piece.start;
          if (step < worldSize - 1) {
            const received = this.scratchBytes(length * elementBytes);
            await this.reader.read(received);
            accumulate(
              typedView(buffer, header.dtype, piece.start * elementBytes, length) as Float32Array | Int32Array,
              typedView(received.buffer, header.dtype, 0, length) as Float32Array | Int32Array,
            );
          } else {
            await this.reader.read(bytes(piece));
          }
          // Step t+1 sends chunk (r − 1 − t): the piece just completed, forwarded at once.
          if (step + 1 < steps) this.writer.write(bytes(piece));
        }
      }
      if (header.op === 'mean') divideInPlace(new Float32Array(buffer, 0, header.count), worldSize);
    };
  }

  /** A chain from the root around the ring; the rank before the root does not forward. */
  private broadcast(header: OperationHeader, buffer: SharedArrayBuffer): () => Promise<void> {
    const { rank, worldSize } = this.context;
    const elementBytes = BYTES_PER_ELEMENT[header.dtype];
    const pieceLength = Math.max(1, Math.floor(this.segmentBytes / elementBytes));
    const last = modulo(header.root - 1, worldSize);
    const views = pieces({ start: 0, end: header.count }, pieceLength).map(
      (piece) => new Uint8Array(buffer, piece.start * elementBytes, (piece.end - piece.start) * elementBytes),
    );
    if (rank === header.root) {
      for (const view of views) this.writer.write(view);
      return async () => undefined;
    }
    return async () => {
      for (const view of views) {
        await this.reader.read(view);
        if (rank !== last) this.writer.write(view);
      }
    };
  }

  /** Ring all-gather: in step t rank r forwards slot (r − t) and receives slot (r − 1 − t). */
  private allGather(header: OperationHeader, buffer: SharedArrayBuffer): () => Promise<void> {
    const { rank, worldSize } = this.context;
    const elementBytes = BYTES_PER_ELEMENT[header.dtype];
    const pieceLength = Math.max(1, Math.floor(this.segmentBytes / elementBytes));
    const slot = (index: number): ElementRange => ({ start: index * header.count, end: (index + 1) * header.count });
    const bytes = (range: ElementRange) =>
      new Uint8Array(buffer, range.start * elementBytes, (range.end - range.start) * elementBytes);
    for (const piece of pieces(slot(rank), pieceLength)) this.writer.write(bytes(piece));
    return async () => {
      for (let step = 0; step < worldSize - 1; step++) {
        for (const piece of pieces(slot(modulo(rank - 1 - step, worldSize)), pieceLength)) {
          await this.reader.read(bytes(piece));
          if (step + 1 < worldSize - 1) this.writer.write(bytes(piece));
        }
      }
    };
  }

  private scratchBytes(byteLength: number): Uint8Array {
    if (this.scratch.byteLength < byteLength) this.scratch = new ArrayBuffer(byteLength);
    return new Uint8Array(this.scratch, 0, byteLength);
  }
}
