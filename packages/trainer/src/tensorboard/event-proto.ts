/**
 * Minimal hand encoder for the `Event`/`Summary` protobuf subset TensorBoard scalars need
 * (reason: only three message types with fixed fields, so a protobuf runtime plus codegen would outweigh it).
 * Event: 1 wall_time double, 2 step int64, 3 file_version string, 5 summary.
 * Summary: 1 repeated Value; Value: 1 tag string, 2 simple_value float.
 */
const utf8 = new TextEncoder();

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): number[] {
  return [...varint(BigInt((field << 3) | 2)), ...varint(BigInt(payload.length)), ...payload];
}

export interface ScalarValue {
  readonly tag: string;
  readonly value: number;
}

export function encodeSummary(values: readonly ScalarValue[]): Uint8Array {
  const out: number[] = [];
  for (const { tag, value } of values) {
    const f = new Uint8Array(4);
    new DataView(f.buffer).setFloat32(0, value, true);
    const v = [...lengthDelimited(1, utf8.encode(tag)), (2 << 3) | 5, ...f];
    out.push(...lengthDelimited(1, Uint8Array.from(v)));
  }
  return Uint8Array.from(out);
}

export interface EventFields {
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly summary?: readonly ScalarValue[];
}

export function encodeEvent(e: EventFields): Uint8Array {
  const wt = new Uint8Array(8);
  new DataView(wt.buffer).setFloat64(0, e.wallTime, true);
  const out: number[] = [(1 << 3) | 1, ...wt, (2 << 3) | 0, ...varint(BigInt(Math.trunc(e.step)))];
  if (e.fileVersion !== undefined) out.push(...lengthDelimited(3, utf8.encode(e.fileVersion)));
  if (e.summary !== undefined) out.push(...lengthDelimited(5, encodeSummary(e.summary)));
  return Uint8Array.from(out);
}
