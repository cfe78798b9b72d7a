// @file The `last` link of a checkpoint folder: which checkpoint a resume (`--resume <folder>/last`) continues from.
import { readlink, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The name of the link in a checkpoints folder that names its newest complete checkpoint. */
export const LAST_CHECKPOINT_LINK = 'last';

/** The checkpoint `<folder>/last` names now (its folder name), or undefined when there is none. */
export async function lastCheckpointName(folder: string): Promise<string | undefined> {
  return readlink(join(folder, LAST_CHECKPOINT_LINK)).catch(() => undefined);
}

/**
 * Points `<folder>/last` at the checkpoint folder `name` (a sibling in `folder`). The link is relative, so the folder
 * can be moved as a whole, and it is replaced by a rename: at every moment `last` names a complete checkpoint, the
 * old one or the new one.
 */
export async function pointLastCheckpointAt(folder: string, name: string): Promise<void> {
  const link = join(folder, LAST_CHECKPOINT_LINK);
  const temporary = `${link}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  await symlink(name, temporary, 'dir');
  await rename(temporary, link);
}
