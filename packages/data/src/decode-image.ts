// Decodes an image file to 8-bit interleaved RGB with sharp (loaded on first use: only ImageFolder needs it).
import { DataFileError } from '@msn/errors';
import type { RgbImage } from './image';

type SharpModule = typeof import('sharp').default;

let sharpModule: Promise<SharpModule> | undefined;

async function loadSharp(caller: string, file: string): Promise<SharpModule> {
  sharpModule ??= import('sharp').then((module) => module.default);
  try {
    return await sharpModule;
  } catch (error) {
    sharpModule = undefined;
    throw new DataFileError({ caller, file, problem: `cannot be decoded: the 'sharp' package failed to load (${(error as Error).message})` }, { cause: error });
  }
}

/**
 * Decodes `file` (JPEG, PNG, WebP, GIF first frame, TIFF first page, …) into 8-bit RGB: sRGB conversion
 * (grayscale, palette, CMYK, 16-bit), alpha dropped without compositing (PIL's `convert('RGB')`). Fails on
 * truncated or corrupt data rather than returning a partial image.
 * @throws {DataFileError} naming the file when it cannot be read or decoded.
 */
export async function decodeImageFile(caller: string, file: string): Promise<RgbImage> {
  const sharp = await loadSharp(caller, file);
  let result: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    result = await sharp(file, { failOn: 'warning', pages: 1 })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DataFileError({ caller, file, problem: `cannot be read or decoded: ${(error as Error).message}` }, { cause: error });
  }
  const { data, info } = result;
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new DataFileError({
      caller,
      file,
      problem: `decoded to ${info.channels} channels (${data.length} bytes for ${info.width}×${info.height}), expected RGB`,
    });
  }
  // Copied out of sharp's native buffer so the pixels can be transferred between threads.
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}
