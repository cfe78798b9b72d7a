// Argument checks and tensor/array conversions shared by every ProcessGroup implementation.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@msn/errors';
import { DistributedError } from './distributed-error';
import { typedView } from './typed-view';
import type { ProcessGroup, ProcessGroupBackend, ReducibleArray, TransferableArray } from './process-group';
import { BYTES_PER_ELEMENT, type CollectiveKind, type DataType, type ReduceOp } from './collective-types';

/** One collective, ready to run: what every rank must agree on, plus how to copy this rank's input in. */
export interface PreparedCollective {
  kind: CollectiveKind;
  dtype: DataType;
  count: number;
  op: ReduceOp | 'none';
  root: number;
  byteLength: number;
  /** Copies this rank's input into the (shared) buffer. */
  fill(buffer: ArrayBufferLike): void;
}

interface Prepared<R> {
  collective: PreparedCollective;
  /** Copies the result out of the buffer (which the group reuses) into new arrays or tensors. */
  finish(buffer: ArrayBufferLike): R;
}

interface Input {
  data: Float32Array | Int32Array | Uint8Array;
  dtype: DataType;
  /** Present for tensors: the result becomes a tensor again. */
  shape: number[] | undefined;
}

function isTensor(value: unknown): value is tf.Tensor {
  return typeof value === 'object' && value !== null && typeof (value as tf.Tensor).dataSync === 'function' && Array.isArray((value as tf.Tensor).shape);
}

function arrayDtype(value: unknown): DataType | undefined {
  if (value instanceof Float32Array) return 'float32';
  if (value instanceof Int32Array) return 'int32';
  if (value instanceof Uint8Array) return 'uint8';
  return undefined;
}

function copyOut(buffer: ArrayBufferLike, dtype: DataType, offset: number, length: number) {
  // slice() copies into a fresh, unshared buffer: the result must not alias the reused shared buffer.
  return typedView(buffer, dtype, offset * BYTES_PER_ELEMENT[dtype], length).slice();
}

/**
 * Implements the {@link ProcessGroup} API on two primitives a backend provides: run a prepared collective
 * synchronously (result in a buffer valid until the next call) or asynchronously.
 */
export abstract class CollectiveGroup implements ProcessGroup {
  abstract readonly rank: number;
  abstract readonly worldSize: number;
  abstract readonly localRank: number;
  abstract readonly localWorldSize: number;
  abstract readonly backend: ProcessGroupBackend;

