// The element types, reductions and collective kinds every process group implementation shares.

/** Element types the collectives move; `uint8` carries serialised objects for `broadcastObject`. */
export type DataType = 'float32' | 'int32' | 'uint8';

/** Reduction applied by `allReduce`. */
export type ReduceOp = 'sum' | 'mean';

/** Collectives as they appear in error messages. */
export type CollectiveKind = 'allReduce' | 'broadcast' | 'allGather' | 'barrier';

export const BYTES_PER_ELEMENT: Record<DataType, number> = { float32: 4, int32: 4, uint8: 1 };
