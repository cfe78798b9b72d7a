import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from './crc32c';
import { TensorBoardWriter } from './event-writer';

it('crc32c matches the published check values', () => {
  expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  const crc = 0xe3069283;
  expect(maskedCrc32c(new TextEncoder().encode('123456789'))).toBe(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

type WireField = [fieldNumber: number, value: Buffer | bigint | number];

/** The fields of one protobuf message, decoded by wire type alone (no schema). */
function wireFields(message: Buffer): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = message[offset++]!;
      result |= BigInt(byte & 127) << shift;
      shift += 7n;
      if (byte < 128) return result;
    }
  };
  while (offset < message.length) {
    const key = Number(varint());
    const [fieldNumber, wireType] = [key >> 3, key & 7];
    if (wireType === 0) fields.push([fieldNumber, varint()]);
    else if (wireType === 1) {
      fields.push([fieldNumber, message.readDoubleLE(offset)]);
      offset += 8;
    } else if (wireType === 5) {
      fields.push([fieldNumber, message.readFloatLE(offset)]);
      offset += 4;
    } else if (wireType === 2) {
      const length = Number(varint());
      fields.push([fieldNumber, message.subarray(offset, offset + length)]);
      offset += length;
    } else throw new Error(`wire type ${wireType}`);
  }
  return fields;
}

/** An independent reader: walks the records, checks both CRCs, decodes tags/steps with a generic wire-format parser. */
function readScalars(bytes: Buffer): Array<{ step: number; tag: string; value: number }> {
  const scalars: Array<{ step: number; tag: string; value: number }> = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = Number(bytes.readBigUInt64LE(offset));
    expect(bytes.readUInt32LE(offset + 8)).toBe(maskedCrc32c(bytes.subarray(offset, offset + 8)));
    const data = bytes.subarray(offset + 12, offset + 12 + length);
    expect(bytes.readUInt32LE(offset + 12 + length)).toBe(maskedCrc32c(data));
    offset += 16 + length;
    const event = wireFields(data);
    const step = Number(event.find(([fieldNumber]) => fieldNumber === 2)?.[1] ?? 0n);
    for (const [, summary] of event.filter(([fieldNumber]) => fieldNumber === 5)) {
      for (const [, value] of wireFields(summary as Buffer)) {
        const valueFields = wireFields(value as Buffer);
        const tag = (valueFields.find(([fieldNumber]) => fieldNumber === 1)![1] as Buffer).toString();
        scalars.push({ step, tag, value: valueFields.find(([fieldNumber]) => fieldNumber === 2)![1] as number });
      }
    }
  }
  expect(offset).toBe(bytes.length);
  return scalars;
}

it('writes every finite scalar with its step in CRC-checked records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-'));
  const writer = new TensorBoardWriter(dir, () => 1_700_000_000_000);
  writer.addScalars(1, { loss: 2.5, lr: 0.001, note: 'x', bad: Number.NaN });
  writer.addScalars(300, { loss: 1.25 });
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(new RegExp(`^events\\.out\\.tfevents\\.1700000000\\..+\\.${process.pid}\\.\\d+$`));
  // A second writer in the same second gets a file of its own.
  expect(new TensorBoardWriter(dir, () => 1_700_000_000_000).path).not.toBe(join(dir, files[0]!));
  const scalars = readScalars(readFileSync(join(dir, files[0]!)));
  expect(scalars).toEqual([
    { step: 1, tag: 'loss', value: 2.5 },
    { step: 1, tag: 'lr', value: Math.fround(0.001) },
    { step: 300, tag: 'loss', value: 1.25 },
  ]);
});