  /** Runs `collective` now, blocking; returns the buffer holding the result. */
  protected abstract runSync(collective: PreparedCollective): ArrayBufferLike;
  /**
   * Runs `collective` now (program order); resolves with the buffer holding the result. MPI's collectives and the
   * world of one are synchronous, so the default settles at call time; a group with real asynchronous transfers
   * overrides it.
   */
  protected runAsync(collective: PreparedCollective): Promise<ArrayBufferLike> {
    try {
      return Promise.resolve(this.runSync(collective));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  abstract destroy(): void;

  allReduce<T extends tf.Tensor>(tensor: T, op?: ReduceOp): T;
  allReduce<A extends ReducibleArray>(data: A, op?: ReduceOp): A;
  allReduce(input: tf.Tensor | ReducibleArray, op: ReduceOp = 'sum'): tf.Tensor | ReducibleArray {
    const prepared = this.prepareAllReduce('allReduce', input, op);
    return prepared.finish(this.runSync(prepared.collective));
  }

  allReduceAsync<T extends tf.Tensor>(tensor: T, op?: ReduceOp): Promise<T>;
  allReduceAsync<A extends ReducibleArray>(data: A, op?: ReduceOp): Promise<A>;
  allReduceAsync(input: tf.Tensor | ReducibleArray, op: ReduceOp = 'sum'): Promise<tf.Tensor | ReducibleArray> {
    const prepared = this.prepareAllReduce('allReduceAsync', input, op);
    return this.runAsync(prepared.collective).then((buffer) => prepared.finish(buffer));
  }

  allReduceInPlace(data: ReducibleArray, op: ReduceOp = 'sum'): void {
    const prepared = this.prepareAllReduce('allReduceInPlace', data, op, true);
    prepared.finish(this.runSync(prepared.collective));
  }

  async allReduceInPlaceAsync(data: ReducibleArray, op: ReduceOp = 'sum'): Promise<void> {
    const prepared = this.prepareAllReduce('allReduceInPlaceAsync', data, op, true);
    prepared.finish(await this.runAsync(prepared.collective));
  }

  allReduceCoalesced<T extends tf.Tensor>(tensors: readonly T[], op: ReduceOp = 'sum'): T[] {
    const prepared = this.prepareCoalesced('allReduceCoalesced', tensors, op);
    if (!prepared) return [];
    return prepared.finish(this.runSync(prepared.collective));
  }

  async allReduceCoalescedAsync<T extends tf.Tensor>(tensors: readonly T[], op: ReduceOp = 'sum'): Promise<T[]> {
    const prepared = this.prepareCoalesced('allReduceCoalescedAsync', tensors, op);
    if (!prepared) return [];
    const buffer = await this.runAsync(prepared.collective);
    return prepared.finish(buffer);
  }

  broadcast<T extends tf.Tensor>(tensor: T, root?: number): T;
  broadcast<A extends TransferableArray>(data: A, root?: number): A;
  broadcast(input: tf.Tensor | TransferableArray, root = 0): tf.Tensor | TransferableArray {
    const prepared = this.prepareBroadcast('broadcast', input, root);
    return prepared.finish(this.runSync(prepared.collective));
  }

  broadcastAsync<T extends tf.Tensor>(tensor: T, root?: number): Promise<T>;
  broadcastAsync<A extends TransferableArray>(data: A, root?: number): Promise<A>;
  broadcastAsync(input: tf.Tensor | TransferableArray, root = 0): Promise<tf.Tensor | TransferableArray> {
    const prepared = this.prepareBroadcast('broadcastAsync', input, root);
    return this.runAsync(prepared.collective).then((buffer) => prepared.finish(buffer));
  }

  broadcastObject<V>(value: V, root = 0): V {
    this.checkRoot('broadcastObject', root);
    let bytes = new Uint8Array(0);
    if (this.rank === root) {
      const text = JSON.stringify(value);
      if (text === undefined) {
        throw new InvalidArgumentError({
          caller: 'broadcastObject',
          argument: 'value',
          value,
          expected: 'a JSON-serialisable value on the root rank',
        });
      }
      bytes = new TextEncoder().encode(text);
    }
    const length = this.broadcast(Int32Array.of(bytes.byteLength), root)[0]!;
    const received = this.broadcast(this.rank === root ? bytes : new Uint8Array(length), root);
    return JSON.parse(new TextDecoder().decode(received)) as V;
  }

  allGather(tensor: tf.Tensor): tf.Tensor;
  allGather<A extends TransferableArray>(data: A): A;
  allGather(input: tf.Tensor | TransferableArray): tf.Tensor | TransferableArray {
    const prepared = this.prepareAllGather('allGather', input);
    return prepared.finish(this.runSync(prepared.collective));
  }

  allGatherAsync(tensor: tf.Tensor): Promise<tf.Tensor>;
  allGatherAsync<A extends TransferableArray>(data: A): Promise<A>;
  allGatherAsync(input: tf.Tensor | TransferableArray): Promise<tf.Tensor | TransferableArray> {
    const prepared = this.prepareAllGather('allGatherAsync', input);
    return this.runAsync(prepared.collective).then((buffer) => prepared.finish(buffer));
  }

  barrier(): void {
    this.runSync(this.barrierCollective());
  }

  async barrierAsync(): Promise<void> {
    await this.runAsync(this.barrierCollective());
  }

  private barrierCollective(): PreparedCollective {
    return { kind: 'barrier', dtype: 'int32', count: 0, op: 'none', root: 0, byteLength: 0, fill: () => undefined };
  }

  private input(caller: string, value: unknown, allowed: DataType[]): Input {
    if (isTensor(value)) {
      if (value.isDisposed) {
        throw new InvalidArgumentError({ caller, argument: 'tensor', value: 'a disposed tensor', expected: 'a live tensor' });
      }
      if (!allowed.includes(value.dtype as DataType)) {
        throw new InvalidArgumentError({
          caller,
          argument: 'tensor',
          value: `a ${value.dtype} tensor`,
          expected: `a ${allowed.filter((dtype) => dtype !== 'uint8').join(' or ')} tensor`,
        });
      }
      return { data: value.dataSync() as Float32Array | Int32Array, dtype: value.dtype as DataType, shape: value.shape };
    }
    const dtype = arrayDtype(value);
    if (!dtype || !allowed.includes(dtype)) {
      const kinds = allowed.map((kind) => ({ float32: 'Float32Array', int32: 'Int32Array', uint8: 'Uint8Array' })[kind]);
      throw new InvalidArgumentError({
        caller,
        argument: 'data',
        value: value === null ? 'null' : ((value as object)?.constructor?.name ?? typeof value),
        expected: `a tensor or a ${kinds.join(', ')}`,
      });
    }
    return { data: value as Float32Array | Int32Array | Uint8Array, dtype, shape: undefined };
  }

  private checkOp(caller: string, op: unknown, dtype: DataType): asserts op is ReduceOp {
    if (op !== 'sum' && op !== 'mean') {
      throw new InvalidArgumentError({ caller, argument: 'op', value: op, expected: "'sum' or 'mean'" });
    }
    if (op === 'mean' && dtype !== 'float32') {
      throw new InvalidArgumentError({ caller, argument: 'op', value: op, expected: `'sum' for ${dtype} data (mean needs float32)` });
    }
  }

  private checkRoot(caller: string, root: unknown): void {
    if (typeof root !== 'number' || !Number.isInteger(root) || root < 0 || root >= this.worldSize) {
      throw new InvalidArgumentError({ caller, argument: 'root', value: root, expected: `an integer rank in 0…${this.worldSize - 1}` });
    }
  }

  private output(input: Input, values: Float32Array | Int32Array | Uint8Array, shape?: number[]) {
    if (!input.shape) return values;
    return tf.tensor(values as Float32Array | Int32Array, shape ?? input.shape, input.dtype as 'float32' | 'int32');
  }

  private prepareAllReduce(caller: string, value: unknown, op: unknown, inPlace = false) {
    const input = this.input(caller, value, ['float32', 'int32']);
    if (inPlace && input.shape) {
      throw new InvalidArgumentError({ caller, argument: 'data', value: 'a tensor', expected: 'a Float32Array or Int32Array (tensors are immutable)' });
    }
    this.checkOp(caller, op, input.dtype);
    const count = input.data.length;
    const prepared: Prepared<never> = {
      collective: {
        kind: 'allReduce',
        dtype: input.dtype,
        count,
        op,
        root: 0,
        byteLength: count * BYTES_PER_ELEMENT[input.dtype],
        fill: (buffer) => typedView(buffer, input.dtype, 0, count).set(input.data),
      },
      finish: (buffer) => {
        if (!inPlace) return this.output(input, copyOut(buffer, input.dtype, 0, count)) as never;
        input.data.set(typedView(buffer, input.dtype, 0, count));
        return undefined as never;
      },
    };
    return prepared;
  }

  private prepareCoalesced<T extends tf.Tensor>(caller: string, tensors: readonly T[], op: unknown) {
    if (!Array.isArray(tensors)) {
      throw new InvalidArgumentError({ caller, argument: 'tensors', value: tensors, expected: 'an array of tensors' });
    }
    if (tensors.length === 0) return undefined;
    const inputs = tensors.map((tensor) => this.input(caller, tensor, ['float32', 'int32']));
    const dtype = inputs[0]!.dtype;
    const other = inputs.findIndex((input) => input.dtype !== dtype);
    if (other >= 0) {
      throw new InvalidArgumentError({
        caller,
        argument: `tensors[${other}]`,
        value: `a ${inputs[other]!.dtype} tensor`,
        expected: `the dtype of tensors[0] (${dtype}): coalesced tensors share one buffer`,
      });
    }
    this.checkOp(caller, op, dtype);
    const offsets: number[] = [];
    let count = 0;
    for (const input of inputs) {
      offsets.push(count);
      count += input.data.length;
    }
    const prepared: Prepared<T[]> = {
      collective: {
        kind: 'allReduce',
        dtype,
        count,
        op,
        root: 0,
        byteLength: count * BYTES_PER_ELEMENT[dtype],
        fill: (buffer) =>
          inputs.forEach((input, index) => typedView(buffer, dtype, offsets[index]! * BYTES_PER_ELEMENT[dtype], input.data.length).set(input.data)),
      },
      finish: (buffer) => inputs.map((input, index) => this.output(input, copyOut(buffer, dtype, offsets[index]!, input.data.length)) as T),
    };
    return prepared;
  }

  private prepareBroadcast(caller: string, value: unknown, root: number) {
    const input = this.input(caller, value, ['float32', 'int32', 'uint8']);
    this.checkRoot(caller, root);
    const count = input.data.length;
    const prepared: Prepared<never> = {
      collective: {
        kind: 'broadcast',
        dtype: input.dtype,
        count,
        op: 'none',
        root,
        byteLength: count * BYTES_PER_ELEMENT[input.dtype],
        fill: (buffer) => {
          if (this.rank === root) typedView(buffer, input.dtype, 0, count).set(input.data);
        },
      },
      finish: (buffer) => this.output(input, copyOut(buffer, input.dtype, 0, count)) as never,
    };
    return prepared;
  }

  private prepareAllGather(caller: string, value: unknown) {
    const input = this.input(caller, value, ['float32', 'int32', 'uint8']);
    const count = input.data.length;
    const { worldSize, rank } = this;
    const elementBytes = BYTES_PER_ELEMENT[input.dtype];
    const prepared: Prepared<never> = {
      collective: {
        kind: 'allGather',
        dtype: input.dtype,
        count,
        op: 'none',
        root: 0,
        byteLength: worldSize * count * elementBytes,
        fill: (buffer) => typedView(buffer, input.dtype, rank * count * elementBytes, count).set(input.data),
      },
      finish: (buffer) => this.output(input, copyOut(buffer, input.dtype, 0, worldSize * count), input.shape && [worldSize, ...input.shape]) as never,
    };
    return prepared;
  }
}

/** The error collectives throw once a group is destroyed. */
export function destroyedError(caller: string): DistributedError {
  return new DistributedError({ code: 'destroyed', message: `${caller}: the process group was destroyed` });
}
