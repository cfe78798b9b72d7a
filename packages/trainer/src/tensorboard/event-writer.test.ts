import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { crc32c, maskedCrc32c } from './crc32c';
import { TensorBoardWriter } from './event-writer';

it('crc32c matches the published check values', () => {
  expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  const c = 0xe3069283;
  expect(maskedCrc32c(new TextEncoder().encode('123456789'))).toBe(((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

/** An independent reader: walks the records, checks both CRCs, decodes tags/steps with a generic wire-format parser. */
function readScalars(bytes: Buffer): Array<{ step: number; tag: string; value: number }> {
  const out: Array<{ step: number; tag: string; value: number }> = [];
  const fields = (b: Buffer) => {
    const f: Array<[number, number, Buffer | bigint | number]> = [];
    let i = 0;
    const v = () => { let r = 0n, s = 0n; for (;;) { const x = b[i++]!; r |= BigInt(x & 127) << s; s += 7n; if (x < 128) return r; } };
    while (i < b.length) {
      const key = Number(v()); const n = key >> 3; const w = key & 7;
      if (w === 0) f.push([n, w, v()]);
      else if (w === 1) { f.push([n, w, b.readDoubleLE(i)]); i += 8; }
      else if (w === 5) { f.push([n, w, b.readFloatLE(i)]); i += 4; }
      else if (w === 2) { const len = Number(v()); f.push([n, w, b.subarray(i, i + len)]); i += len; }
      else throw new Error(`wire type ${w}`);
    }
    return f;
  };
  let off = 0;
  while (off < bytes.length) {
    const len = Number(bytes.readBigUInt64LE(off));
    expect(bytes.readUInt32LE(off + 8)).toBe(maskedCrc32c(bytes.subarray(off, off + 8)));
    const data = bytes.subarray(off + 12, off + 12 + len);
    expect(bytes.readUInt32LE(off + 12 + len)).toBe(maskedCrc32c(data));
    off += 16 + len;
    const ev = fields(data);
    const step = Number(ev.find((x) => x[0] === 2)?.[2] ?? 0n);
    for (const [, , summary] of ev.filter((x) => x[0] === 5)) {
      for (const [, , value] of fields(summary as Buffer)) {
        const vf = fields(value as Buffer);
        out.push({ step, tag: (vf.find((x) => x[0] === 1)![2] as Buffer).toString(), value: vf.find((x) => x[0] === 2)![2] as number });
      }
    }
  }
  expect(off).toBe(bytes.length);
  return out;
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
