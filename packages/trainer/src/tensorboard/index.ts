export { crc32c, maskedCrc32c } from './crc32c';
export { encodeEvent, encodeSummary } from './event-proto';
export type { EventFields, ScalarValue } from './event-proto';
export { frameRecord } from './record';
export { TensorBoardWriter } from './event-writer';
