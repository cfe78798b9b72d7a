// A failed replacement keeps the old file and leaves no temporary file behind.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write';

const root = mkdtempSync(join(tmpdir(), 'msn-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the file with the new bytes and leaves only the file', async () => {
    const path = join(root, 'file.bin');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, Uint8Array.of(1, 2, 3));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, 'text');
    expect(readFileSync(path, 'utf8')).toBe('text');
    expect(readdirSync(root)).toEqual(['file.bin']);
  });

  it('keeps the old file and removes its temporary file when the rename fails', async () => {
    const folder = join(root, 'target-is-a-folder');
    const target = join(folder, 'occupied');
    // Renaming a file over a non-empty folder fails after the temporary file was written.
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'inside'), 'kept');
    await expect(writeFileAtomic(target, 'new')).rejects.toThrow();
    expect(readdirSync(folder)).toEqual(['occupied']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
  });
});
