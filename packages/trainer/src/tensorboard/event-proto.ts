/**
 * Minimal hand encoder for the `Event`/`Summary` protobuf subset TensorBoard scalars need.
 * Why no protobuf library: three tiny messages with five fixed fields; a runtime plus generated code would outweigh them.
 * Event: 1 wall_time double, 2 step int64, 3 file_version string, 5 summary.
 * Summary: 1 repeated Value; Value: 1 tag string, 2 simple_value float.
 */
const utf8 = new TextEncoder();

function varint(value: bigint): number[] {
  const out: number[] = [];
  let rest = BigInt.asUintN(64, value);
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): number[] {
  return [...varint(BigInt((field << 3) | 2)), ...varint(BigInt(payload.length)), ...payload];
}

export interface ScalarValue {
  readonly tag: string;
  readonly value: number;
}

/** A `Summary` of scalar `Value`s (tag, simple_value as float32). */
export function encodeSummary(values: readonly ScalarValue[]): Uint8Array {
  const out: number[] = [];
  for (const { tag, value } of values) {
    const float = new Uint8Array(4);
    new DataView(float.buffer).setFloat32(0, value, true);
    const encodedValue = [...lengthDelimited(1, utf8.encode(tag)), (2 << 3) | 5, ...float];
    out.push(...lengthDelimited(1, Uint8Array.from(encodedValue)));
  }
  return Uint8Array.from(out);
}

export interface EventFields {
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly summary?: readonly ScalarValue[];
}

/** An `Event` with wall time and step, and either the file version (first record) or a summary. */
export function encodeEvent(event: EventFields): Uint8Array {
  const wallTime = new Uint8Array(8);
  new DataView(wallTime.buffer).setFloat64(0, event.wallTime, true);
  const out: number[] = [(1 << 3) | 1, ...wallTime, (2 << 3) | 0, ...varint(BigInt(Math.trunc(event.step)))];
  if (event.fileVersion !== undefined) out.push(...lengthDelimited(3, utf8.encode(event.fileVersion)));
  if (event.summary !== undefined) out.push(...lengthDelimited(5, encodeSummary(event.summary)));
  return Uint8Array.from(out);
}
