// Writers for small IDX and CIFAR-10 files used by the dataset tests.
import { gzipSync } from 'node:zlib';

/** An IDX file of unsigned bytes with the given dimensions (big-endian header, as MNIST). */
export function encodeIdx(dimensions: readonly number[], values: ArrayLike<number>, elementType = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dimensions.length);
  header[2] = elementType;
  header[3] = dimensions.length;
  dimensions.forEach((size, axis) => header.writeUInt32BE(size, 4 + 4 * axis));
  return Buffer.concat([header, Buffer.from(Array.from(values))]);
}

export function gzip(bytes: Uint8Array): Buffer {
  return gzipSync(bytes);
}

/** CIFAR-10 binary records: label byte, then 1024 red, 1024 green, 1024 blue bytes (row-major 32×32). */
export function encodeCifar(records: readonly { label: number; pixel: (x: number, y: number, channel: number) => number }[]): Buffer {
  const bytes = Buffer.alloc(records.length * 3073);
  records.forEach(({ label, pixel }, record) => {
    const base = record * 3073;
    bytes[base] = label;
    for (let channel = 0; channel < 3; channel++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) bytes[base + 1 + channel * 1024 + y * 32 + x] = pixel(x, y, channel);
      }
    }
  });
  return bytes;
}
