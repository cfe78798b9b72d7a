// Binary form of an OperationHeader, exchanged between ring neighbours at the start of every collective.
import type { CollectiveKind, DataType, OperationHeader, ReduceOp } from './protocol';

const MAGIC = 0x4d534e31; // "MSN1"
const KINDS: CollectiveKind[] = ['allReduce', 'broadcast', 'allGather', 'barrier'];
const DTYPES: DataType[] = ['float32', 'int32', 'uint8'];
const OPS: Array<ReduceOp | 'none'> = ['none', 'sum', 'mean'];

/** Bytes of an encoded header. */
export const WIRE_HEADER_BYTES = 20;

/** Encodes a header (little-endian: magic, seq, count, root, then kind/dtype/op bytes). */
export function encodeHeader(header: OperationHeader): Uint8Array {
  const bytes = new Uint8Array(WIRE_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.seq >>> 0, true);
  view.setUint32(8, header.count >>> 0, true);
  view.setUint32(12, header.root >>> 0, true);
  view.setUint8(16, KINDS.indexOf(header.kind));
  view.setUint8(17, DTYPES.indexOf(header.dtype));
  view.setUint8(18, OPS.indexOf(header.op));
  return bytes;
}

/** Decodes a header; undefined when the bytes are not one (a desynchronised or foreign stream). */
export function decodeHeader(bytes: Uint8Array): OperationHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength !== WIRE_HEADER_BYTES || view.getUint32(0, true) !== MAGIC) return undefined;
  const kind = KINDS[view.getUint8(16)];
  const dtype = DTYPES[view.getUint8(17)];
  const op = OPS[view.getUint8(18)];
  if (kind === undefined || dtype === undefined || op === undefined) return undefined;
  return {
    seq: view.getUint32(4, true),
    count: view.getUint32(8, true),
    root: view.getUint32(12, true),
    kind,
    dtype,
    op,
  };
}
