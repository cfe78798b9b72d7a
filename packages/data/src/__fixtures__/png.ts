// A minimal PNG encoder for tests: exact control over bit depth and colour type (sharp normalises both).
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, value) => {
  let crc = value;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** PNG colour types: 0 gray, 2 RGB, 4 gray + alpha, 6 RGBA. */
export type PngColorType = 0 | 2 | 4 | 6;

const CHANNELS: Record<PngColorType, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Encodes interleaved samples (row-major, `channels` per pixel) as an 8- or 16-bit PNG. */
export function encodePng(width: number, height: number, colorType: PngColorType, bitDepth: 8 | 16, samples: ArrayLike<number>): Buffer {
  const channels = CHANNELS[colorType];
  const bytesPerSample = bitDepth / 8;
  const rowLength = width * channels * bytesPerSample;
  const raw = Buffer.alloc(height * (1 + rowLength));
  for (let row = 0; row < height; row++) {
    for (let sample = 0; sample < width * channels; sample++) {
      const value = samples[row * width * channels + sample]!;
      const offset = row * (1 + rowLength) + 1 + sample * bytesPerSample;
      if (bytesPerSample === 1) raw[offset] = value;
      else raw.writeUInt16BE(value, offset);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bitDepth;
  header[9] = colorType;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
