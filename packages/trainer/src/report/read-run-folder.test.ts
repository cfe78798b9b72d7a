import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@msn/errors';
import { readRunFolder } from './read-run-folder';

const root = mkdtempSync(join(tmpdir(), 'msn-run-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readRunFolder', () => {
  it('reads a killed run: skips the torn last line, keeps numbers only, lists unreadable files, tolerates missing ones', () => {
    const folder = mkdtempSync(join(root, 'killed-'));
    writeFileSync(join(folder, 'metrics.jsonl'), '{"step":1,"loss":5.5,"note":"x","bad":null}\n{"step":2,"loss":5.25}\n\n{"loss":1}\n{"step":3,"lo');
    writeFileSync(join(folder, 'config.json'), '{"batchSize":8}');
    writeFileSync(join(folder, 'health.json'), '{"warnings": [');
    const run = readRunFolder(folder);
    expect(run.metrics).toEqual([
      { step: 1, loss: 5.5 },
      { step: 2, loss: 5.25 },
    ]);
    expect(run.skippedLines).toBe(2);
    expect(run.config).toEqual({ batchSize: 8 });
    expect(run.health).toBeUndefined();
    expect(run.summary).toBeUndefined();
    expect(run.unreadable.map((entry) => entry.file)).toEqual(['health.json']);
  });

  it('reads an empty folder as a run with no data', () => {
    expect(readRunFolder(mkdtempSync(join(root, 'empty-')))).toMatchObject({ metrics: [], skippedLines: 0, unreadable: [] });
  });

  it('rejects a path that is not a folder, naming it', () => {
    const missing = join(root, 'no-such-run');
    expect(() => readRunFolder(missing)).toThrow(InvalidArgumentError);
    expect(() => readRunFolder(missing)).toThrow(/readRunFolder: invalid argument 'folder' = ".*no-such-run"; expected an existing run folder/);
  });
});
