// Shared-memory backend: ranks on one host exchange data through two files in /dev/shm.
import { readSync, writeSync } from 'node:fs';
import { DistributedError } from './distributed-error';
import { accumulate, chunkRanges, divideInPlace, typedView, type ElementRange } from './partition';
import { BYTES_PER_ELEMENT, type OperationHeader } from './protocol';
import type { Transport, TransportContext } from './transport';

/** allReduce buffers up to this size take the one-barrier path. */
const SMALL_ALL_REDUCE_BYTES = 1 << 16;

/**
 * Each file holds one slot of `slotBytes` per rank. A collective runs in rounds; round k uses file k mod 2, so
 * a rank may write round k+2 while slower ranks still read round k… except it cannot: round k+1 starts with a
 * barrier every rank reaches only after finishing round k. Without mmap (no native addon), the files are read
 * and written with pread/pwrite, i.e. one kernel copy each way; tmpfs keeps them in memory.
 *
 * allReduce: the buffer is split into the same worldSize chunks as the ring ({@link chunkRanges}); a round
 * moves one sub-block of every chunk. Rank r writes its sub-blocks of the other chunks into its slot; barrier;
 * it reduces chunk r in the order x_r, x_{r+1}, … (the ring's order, so both backends agree bit for bit) and
 * publishes it; barrier; everyone copies the reduced chunks it does not own.
 */
export class ShmTransport implements Transport {
  private parity = 0;
  private scratch = new ArrayBuffer(0);
  private closed = false;

  constructor(
    private readonly context: TransportContext,
    private readonly files: [number, number],
    private readonly slotBytes: number,
    private readonly closeFiles: () => void,
  ) {}

  async run(header: OperationHeader, buffer: SharedArrayBuffer): Promise<void> {
    if (header.kind === 'barrier') await this.context.hubBarrier(header);
    else if (header.kind === 'allReduce') await this.allReduce(header, buffer);
    else if (header.kind === 'broadcast') await this.broadcast(header, buffer);
    else await this.allGather(header, buffer);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeFiles();
  }

  private nextFile(): number {
    const file = this.files[this.parity]!;
    this.parity ^= 1;
    return file;
  }

  private async allReduce(header: OperationHeader, buffer: SharedArrayBuffer): Promise<void> {
    const { rank, worldSize } = this.context;
    const elementBytes = BYTES_PER_ELEMENT[header.dtype];
    if (header.count * elementBytes <= Math.min(SMALL_ALL_REDUCE_BYTES, this.slotBytes)) {
      await this.smallAllReduce(header, buffer);
      return;
    }
    const subLength = Math.max(1, Math.floor(this.slotBytes / worldSize / elementBytes));
    const chunks = chunkRanges(header.count, worldSize);
    const longest = Math.max(...chunks.map((chunk) => chunk.end - chunk.start));
    const rounds = Math.max(1, Math.ceil(longest / subLength));
    const slotOffset = (slot: number, chunk: number) => slot * this.slotBytes + chunk * subLength * elementBytes;
    const pieceOf = (chunk: number, round: number): ElementRange => {
      const start = Math.min(chunks[chunk]!.end, chunks[chunk]!.start + round * subLength);
      return { start, end: Math.min(chunks[chunk]!.end, start + subLength) };
    };
    const bytes = (range: ElementRange) =>
      new Uint8Array(buffer, range.start * elementBytes, (range.end - range.start) * elementBytes);

    for (let round = 0; round < rounds; round++) {
      const file = this.nextFile();
      for (let chunk = 0; chunk < worldSize; chunk++) {
        if (chunk !== rank) this.pwrite(file, bytes(pieceOf(chunk, round)), slotOffset(rank, chunk));
      }
      await this.context.hubBarrier(header);
      const mine = pieceOf(rank, round);
      const length = mine.end - mine.start;
      const target = typedView(buffer, header.dtype, mine.start * elementBytes, length) as Float32Array | Int32Array;
      for (let offset = 1; offset < worldSize; offset++) {
        const source = (rank + offset) % worldSize;
        const received = this.scratchBytes(length * elementBytes);
        this.pread(file, received, slotOffset(source, rank));
        // Reversed operands, same association as the ring: (x_r + … + x_{source−1}) + x_source.
        accumulate(target, typedView(received.buffer, header.dtype, 0, length) as Float32Array | Int32Array);
      }
      this.pwrite(file, bytes(mine), slotOffset(rank, rank));
      await this.context.hubBarrier(header);
      for (let chunk = 0; chunk < worldSize; chunk++) {
        if (chunk !== rank) this.pread(file, bytes(pieceOf(chunk, round)), slotOffset(chunk, chunk));
      }
    }
    if (header.op === 'mean') divideInPlace(new Float32Array(buffer, 0, header.count), worldSize);
  }

