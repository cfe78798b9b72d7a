// A typed-array view of a collective's buffer by element type.
import type { DataType } from './collective-types';

/** A typed view of `length` elements of `dtype` at `byteOffset`. */
export function typedView(buffer: ArrayBufferLike, dtype: DataType, byteOffset: number, length: number): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'float32') return new Float32Array(buffer, byteOffset, length);
  if (dtype === 'int32') return new Int32Array(buffer, byteOffset, length);
  return new Uint8Array(buffer, byteOffset, length);
}
