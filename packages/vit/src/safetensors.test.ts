import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { listFixtures, useBackend } from '@msn/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, SafetensorsError } from '@msn/errors';
import { readSafetensors, writeSafetensors } from './safetensors';
import { loadSafetensors, saveSafetensors } from './safetensors-file';

const folder = mkdtempSync(join(tmpdir(), 'msn-vit-safetensors-'));

// Builds a file by hand: [u64 header length][header JSON][data].
function handMade(header: unknown, data: Uint8Array, headerText = JSON.stringify(header)): Uint8Array {
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

describe('safetensors', () => {
  beforeAll(() => useBackend('cpu'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('round-trips names, shapes, values and metadata, with an 8-aligned header', () => {
    const tensors = new Map([
      ['layers.1.running_mean', { shape: [3], data: new Float32Array([1.5, -2, 3.25]) }],
      ['encoder.pos_embedding', { shape: [1, 2, 2], data: new Float32Array([0.1, 0.2, 0.3, 0.4]) }],
      ['scalar', { shape: [], data: new Float32Array([7]) }],
      ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const bytes = writeSafetensors(tensors, { format: 'pt', config: '{"a":1}' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const { tensors: read, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', config: '{"a":1}' });
    expect([...read.keys()]).toEqual([...tensors.keys()]);
    for (const [name, tensor] of tensors) {
      expect(read.get(name)!.dtype).toBe('F32');
      expect(read.get(name)!.shape).toEqual(tensor.shape);
      expect(Array.from(read.get(name)!.data)).toEqual(Array.from(tensor.data));
    }
  });

  it('writes tfjs tensors and re-reads every fixture file unchanged', () => {
    const tensor = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const { tensors } = readSafetensors(writeSafetensors({ weight: tensor }));
    expect(Array.from(tensors.get('weight')!.data)).toEqual([1, 2, 3, 4]);
    tensor.dispose();
    for (const subfolder of ['vit', 'head']) {
      for (const path of listFixtures(subfolder, '.safetensors')) {
        const original = readSafetensors(new Uint8Array(readFileSync(path)), path);
        expect(original.tensors.size).toBeGreaterThan(0);
        const again = readSafetensors(writeSafetensors(original.tensors, original.metadata));
        expect(again.metadata).toEqual(original.metadata);
        for (const [name, entry] of original.tensors) {
          expect(again.tensors.get(name)!.shape).toEqual(entry.shape);
          expect(Array.from(again.tensors.get(name)!.data)).toEqual(Array.from(entry.data));
        }
      }
    }
  });

  it('decodes F64, F16, BF16 and integer tensors into float32', () => {
    const f64 = new Float64Array([0.5, -3]);
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555]); // 1, −2, 0.333…
    const bf16 = new Uint16Array([0x3f80, 0xc040]); // 1, −3
    const i64 = new BigInt64Array([5n, -7n]);
    const data = new Uint8Array([...new Uint8Array(f64.buffer), ...new Uint8Array(f16.buffer), ...new Uint8Array(bf16.buffer), ...new Uint8Array(i64.buffer)]);
    const header = {
      a: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
      b: { dtype: 'F16', shape: [3], data_offsets: [16, 22] },
      c: { dtype: 'BF16', shape: [2], data_offsets: [22, 26] },
      d: { dtype: 'I64', shape: [2], data_offsets: [26, 42] },
    };
    const { tensors } = readSafetensors(handMade(header, data));
    expect(Array.from(tensors.get('a')!.data)).toEqual([0.5, -3]);
    expect(tensors.get('b')!.data[0]).toBe(1);
    expect(tensors.get('b')!.data[1]).toBe(-2);
    expect(tensors.get('b')!.data[2]).toBeCloseTo(1 / 3, 3);
    expect(Array.from(tensors.get('c')!.data)).toEqual([1, -3]);
    expect(Array.from(tensors.get('d')!.data)).toEqual([5, -7]);
    expect(tensors.get('d')!.dtype).toBe('I64');
  });

  it('reports truncated and corrupt input with the source and byte offset', () => {
    const good = writeSafetensors({ w: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } });
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /safetensors model.st: truncated: 5 bytes, fewer than the 8-byte header length \(at byte offset 0\)/],
      [good.subarray(0, 20), /header length \d+ exceeds the 12 bytes after the length field.*\(at byte offset 0\)/],
      [good.subarray(0, good.length - 4), /tensor 'w' ends at data byte 16 but the data section has 12 bytes \(truncated\)/],
      [handMade(null, new Uint8Array(0), '{"w": {"dtype": "F32",'), /header is not valid UTF-8 JSON \(at byte offset 8\)/],
      [handMade([1, 2], new Uint8Array(0)), /the header is not a JSON object \(at byte offset 8\)/],
      [handMade({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w' has unsupported dtype "Q4"/],
      [handMade({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w' has an invalid shape \[-1\]/],
      [handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w' spans 4 bytes but F32 \[2\] needs 8/],
      [
        handMade({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
        /tensor 'w' starts at data byte 4, expected 0 \(overlap or gap\)/,
      ],
      [handMade({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /4 bytes after the last tensor are not described by the header/],
      [handMade({ __metadata__: { epoch: 3 }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /metadata 'epoch' is not a string/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => readSafetensors(bytes, 'model.st')).toThrow(SafetensorsError);
      expect(() => readSafetensors(bytes, 'model.st')).toThrow(message);
    }
    try {
      readSafetensors(good.subarray(0, good.length - 4), 'model.st');
    } catch (error) {
      expect((error as SafetensorsError).source).toBe('model.st');
      expect((error as SafetensorsError).offset).toBeGreaterThan(8);
    }
  });

  it('rejects unwritable input, naming it', () => {
    expect(() => writeSafetensors({ w: { shape: [3], data: new Float32Array(2) } })).toThrow(InvalidArgumentError);
    expect(() => writeSafetensors({ w: { shape: [3], data: new Float32Array(2) } })).toThrow(
      /'tensors.w.data' = "2 values"; expected 3 values for shape \[3\]/,
    );
    expect(() => writeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } })).toThrow(/"__metadata__"/);
    expect(() => writeSafetensors({}, { epoch: 3 as unknown as string })).toThrow(/'metadata.epoch' = 3; expected a string/);
  });

  it('saves atomically and loads files, naming the file on failure', async () => {
    const path = join(folder, 'model.safetensors');
    const tensor = tf.tensor1d([1, 2, 3]);
    await saveSafetensors(path, new Map([['bias', tensor]]), { step: '2' });
    tensor.dispose();
    expect(readdirSync(folder)).toEqual(['model.safetensors']); // no temporary file left
    const { tensors, metadata } = await loadSafetensors(path);
    expect(metadata).toEqual({ step: '2' });
    expect(Array.from(tensors.get('bias')!.data)).toEqual([1, 2, 3]);
    // Overwriting replaces the whole file.
    await saveSafetensors(path, { other: { shape: [1], data: new Float32Array([9]) } });
    expect([...(await loadSafetensors(path)).tensors.keys()]).toEqual(['other']);

    const missing = join(folder, 'missing.safetensors');
    await expect(loadSafetensors(missing)).rejects.toThrow(SafetensorsError);
    await expect(loadSafetensors(missing)).rejects.toThrow(/missing.safetensors: cannot read the file: ENOENT/);
    const corrupt = join(folder, 'corrupt.safetensors');
    writeFileSync(corrupt, new Uint8Array([1, 2, 3]));
    await expect(loadSafetensors(corrupt)).rejects.toThrow(/corrupt.safetensors: truncated: 3 bytes/);
    await expect(saveSafetensors(join(folder, 'no-such-dir', 'x.safetensors'), {})).rejects.toThrow(/x.safetensors: cannot write the file/);
  });
});
