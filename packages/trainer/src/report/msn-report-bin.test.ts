// The msn-report command as users run it, on a killed run's folder and with bad arguments.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../bin/msn-report.ts');
const root = mkdtempSync(join(tmpdir(), 'msn-report-bin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const msnReport = (...argv: string[]) => spawnSync(process.execPath, ['--import', 'tsx', BIN, ...argv], { encoding: 'utf8' });

describe('msn-report', () => {
  it('builds report.html for a killed run (torn last line, no health.json) and says what it read', () => {
    const folder = join(root, 'killed');
    const other = join(root, 'elsewhere.html');
    mkdirSync(folder);
    writeFileSync(join(folder, 'metrics.jsonl'), '{"step":1,"loss":4.5,"grad_norm":2}\n{"step":2,"loss":4.25,"grad_norm":1.5}\n{"step":3,"loss":4.');
    const result = msnReport(folder);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`wrote ${join(folder, 'report.html')}: 2 charts from 2 metrics rows, 1 unreadable line(s) skipped\n`);
    expect(readFileSync(join(folder, 'report.html'), 'utf8')).toContain('No health.json');
    expect(msnReport(folder, '--out', other).status).toBe(0);
    expect(existsSync(other)).toBe(true);
  });

  it('exits 2 with a message naming the problem for a missing folder, an unknown flag or no folder', () => {
    const missing = msnReport(join(root, 'no-such-run'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/readRunFolder: invalid argument 'folder' = ".*no-such-run"; expected an existing run folder/);
    const unknown = msnReport(root, '--format', 'pdf');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^msn-report: unknown flag '--format'; expected --out <file> or --help/);
    const none = msnReport();
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^msn-report: expected one run folder, got none\n\nusage: msn-report <run folder>/);
    expect(msnReport('--out').stderr).toMatch(/flag '--out' is missing its value/);
    expect(msnReport('--help').stdout).toMatch(/^usage: msn-report <run folder> \[--out <file>\]/);
  });
});
