// Reading and atomically writing safetensors files on disk (Node.js).
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsError } from '@msn/errors';
import { writeFileAtomic } from './atomic-write';
import { readSafetensors, writeSafetensors, type SafetensorsContent, type SafetensorsInput } from './safetensors';

/**
 * Reads a safetensors file.
 *
 * @example
 * const { tensors, metadata } = await loadSafetensors('checkpoint.safetensors');
 * vit.loadStateDict(tensors, { prefix: 'backbone.vit.' });
 * @throws {SafetensorsError} when the file cannot be read (I/O error as `cause`) or is truncated or corrupt (the message
 *   names the file and the byte offset).
 */
export async function loadSafetensors(path: string): Promise<SafetensorsContent> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new SafetensorsError({ source: path, offset: 0, problem: `cannot read the file: ${(error as Error).message}` }, { cause: error });
  }
  return readSafetensors(bytes, path);
}

/**
 * Writes tensors (PyTorch `state_dict` names kept) and string metadata to a safetensors file, atomically: the bytes go
 * to a temporary file in the same folder, fsynced and renamed over `path`, so readers never see a partial file.
 * tfjs tensors are read asynchronously (`await tensor.data()`); the caller keeps ownership of them.
 *
 * @example await saveSafetensors('vit.safetensors', vit.stateDict(), { config: JSON.stringify(vit.config) });
 * @throws {SafetensorsError} when writing or renaming fails (the I/O error is the `cause`).
 * @throws {InvalidArgumentError} for invalid names, metadata or data (see `writeSafetensors`).
 */
export async function saveSafetensors(
  path: string,
  tensors: ReadonlyMap<string, SafetensorsInput> | Readonly<Record<string, SafetensorsInput>>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const entries = tensors instanceof Map ? [...(tensors as ReadonlyMap<string, SafetensorsInput>)] : Object.entries(tensors);
  // Download every tensor without blocking, then serialise the plain arrays.
  const plain = new Map<string, SafetensorsInput>();
  for (const [name, tensor] of entries) {
    plain.set(name, tensor instanceof tf.Tensor ? { shape: tensor.shape, data: (await tensor.data()) as Float32Array } : tensor);
  }
  const bytes = writeSafetensors(plain, metadata);
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw new SafetensorsError({ source: path, offset: 0, problem: `cannot write the file: ${(error as Error).message}` }, { cause: error });
  }
}