  /**
   * Latency path for small buffers (Sinkhorn's totals, BatchNorm statistics): one barrier instead of two.
   * Every rank publishes its whole buffer, then sums every chunk itself, in the same order as the big path.
   */
  private async smallAllReduce(header: OperationHeader, buffer: SharedArrayBuffer): Promise<void> {
    const { rank, worldSize } = this.context;
    const elementBytes = BYTES_PER_ELEMENT[header.dtype];
    const byteLength = header.count * elementBytes;
    const file = this.nextFile();
    this.pwrite(file, new Uint8Array(buffer, 0, byteLength), rank * this.slotBytes);
    await this.context.hubBarrier(header);
    const all = this.scratchBytes(worldSize * byteLength);
    for (let slot = 0; slot < worldSize; slot++) {
      const target = all.subarray(slot * byteLength, (slot + 1) * byteLength);
      if (slot === rank) target.set(new Uint8Array(buffer, 0, byteLength));
      else this.pread(file, target, slot * this.slotBytes);
    }
    const values = (slot: number, range: ElementRange) =>
      typedView(all.buffer, header.dtype, slot * byteLength + range.start * elementBytes, range.end - range.start) as
        | Float32Array
        | Int32Array;
    chunkRanges(header.count, worldSize).forEach((range, chunk) => {
      const target = typedView(buffer, header.dtype, range.start * elementBytes, range.end - range.start) as
        | Float32Array
        | Int32Array;
      target.set(values(chunk, range));
      for (let offset = 1; offset < worldSize; offset++) accumulate(target, values((chunk + offset) % worldSize, range));
    });
    if (header.op === 'mean') divideInPlace(new Float32Array(buffer, 0, header.count), worldSize);
  }

  /** The root fills the whole file (every slot) per round; the others copy it out after the barrier. */
  private async broadcast(header: OperationHeader, buffer: SharedArrayBuffer): Promise<void> {
    const total = header.count * BYTES_PER_ELEMENT[header.dtype];
    const roundBytes = this.slotBytes * this.context.worldSize;
    const rounds = Math.max(1, Math.ceil(total / roundBytes));
    for (let round = 0; round < rounds; round++) {
      const file = this.nextFile();
      const start = round * roundBytes;
      const view = new Uint8Array(buffer, start, Math.min(total, start + roundBytes) - start);
      if (this.context.rank === header.root) this.pwrite(file, view, 0);
      await this.context.hubBarrier(header);
      if (this.context.rank !== header.root) this.pread(file, view, 0);
    }
  }

  /** Every rank publishes a piece of its slot per round, then copies the others' pieces. */
  private async allGather(header: OperationHeader, buffer: SharedArrayBuffer): Promise<void> {
    const { rank, worldSize } = this.context;
    const slotTotal = header.count * BYTES_PER_ELEMENT[header.dtype];
    const rounds = Math.max(1, Math.ceil(slotTotal / this.slotBytes));
    for (let round = 0; round < rounds; round++) {
      const file = this.nextFile();
      const start = round * this.slotBytes;
      const length = Math.min(slotTotal, start + this.slotBytes) - start;
      this.pwrite(file, new Uint8Array(buffer, rank * slotTotal + start, length), rank * this.slotBytes);
      await this.context.hubBarrier(header);
      for (let slot = 0; slot < worldSize; slot++) {
        if (slot !== rank) this.pread(file, new Uint8Array(buffer, slot * slotTotal + start, length), slot * this.slotBytes);
      }
    }
  }

  private pwrite(file: number, view: Uint8Array, position: number): void {
    let written = 0;
    try {
      while (written < view.byteLength) {
        written += writeSync(file, view, written, view.byteLength - written, position + written);
      }
    } catch (error) {
      throw this.ioError('write', error);
    }
  }

  private pread(file: number, view: Uint8Array, position: number): void {
    let read = 0;
    try {
      while (read < view.byteLength) {
        const count = readSync(file, view, read, view.byteLength - read, position + read);
        if (count === 0) throw new Error(`unexpected end of file at byte ${position + read}`);
        read += count;
      }
    } catch (error) {
      throw this.ioError('read', error);
    }
  }

  private ioError(action: string, error: unknown): DistributedError {
    const reason = error instanceof Error ? error.message : String(error);
    const full = (error as NodeJS.ErrnoException).code === 'ENOSPC' ? ' (the shared-memory file system is full)' : '';
    return new DistributedError(
      {
        code: 'shared-memory',
        message: `rank ${this.context.rank} could not ${action} the shared-memory buffer${full}: ${reason}`,
      },
      { cause: error },
    );
  }

  private scratchBytes(byteLength: number): Uint8Array {
    if (this.scratch.byteLength < byteLength) this.scratch = new ArrayBuffer(byteLength);
    return new Uint8Array(this.scratch, 0, byteLength);
  }
}
