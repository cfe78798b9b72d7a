// The safetensors format (Hugging Face): parse and write in memory, validating every header field.
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, SafetensorsError } from '@msn/errors';

/** Element types of the safetensors format that this reader accepts. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** One stored tensor. `data` is always float32 (converted from the stored `dtype`). */
export interface SafetensorsTensor {
  /** The dtype stored in the file. */
  dtype: SafetensorsDtype;
  shape: number[];
  /** Row-major values as float32 (exact for F32/F16/BF16 and for integers of magnitude ≤ 2²⁴). */
  data: Float32Array;
}

/** The content of a safetensors file: tensors in file order and the string metadata (`__metadata__`). */
export interface SafetensorsContent {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** A tensor to write: a tfjs tensor (read with `dataSync`) or raw values with a shape. Written as F32. */
export type SafetensorsInput = tf.Tensor | { readonly shape: readonly number[]; readonly data: ArrayLike<number> };

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function decode(view: DataView, start: number, count: number, dtype: SafetensorsDtype): Float32Array {
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    // Copy (rather than view) the bytes: the copy is 4-byte aligned whatever the offset in the file.
    return new Float32Array(view.buffer.slice(view.byteOffset + start, view.byteOffset + start + 4 * count));
  }
  const out = new Float32Array(count);
  const width = BYTES_PER_ELEMENT[dtype];
  for (let index = 0; index < count; index++) {
    const at = start + index * width;
    switch (dtype) {
      case 'F64':
        out[index] = view.getFloat64(at, true);
        break;
      case 'F32':
        out[index] = view.getFloat32(at, true);
        break;
      case 'F16':
        out[index] = halfToFloat(view.getUint16(at, true));
        break;
      case 'BF16':
        // bfloat16 is the top half of a float32.
        out[index] = new Float32Array(new Uint32Array([view.getUint16(at, true) << 16]).buffer)[0]!;
        break;
      case 'I64':
        out[index] = Number(view.getBigInt64(at, true));
        break;
      case 'I32':
        out[index] = view.getInt32(at, true);
        break;
      case 'I16':
        out[index] = view.getInt16(at, true);
        break;
      case 'I8':
        out[index] = view.getInt8(at);
        break;
      case 'U8':
      case 'BOOL':
        out[index] = view.getUint8(at);
        break;
    }
  }
  return out;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Parses a safetensors buffer: 8-byte little-endian header length, JSON header, raw little-endian data.
 * Validates the header completely (known dtypes, integer shapes, offsets that match the shapes and tile the data
 * section exactly, as the reference implementation requires).
 *
 * @param source - names the buffer in error messages (e.g. its file path).
 * @example const { tensors, metadata } = readSafetensors(new Uint8Array(await readFile('vit.safetensors')));
 * @throws {SafetensorsError} naming the source and byte offset of a truncated or corrupt header or data section.
 */
export function readSafetensors(bytes: Uint8Array, source = 'buffer'): SafetensorsContent {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError({ caller: 'readSafetensors', argument: 'bytes', value: bytes, expected: 'a Uint8Array' });
  }
  const fail = (offset: number, problem: string, cause?: unknown): never => {
    throw new SafetensorsError({ source, offset, problem }, cause === undefined ? undefined : { cause });
  };
  if (bytes.length < 8) fail(0, `truncated: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(0, `header length ${headerLength} exceeds the ${bytes.length - 8} bytes after the length field (truncated or not safetensors)`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    fail(8, `the ${headerLength}-byte header is not valid UTF-8 JSON`, error);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(8, 'the header is not a JSON object');
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number; dtype: SafetensorsDtype; shape: number[] }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(8, `'__metadata__' is not an object`);
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(8, `metadata '${key}' is not a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    const record = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof record !== 'object' || record === null) fail(8, `tensor '${name}' has no dtype/shape/data_offsets entry`);
    const { dtype, shape, data_offsets: offsets } = record!;
    if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT)) {
      fail(8, `tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
      fail(8, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger) || offsets[0]! > offsets[1]!) {
      fail(8, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const expectedBytes = (shape as number[]).reduce((product, size) => product * size, 1) * BYTES_PER_ELEMENT[dtype as SafetensorsDtype];
    if (end - begin !== expectedBytes) {
      fail(dataStart + begin, `tensor '${name}' spans ${end - begin} bytes but ${dtype} [${shape}] needs ${expectedBytes}`);
    }
    if (end > dataLength) {
      fail(dataStart + begin, `tensor '${name}' ends at data byte ${end} but the data section has ${dataLength} bytes (truncated)`);
    }
    spans.push({ name, begin, end, dtype: dtype as SafetensorsDtype, shape: shape as number[] });
  }
  // The data section must be tiled exactly: no overlaps, no holes, nothing trailing.
  const ordered = [...spans].sort((left, right) => left.begin - right.begin || left.end - right.end);
  let cursor = 0;
  for (const span of ordered) {
    if (span.begin !== cursor) {
      fail(dataStart + Math.min(span.begin, cursor), `tensor '${span.name}' starts at data byte ${span.begin}, expected ${cursor} (overlap or gap)`);
    }
    cursor = span.end;
  }
  if (cursor !== dataLength) fail(dataStart + cursor, `${dataLength - cursor} bytes after the last tensor are not described by the header`);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const span of spans) {
    const count = span.shape.reduce((product, size) => product * size, 1);
    tensors.set(span.name, { dtype: span.dtype, shape: span.shape, data: decode(view, dataStart + span.begin, count, span.dtype) });
  }
  return { tensors, metadata };
}

function entriesOf(tensors: ReadonlyMap<string, SafetensorsInput> | Readonly<Record<string, SafetensorsInput>>): [string, SafetensorsInput][] {
  if (tensors instanceof Map) return [...(tensors as ReadonlyMap<string, SafetensorsInput>).entries()];
  return Object.entries(tensors as Readonly<Record<string, SafetensorsInput>>);
}

/**
 * Serialises tensors as a safetensors buffer (all F32, in the given order; header padded with spaces to a multiple
 * of 8). Names are kept as given, so PyTorch `state_dict` keys stay loadable with `safetensors.torch.load_file`.
 *
 * @example const bytes = writeSafetensors(vit.stateDict(), { config: JSON.stringify(vit.config) });
 * @throws {InvalidArgumentError} for an empty or reserved name, a metadata value that is not a string, or raw data
 *   whose length does not match its shape.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsInput> | Readonly<Record<string, SafetensorsInput>>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const caller = 'writeSafetensors';
  const header: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new InvalidArgumentError({ caller, argument: `metadata.${key}`, value, expected: 'a string' });
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const blocks: Float32Array[] = [];
  let offset = 0;
  for (const [name, tensor] of entriesOf(tensors)) {
    if (name === '' || name === '__metadata__') {
      throw new InvalidArgumentError({ caller, argument: 'tensors', value: name, expected: 'tensor names other than "" and "__metadata__"' });
    }
    const shape = [...tensor.shape];
    const values = tensor instanceof tf.Tensor ? tensor.dataSync() : tensor.data;
    const count = shape.reduce((product, size) => product * size, 1);
    if (values.length !== count) {
      throw new InvalidArgumentError({
        caller,
        argument: `tensors.${name}.data`,
        value: `${values.length} values`,
        expected: `${count} values for shape [${shape}]`,
      });
    }
    const block = Float32Array.from(values as ArrayLike<number>);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + block.byteLength] };
    blocks.push(block);
    offset += block.byteLength;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const withPadding = new Uint8Array(padded).fill(0x20);
    withPadding.set(headerBytes);
    headerBytes = withPadding;
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.length;
  for (const block of blocks) {
    if (LITTLE_ENDIAN_HOST) out.set(new Uint8Array(block.buffer, block.byteOffset, block.byteLength), cursor);
    else for (let index = 0; index < block.length; index++) view.setFloat32(cursor + 4 * index, block[index]!, true);
    cursor += block.byteLength;
  }
  return out;
}
