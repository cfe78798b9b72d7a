// @file Durable, atomic file replacement (temp file, fsync, rename, fsync of the folder), in @msn/vit because it is the
// lowest package that writes files (safetensors); @msn/trainer's checkpoints use the same function.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

async function syncFolder(folder: string): Promise<void> {
  // Makes the rename itself durable. Some platforms cannot open folders; the rename is still atomic there.
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: fsync of a folder is not supported everywhere.
  }
}

/**
 * Replaces `path` with `bytes` so that readers (and a process that dies at any moment) see either the old file or
 * the complete new one: temp file in the same folder, fsync, rename, fsync of the folder.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await writeFile(handle, bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(path));
}
